"""The generator engine: static rows + generator configurations -> effective forest.

Pure: plain data in, plain data out; Jira is reached only through the `JiraSource`
given by the caller (the app's rights), time through an injectable clock.

Rules (issue 7, after the incumbent's documented behaviour):

* Generators run by stage in the fixed order insert -> extend -> filter -> group -> sort,
  wherever they sit in the forest. A generator's scope is the subtree of its parent row
  (the top level for a top-level generator); "level 1" is the generator's own level.
* Insert puts its issues at the generator's place, in the query's order.
* Extend adds children to every issue row of its scope whose level is within
  `levels` (default 10), including the rows it adds itself; all extenders of a scope
  work together (a sub-task's blocking issue is found too). An issue is never added
  under itself (link cycles end there) nor twice under one parent.
* Filter (JQL) keeps the issue rows that match and the ancestors of matches; folders
  stay only with `keepFolders` or when they hold a match. The duplicates filter
  removes inserted rows whose issue is also added by an extender elsewhere in scope,
  then repeated inserted rows (the first one stays).
* Group: at level 1 of its scope the issue rows are put under typed group rows, one per
  value (an issue with several values, e.g. labels, appears under each), in a sensible
  order (status by category then name, priority by Jira's order, others by name); the
  "no value" group comes last; other rows (folders) stay first. Several groupers of a
  scope nest top to bottom.
* Sort: issue rows are reordered among the issue slots of every sibling list in scope
  (group rows and folders keep their places). Sorters apply bottom to top, so the top
  one is the primary key; empty values go last in both directions.
* Budget: past the time limit or the row limit generation stops and returns what it
  has, with a message naming the generator that used the most time; never a crash.
* Manual moves (`MoveRule`s, in order) apply last, after sort: the first generated row
  of the issue goes under its anchor parent, after its anchor sibling (or first). A rule
  whose anchor is absent from the result, or that would put a row under itself, is
  ignored: the row stays where generation put it.
* Generator rows themselves are configuration: they are left out of the result and any
  row stored under one is lifted to the generator's level.
"""

from __future__ import annotations

import gc
import hashlib
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

from hierarchies.generators.types import (
    DEFAULT_EXTEND_LEVELS,
    DEFAULT_ROW_LIMIT,
    DEFAULT_TIME_LIMIT_S,
    EffectiveForest,
    EffectiveRow,
    FieldValue,
    GenerationReport,
    GeneratorReport,
    GeneratorSpec,
    IssueData,
    JiraSource,
    MoveRule,
    Progress,
    ProgressCallback,
    SortValue,
    StaticRow,
)

EXTEND_FIELDS: dict[str, tuple[str, ...]] = {
    "extend.links": ("issuelinks",),
    "extend.subtasks": ("subtasks",),
    "extend.children": (),
}
RANK_FIELD = "rank"  # pseudo field: the adapter fills IssueData.rank

# Labels of the "no value" group for the fields users group by most.
FIELD_NAMES: dict[str, str] = {
    "status": "status",
    "assignee": "assignee",
    "reporter": "reporter",
    "priority": "priority",
    "project": "project",
    "issuetype": "issue type",
    "fixVersions": "fix version",
    "versions": "affects version",
    "labels": "labels",
    "components": "component",
    "resolution": "resolution",
}


class GeneratorInputError(Exception):
    """Jira refused a generator's input (e.g. JQL no longer valid); `str()` says why.

    Raised by a JiraSource; the engine records it on the generator and goes on.
    """


class _Stop(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class _Node:
    __slots__ = (
        "children",
        "depth",
        "item_id",
        "item_type",
        "label",
        "order",
        "origin",
        "owner",
        "parent",
        "row_id",
        "spec",
    )

    def __init__(
        self,
        item_type: str,
        item_id: int | str,
        origin: str,
        parent: _Node | None,
        depth: int,
        row_id: int = 0,
    ) -> None:
        self.item_type = item_type
        self.item_id = item_id
        self.origin = origin  # static | insert | extend | group | root
        self.parent = parent
        self.depth = depth
        self.row_id = row_id
        self.children: list[_Node] = []
        self.label: str | None = None
        self.spec: GeneratorSpec | None = None
        self.owner: _Node | None = None  # group rows: the scope parent of their grouper
        self.order = 0  # pre-order index of static rows (generator order)

    @property
    def generated(self) -> bool:
        return self.origin in ("insert", "extend", "group")


class _Generator:
    __slots__ = ("kind", "link", "node", "order", "parent", "report", "spec")

    def __init__(self, spec: GeneratorSpec, node: _Node, report: GeneratorReport):
        self.spec = spec
        self.kind = spec.kind
        self.node = node
        self.parent: _Node = node.parent or node  # static rows always have a parent
        self.order = node.order
        self.report = report
        # extend.links: (link type, direction), read once rather than per issue.
        self.link: tuple[int, str] | None = None
        if spec.kind == "extend.links":
            self.link = (
                int(spec.config["linkTypeId"]),
                str(spec.config.get("direction", "outward")),
            )

    @property
    def config(self) -> Mapping[str, Any]:
        return self.spec.config


class _Budget:
    def __init__(
        self,
        *,
        clock: Callable[[], float],
        time_limit_s: float,
        row_limit: int,
        progress: ProgressCallback | None,
    ) -> None:
        self.clock = clock
        self.start = clock()
        self.time_limit_s = time_limit_s
        self.row_limit = row_limit
        self.progress = progress
        self.rows = 0

    def elapsed(self) -> float:
        return self.clock() - self.start

    def check_time(self) -> None:
        if self.elapsed() > self.time_limit_s:
            raise _Stop("time_limit")

    def take_row(self) -> None:
        if self.rows >= self.row_limit:
            raise _Stop("row_limit")
        self.rows += 1

    def report(self, stage: str, generator_id: int | None) -> None:
        if self.progress is not None:
            self.progress(Progress(stage, generator_id, self.rows, self.elapsed()))


def forest_generate(
    *,
    rows: Sequence[StaticRow],
    generators: Mapping[int, GeneratorSpec],
    source: JiraSource,
    time_limit_s: float = DEFAULT_TIME_LIMIT_S,
    row_limit: int = DEFAULT_ROW_LIMIT,
    clock: Callable[[], float] = time.monotonic,
    progress: ProgressCallback | None = None,
    moves: Sequence[MoveRule] = (),
) -> EffectiveForest:
    """The effective forest of a structure, generated with `source`'s rights."""
    run = _Run(
        source=source,
        budget=_Budget(
            clock=clock,
            time_limit_s=time_limit_s,
            row_limit=row_limit,
            progress=progress,
        ),
    )
    with _cyclic_gc_paused():
        try:
            return run.execute(rows, generators, moves)
        finally:
            run.release()


_gc_lock = threading.Lock()
_gc_pausers = 0
_gc_was_enabled = False


@contextmanager
def _cyclic_gc_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector while a forest is generated.

    A generation allocates a few hundred thousand objects that all stay alive until
    it returns (rows, issue data, keys), so every collection it triggers scans the
    whole heap and frees nothing: on a warm run of 30,000 rows that was 3-4 full
    collections, a third of the time. Reference counting still frees everything
    acyclic; the run's own cycles are broken by `_Run.release`. Concurrent runs
    (threads) share one pause: the collector comes back when the last one ends, in
    the state it was in before the first.
    """
    global _gc_pausers, _gc_was_enabled
    with _gc_lock:
        if _gc_pausers == 0:
            _gc_was_enabled = gc.isenabled()
            gc.disable()
        _gc_pausers += 1
    try:
        yield
    finally:
        with _gc_lock:
            _gc_pausers -= 1
            if _gc_pausers == 0 and _gc_was_enabled:
                gc.enable()


class _Run:
    def __init__(self, *, source: JiraSource, budget: _Budget) -> None:
        self.source = source
        self.budget = budget
        self.root = _Node("root", 0, "root", None, 0)
        self.gens: list[_Generator] = []
        self.field_data: dict[int, IssueData] = {}
        self.fields_all: list[str] = []
        self.current: _Generator | None = None
        self._sort_keys: dict[int, Callable[[_Node], _SortKey | None]] = {}
        self._loaded_scopes: set[int] = set()

    # ---- driver --------------------------------------------------------------

    def release(self) -> None:
        """Break the tree's parent/child cycles so reference counting frees it now,
        without waiting for (or feeding) the cyclic collector."""
        stack = [self.root]
        while stack:
            node = stack.pop()
            stack += node.children
            node.children = []  # what is left points up only: no cycle
        self.field_data = {}

    def execute(
        self,
        rows: Sequence[StaticRow],
        generators: Mapping[int, GeneratorSpec],
        moves: Sequence[MoveRule] = (),
    ) -> EffectiveForest:
        self._build(rows, generators)
        self.fields_all = _fields_needed(self.gens)
        stop_reason: str | None = None
        try:
            for stage, step in (
                ("insert", self._insert),
                ("extend", self._extend),
                ("filter", self._filter),
                ("group", self._group),
                ("sort", self._sort),
            ):
                gens = [g for g in self.gens if g.spec.stage == stage]
                if gens:
                    self.budget.report(stage, None)
                    step(gens)
                    self.budget.check_time()
        except _Stop as stop:
            stop_reason = stop.reason
        if moves:
            self._apply_moves(moves)
        out = self._flatten()
        report = GenerationReport(
            generators=[g.report for g in self.gens],
            seconds=self.budget.elapsed(),
            rows=len(out),
        )
        if stop_reason is not None:
            report.stop_reason = (
                "time_limit" if stop_reason == "time_limit" else "row_limit"
            )
            report.message = self._stop_message(stop_reason)
        self.budget.report("done", None)
        return EffectiveForest(rows=out, report=report)

    def _stop_message(self, reason: str) -> str:
        if reason == "time_limit":
            why = f"the time limit of {self.budget.time_limit_s:g} s was reached"
        else:
            why = f"the limit of {self.budget.row_limit:,} rows was reached"
        text = f"Generation stopped before all generators could finish: {why}."
        if self.gens:
            top = max(self.gens, key=lambda g: g.report.seconds)
            text += (
                f" The generator that used the most time is #{top.spec.id}"
                f" ({top.spec.kind}, {top.report.seconds:.1f} s)."
            )
        return text

    def _timed(self, gen: _Generator, started: float) -> None:
        gen.report.seconds += self.budget.clock() - started

    # ---- build ---------------------------------------------------------------

    def _build(
        self, rows: Sequence[StaticRow], generators: Mapping[int, GeneratorSpec]
    ) -> None:
        stack = [self.root]
        for index, row in enumerate(rows):
            depth = max(0, min(row.depth, len(stack) - 1))
            del stack[depth + 1 :]
            parent = stack[-1]
            if parent.item_type == "generator":  # rows under a generator are lifted
                parent = parent.parent or self.root
            node = _Node(
                row.item_type,
                row.item_id,
                "static",
                parent,
                parent.depth + 1,
                row.row_id,
            )
            node.order = index
            parent.children.append(node)
            stack.append(node)
            if row.item_type == "generator":
                spec = generators.get(row.item_id)
                if spec is not None and spec.stage in (
                    "insert",
                    "extend",
                    "filter",
                    "group",
                    "sort",
                ):
                    node.spec = spec
                    self.gens.append(
                        _Generator(spec, node, GeneratorReport(spec.id, spec.kind))
                    )
            else:
                self.budget.rows += 1

    def _add(
        self, parent: _Node, item_type: str, item_id: int | str, origin: str
    ) -> _Node:
        self.budget.take_row()
        if self.budget.rows % 2048 == 0:
            self.budget.check_time()
        return _Node(item_type, item_id, origin, parent, parent.depth + 1)

    # ---- insert --------------------------------------------------------------

    def _insert(self, gens: list[_Generator]) -> None:
        for gen in gens:
            self.budget.report("insert", gen.spec.id)
            started = self.budget.clock()
            try:
                ids = self._insert_ids(gen)
            except GeneratorInputError as exc:
                gen.report.error = str(exc)
                ids = []
            finally:
                self._timed(gen, started)
            started = self.budget.clock()
            try:
                seen: set[int] = set()
                new: list[_Node] = []
                try:
                    for issue_id in ids:
                        if issue_id not in seen:
                            seen.add(issue_id)
                            new.append(
                                self._add(gen.parent, "issue", issue_id, "insert")
                            )
                finally:
                    at = gen.parent.children.index(gen.node) + 1
                    gen.parent.children[at:at] = new
                    gen.report.rows += len(new)
            finally:
                self._timed(gen, started)
            self.budget.check_time()

    def _insert_ids(self, gen: _Generator) -> list[int]:
        kind, config = gen.spec.kind, gen.config
        if kind == "insert.jql":
            return self.source.search_ids(str(config["jql"]))
        if kind == "insert.text":
            text = str(config["text"]).replace("\\", "\\\\").replace('"', '\\"')
            return self.source.search_ids(f'text ~ "{text}"')
        issue_id = int(config["issueId"])
        return self.source.child_ids([issue_id]).get(issue_id, [])

    # ---- extend --------------------------------------------------------------

    def _applicable(
        self, node: _Node, candidates: list[tuple[_Generator, int, int]]
    ) -> list[tuple[_Generator, int, int]]:
        """Extenders (gen, base depth, levels) whose level range holds `node`."""
        return [c for c in candidates if node.depth - c[1] <= c[2]]

    def _extend(self, gens: list[_Generator]) -> None:
        by_parent: dict[int, list[tuple[_Generator, int, int]]] = {}
        for gen in gens:
            levels = int(gen.config.get("levels") or DEFAULT_EXTEND_LEVELS)
            by_parent.setdefault(id(gen.parent), []).append(
                (gen, gen.parent.depth, levels)
            )
        frontier: list[tuple[_Node, list[tuple[_Generator, int, int]]]] = []

        def walk(node: _Node, active: list[tuple[_Generator, int, int]]) -> None:
            here = active + by_parent.get(id(node), [])
            for child in node.children:
                if child.item_type == "generator":
                    continue
                applicable = self._applicable(child, here)
                if child.item_type == "issue" and applicable:
                    frontier.append((child, applicable))
                walk(child, here)

        walk(self.root, [])
        while frontier:
            frontier = self._extend_wave(frontier)
            self.budget.report("extend", None)
            self.budget.check_time()

    def _extend_wave(
        self, frontier: list[tuple[_Node, list[tuple[_Generator, int, int]]]]
    ) -> list[tuple[_Node, list[tuple[_Generator, int, int]]]]:
        involved: dict[int, _Generator] = {}
        need_data: set[int] = set()
        need_children: set[int] = set()
        for node, applicable in frontier:
            for gen, _base, _levels in applicable:
                involved[gen.spec.id] = gen
                if gen.spec.kind == "extend.children":
                    need_children.add(int(node.item_id))
                else:
                    need_data.add(int(node.item_id))
        started = self.budget.clock()
        # Ask once for every field any stage needs: one cache entry per issue serves
        # extend, group and sort alike.
        need_data -= self.field_data.keys()
        if need_data:
            self.field_data.update(self.source.issues(need_data, self.fields_all))
        data = self.field_data
        children = self.source.child_ids(need_children) if need_children else {}
        share = (self.budget.clock() - started) / max(1, len(involved))
        for gen in involved.values():
            gen.report.seconds += share
        self.budget.check_time()

        next_frontier: list[tuple[_Node, list[tuple[_Generator, int, int]]]] = []
        candidates_of = self._extend_candidates
        add = self._add
        added: dict[int, int] = dict.fromkeys(involved, 0)
        started = self.budget.clock()
        try:
            for node, applicable in frontier:
                issue_id = int(node.item_id)
                # Most rows of a big forest get no children: the sets below are built
                # only for rows that have candidates.
                existing: set[int] | None = None
                ancestors: set[int] = set()
                child_applicable: list[tuple[_Generator, int, int]] = []
                issue = data.get(issue_id)
                subtasks = issue.subtask_ids if issue is not None else ()
                has_links = issue is not None and bool(issue.links)
                for gen, _base, _levels in applicable:
                    # The common cases inline (60,000 calls on a 30k-row forest).
                    kind = gen.kind
                    candidates: Sequence[int]
                    if kind == "extend.subtasks":
                        candidates = subtasks
                    elif kind == "extend.links" and not has_links:
                        continue
                    else:
                        candidates = candidates_of(gen, issue_id, data, children)
                    if not candidates:
                        continue
                    if existing is None:
                        existing = {
                            int(c.item_id)
                            for c in node.children
                            if c.item_type == "issue"
                        }
                        ancestors = _ancestor_issue_ids(node)
                        child_applicable = [
                            c for c in applicable if node.depth + 1 - c[1] <= c[2]
                        ]
                    rows = 0
                    for child_id in candidates:
                        if child_id in existing or child_id in ancestors:
                            continue
                        child = add(node, "issue", child_id, "extend")
                        node.children.append(child)
                        existing.add(child_id)
                        rows += 1
                        if child_applicable:
                            next_frontier.append((child, child_applicable))
                    gen.report.rows += rows
                    added[gen.spec.id] += rows
        finally:
            # One clock reading for the wave, not two per row and extender: the
            # time is shared by the rows each extender added (evenly if none).
            spent = self.budget.clock() - started
            total = sum(added.values())
            for gen_id, rows in added.items():
                involved[gen_id].report.seconds += (
                    spent * rows / total if total else spent / len(added)
                )
        return next_frontier

    @staticmethod
    def _extend_candidates(
        gen: _Generator,
        issue_id: int,
        data: Mapping[int, IssueData],
        children: Mapping[int, list[int]],
    ) -> Sequence[int]:
        kind = gen.kind
        if kind == "extend.children":
            return children.get(issue_id, ())
        issue = data.get(issue_id)
        if issue is None:
            return ()
        if kind == "extend.subtasks":
            return issue.subtask_ids
        links = issue.links
        if not links or gen.link is None:
            return ()
        type_id, direction = gen.link
        return [
            link.issue_id
            for link in links
            if link.type_id == type_id and link.direction == direction
        ]

    # ---- filter --------------------------------------------------------------

    def _filter(self, gens: list[_Generator]) -> None:
        for gen in gens:
            self.budget.report("filter", gen.spec.id)
            started = self.budget.clock()
            try:
                before = self.budget.rows
                if gen.spec.kind == "filter.duplicates":
                    self._filter_duplicates(gen)
                else:
                    self._filter_jql(gen)
                gen.report.rows += before - self.budget.rows
            except GeneratorInputError as exc:
                gen.report.error = str(exc)
            finally:
                self._timed(gen, started)
            self.budget.check_time()

    def _scope_issue_ids(self, scope: _Node) -> set[int]:
        return {int(n.item_id) for n in _descendants(scope) if n.item_type == "issue"}

    def _filter_jql(self, gen: _Generator) -> None:
        ids = self._scope_issue_ids(gen.parent)
        matched = self.source.match_ids(str(gen.config["jql"]), ids) if ids else set()
        keep_folders = bool(gen.config.get("keepFolders", False))

        def prune(node: _Node) -> bool:
            node.children = [c for c in node.children if prune(c)]
            if node.item_type == "generator":
                return True
            if node.item_type == "issue":
                keep = int(node.item_id) in matched or _holds_content(node)
            else:
                keep = keep_folders or _holds_content(node)
            if not keep:
                self.budget.rows -= 1
            return keep

        gen.parent.children = [c for c in gen.parent.children if prune(c)]

    def _filter_duplicates(self, gen: _Generator) -> None:
        scope = list(_descendants(gen.parent))
        extended = Counter(int(n.item_id) for n in scope if n.origin == "extend")
        inserted = [n for n in scope if n.origin == "insert"]
        seen: set[int] = set()
        for node in inserted:
            issue_id = int(node.item_id)
            inner = [n for n in _descendants(node) if n.origin == "extend"]
            inside = sum(1 for n in inner if int(n.item_id) == issue_id)
            if extended[issue_id] - inside > 0 or issue_id in seen:
                if node.parent is not None:
                    node.parent.children.remove(node)
                extended.subtract(int(n.item_id) for n in inner)
                self.budget.rows -= 1 + len(list(_descendants(node)))
            else:
                seen.add(issue_id)

    # ---- group ---------------------------------------------------------------

    def _load_fields(self, gens: list[_Generator]) -> None:
        fields = self.fields_all
        # Scopes loaded already (the groupers load their sorters' too) are skipped:
        # after the group stage no new issue enters a scope, only copies.
        scopes: dict[int, _Node] = {
            id(g.parent): g.parent
            for g in gens
            if id(g.parent) not in self._loaded_scopes
        }
        self._loaded_scopes.update(scopes)
        ids: set[int] = set()
        for scope in scopes.values():
            ids |= self._scope_issue_ids(scope)
        ids -= self.field_data.keys()
        if ids and fields:
            started = self.budget.clock()
            self.field_data.update(self.source.issues(ids, fields))
            share = (self.budget.clock() - started) / len(gens)
            for gen in gens:
                gen.report.seconds += share
            self.budget.check_time()

    def _values(self, node: _Node, field_id: str) -> tuple[FieldValue, ...]:
        issue = self.field_data.get(int(node.item_id))
        if issue is None:
            return ()
        return issue.fields.get(field_id, ())

    def _group(self, gens: list[_Generator]) -> None:
        later = [
            g for g in self.gens if g.spec.stage == "sort"
        ]  # one bulk fetch for groupers and sorters
        self._load_fields(gens + later)
        for gen in gens:
            self.budget.report("group", gen.spec.id)
            started = self.budget.clock()
            try:
                for container in _group_containers(gen.parent):
                    self._group_container(gen, container)
            finally:
                self._timed(gen, started)
            self.budget.check_time()

    def _group_container(self, gen: _Generator, container: _Node) -> None:
        field_id = str(gen.config["fieldId"])
        others: list[_Node] = []
        buckets: dict[str, tuple[FieldValue | None, list[_Node]]] = {}
        for child in container.children:
            if child.item_type != "issue":
                others.append(child)
                continue
            values = self._values(child, field_id) or (None,)
            for i, value in enumerate(dict.fromkeys(values)):
                key = "" if value is None else value.key
                bucket = buckets.setdefault(key, (value, []))
                bucket[1].append(child if i == 0 else self._clone(child))

        def bucket_order(key: str) -> tuple[int, tuple[tuple[int, SortValue], ...]]:
            value = buckets[key][0]
            if value is None:
                return (1, ())
            return (0, _sortable(value.order))

        groups: list[_Node] = []
        for key in sorted(buckets, key=bucket_order):
            value, members = buckets[key]
            group = self._add(container, "group", f"{field_id}:{key}", "group")
            group.owner = gen.parent
            group.label = (
                value.label
                if value is not None
                else f"No {FIELD_NAMES.get(field_id, field_id)}"
            )
            gen.report.rows += 1
            for member in members:
                member.parent = group
                _shift_depth(member, group.depth + 1)
            group.children = members
            groups.append(group)
        container.children = others + groups

    def _clone(self, node: _Node) -> _Node:
        copy = _Node(node.item_type, node.item_id, node.origin, node.parent, node.depth)
        copy.row_id = node.row_id if node.origin == "static" else 0
        self.budget.take_row()
        copy.children = [self._clone(c) for c in node.children]
        for c in copy.children:
            c.parent = copy
        if node.origin == "static":
            copy.origin = "extend"  # a copy made by a grouper is generated content
        return copy

    # ---- sort ----------------------------------------------------------------

    def _sort(self, gens: list[_Generator]) -> None:
        self._load_fields(gens)
        by_parent: dict[int, list[_Generator]] = {}
        for gen in gens:
            by_parent.setdefault(id(gen.parent), []).append(gen)
        started = self.budget.clock()
        stack: list[tuple[_Node, list[_Generator]]] = [(self.root, [])]
        while stack:
            node, active = stack.pop()
            here = active + by_parent.get(id(node), [])
            if here:
                here.sort(key=lambda g: g.order)
                self._sort_children(node, here)
            stack.extend((c, here) for c in node.children if c.children)
        share = (self.budget.clock() - started) / len(gens)
        for gen in gens:
            gen.report.seconds += share
            self.budget.report("sort", gen.spec.id)

    def _sort_children(self, node: _Node, sorters: list[_Generator]) -> None:
        children = node.children
        slots = [i for i, c in enumerate(children) if c.item_type == "issue"]
        if len(slots) < 2:
            return
        items = [children[i] for i in slots]
        for gen in reversed(sorters):  # bottom to top: the top sorter is primary
            key_of = self._sort_key_of(gen)
            present: list[tuple[_SortKey, _Node]] = []
            missing: list[_Node] = []
            for item in items:
                key = key_of(item)
                if key is None:
                    missing.append(item)
                else:
                    present.append((key, item))
            present.sort(
                key=_first, reverse=gen.config.get("direction", "asc") == "desc"
            )
            items = [kn[1] for kn in present]
            items += missing
        for i, item in zip(slots, items, strict=True):
            children[i] = item

    def _sort_key_of(self, gen: _Generator) -> Callable[[_Node], _SortKey | None]:
        """The sort key of a row for `gen` (None: no value), made once per sorter.

        Issues share their FieldValue tuples (the source builds equal values once),
        so each distinct tuple's key is computed once, not once per row.
        """
        found = self._sort_keys.get(gen.spec.id)
        if found is not None:
            return found
        data = self.field_data
        if gen.spec.kind == "sort.rank":

            def rank_key(node: _Node) -> _SortKey | None:
                issue = data.get(int(node.item_id))
                return ((1, issue.rank),) if issue is not None and issue.rank else None

            self._sort_keys[gen.spec.id] = rank_key
            return rank_key
        field_id = str(gen.config["fieldId"])
        memo: dict[int, tuple[tuple[FieldValue, ...], _SortKey]] = {}

        def field_key(node: _Node) -> _SortKey | None:
            issue = data.get(int(node.item_id))
            if issue is None:
                return None
            values = issue.fields.get(field_id, ())
            if not values:
                return None
            hit = memo.get(id(values))
            if hit is None:
                # The tuple is kept with its key, so its id cannot be reused.
                hit = memo[id(values)] = (
                    values,
                    min(_sortable(v.order) for v in values),
                )
            return hit[1]

        self._sort_keys[gen.spec.id] = field_key
        return field_key

    # ---- manual moves --------------------------------------------------------

    def _apply_moves(self, moves: Sequence[MoveRule]) -> None:
        refs: dict[str, _Node] = {}
        for each in _descendants(self.root):
            ref = _ref(each)
            if ref is not None and ref not in refs:
                refs[ref] = each
        for rule in moves:
            node = refs.get(f"issue:{rule.issue_id}")
            parent = refs.get(rule.under) if rule.under else self.root
            if node is None or parent is None or node.parent is None:
                continue  # the row or the anchor is gone: generation decides
            up: _Node | None = parent
            while up is not None and up is not node:
                up = up.parent
            if up is node:
                continue  # under itself or its own descendant
            after = refs.get(rule.after) if rule.after else None
            if rule.after and (
                after is None or after is node or after.parent is not parent
            ):
                continue
            node.parent.children.remove(node)
            at = parent.children.index(after) + 1 if after is not None else 0
            parent.children.insert(at, node)
            node.parent = parent
            _shift_depth(node, parent.depth + 1)

    # ---- output --------------------------------------------------------------

    def _flatten(self) -> list[EffectiveRow]:
        out: list[EffectiveRow] = []
        append = out.append
        used: set[int] = set()
        row_id_of = _generated_row_id
        row = EffectiveRow
        generated_origins = ("insert", "extend", "group")
        # Pre-order (node, depth, parent row id), generator rows left out (their
        # children take their place): inlined for 30,000+ rows.
        stack = [(c, 0, 0) for c in reversed(self.root.children)]
        pop, push = stack.pop, stack.extend
        while stack:
            node, depth, parent_row = pop()
            if node.item_type == "generator":
                push((c, depth, parent_row) for c in reversed(node.children))
                continue
            origin = node.origin
            if origin == "static":
                row_id = node.row_id
            else:
                row_id = row_id_of(parent_row, node, used)
                node.row_id = row_id
            used.add(row_id)
            append(
                row(
                    row_id,
                    depth,
                    node.item_type,
                    node.item_id,
                    origin in generated_origins,
                    node.label,
                )
            )
            if node.children:
                push((c, depth + 1, row_id) for c in reversed(node.children))
        return out


# ---- helpers -----------------------------------------------------------------


def _fields_needed(gens: list[_Generator]) -> list[str]:
    fields: set[str] = set()
    for gen in gens:
        fields.update(EXTEND_FIELDS.get(gen.spec.kind, ()))
        if gen.spec.stage in ("group", "sort") and "fieldId" in gen.config:
            fields.add(str(gen.config["fieldId"]))
        if gen.spec.kind == "sort.rank":
            fields.add(RANK_FIELD)
    return sorted(fields)


def _ancestor_issue_ids(node: _Node) -> set[int]:
    """The issue IDs of a row and of its ancestors (extend never adds these)."""
    ids = {int(node.item_id)}
    up = node.parent
    while up is not None:
        if up.item_type == "issue":
            ids.add(int(up.item_id))
        up = up.parent
    return ids


def _ref(node: _Node) -> str | None:
    """How a move rule names a row: static rows by row ID, generated ones by item."""
    if node.item_type == "generator":
        return None
    if node.origin == "static":
        return f"row:{node.row_id}"
    return f"{node.item_type}:{node.item_id}"


def _descendants(node: _Node) -> Iterator[_Node]:
    stack = list(reversed(node.children))
    while stack:
        n = stack.pop()
        yield n
        stack.extend(reversed(n.children))


def _holds_content(node: _Node) -> bool:
    return any(c.item_type != "generator" for c in node.children)


def _shift_depth(node: _Node, depth: int) -> None:
    delta = depth - node.depth
    if delta:
        node.depth = depth
        for n in _descendants(node):
            n.depth += delta


def _group_containers(scope: _Node) -> list[_Node]:
    """Sibling lists a grouper of `scope` works on: level 1, inside earlier groups."""
    out: list[_Node] = []
    stack = [scope]
    while stack:
        node = stack.pop()
        groups = [c for c in node.children if c.origin == "group" and c.owner is scope]
        if groups:
            stack.extend(reversed(groups))
        else:
            out.append(node)
    return out


_SortKey = tuple[tuple[int, SortValue], ...]


def _first(pair: tuple[_SortKey, _Node]) -> _SortKey:
    return pair[0]


def _sortable(order: tuple[SortValue, ...]) -> tuple[tuple[int, SortValue], ...]:
    """Numbers before text, text case-insensitive: values of one field always compare."""
    return tuple(
        (0, v) if isinstance(v, int | float) else (1, str(v).casefold()) for v in order
    )


_blake2b = hashlib.blake2b


def _generated_row_id(parent_row: int, node: _Node, used: set[int]) -> int:
    """A negative row ID derived from the row's place, stable across regenerations."""
    key = f"{parent_row}/{node.item_type}/{node.item_id}".encode()
    value = int.from_bytes(_blake2b(key, digest_size=8).digest(), "big")
    row_id = -((value & ((1 << 52) - 1)) + 1)
    while row_id in used:  # the same item twice under one parent, or a collision
        row_id = row_id - 1 if row_id > -(1 << 53) + 1 else -1
    return row_id
