"""Permission-aware reads of the board: views, the viewer's forest, rows and totals.

The structure and its forest come from `hierarchies` (the viewer's forest, hidden
issues already removed); issue data comes from `jira_sync`'s cache, for the whole tree
only for the fields that totals and progress need, and for display only for the rows
on screen. A Jira failure never becomes a 500: the board shows what it has and names
the problem in `BoardData.jira_problem`.
"""

import dataclasses
import datetime as dt
import hashlib
import json
from array import array
from collections.abc import Callable, Container, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import compress
from typing import Any

from django.conf import settings
from django.core.cache import caches
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils import timezone

from boards import board as board_lib
from boards.columns import (
    DEFAULT_COLUMNS,
    Column,
    ColumnsError,
    columns_json,
    columns_parse,
    display_fields,
    totals_fields,
)
from boards.models import VIEW_LEVEL_NAMES, View, ViewLevel
from boards.totals import ForestShape
from hierarchies import access as hierarchies_access
from hierarchies import selectors as hierarchies_selectors
from hierarchies.forest import ITEM_ISSUE
from hierarchies.generators import selectors as generator_selectors
from hierarchies.models import (
    Folder,
    GeneratorConfig,
    Level,
    PermissionRule,
    RuleSubject,
    Structure,
)
from hierarchies.permissions import Rule, rule_matches
from jira_sync import selectors as jira_selectors
from jira_sync.client import JiraError, JiraRateLimited, JiraUnavailable
from jira_sync.models import Tenant
from jira_sync.types import JiraRoleActors

# Item type code -> 1 for issue rows (a stored forest's type codes are bytes).
_ISSUE_MASK = bytes(int(code == ITEM_ISSUE) for code in range(256))
# Issue data is fetched in slices so one slow or failing batch leaves the rest shown.
FETCH_SLICE = 2000
BUILTIN_VIEW_NAME = "Default columns"


# --- views -----------------------------------------------------------------------------


@dataclass(frozen=True)
class ViewAccess:
    """A view (or the built-in default columns when `view` is None) and the viewer's level."""

    view: View | None
    level: ViewLevel
    columns: list[Column]

    @property
    def id(self) -> int | None:
        return self.view.pk if self.view else None

    @property
    def name(self) -> str:
        return self.view.name if self.view else BUILTIN_VIEW_NAME

    @property
    def expand_depth(self) -> int:
        return self.view.expand_depth if self.view else 1

    @property
    def is_default(self) -> bool:
        return self.view.is_default if self.view else False

    @property
    def level_name(self) -> str:
        return VIEW_LEVEL_NAMES[self.level]


def _view_columns(view: View | None) -> list[Column]:
    if view is None:
        return columns_parse(DEFAULT_COLUMNS)
    try:
        return columns_parse(view.columns)
    except ColumnsError:
        # Stored columns were validated on save; a later rule change must not break
        # the board, so fall back to the defaults.
        return columns_parse(DEFAULT_COLUMNS)


def view_level_get(
    *,
    view: View,
    account_id: str,
    memberships: hierarchies_access.Memberships,
    structure_level: int,
) -> ViewLevel:
    """MANAGE for the owner and the structure's controllers; USE of the default view
    for everyone who sees the structure; otherwise the highest matching rule."""
    if structure_level < Level.VIEW:
        return ViewLevel.NONE
    if account_id and account_id == view.owner_account_id:
        return ViewLevel.MANAGE
    if structure_level >= Level.CONTROL:
        return ViewLevel.MANAGE
    best = ViewLevel.USE if view.is_default else ViewLevel.NONE
    for rule in view.rules.all():
        as_rule = Rule(
            subject_type=rule.subject_type,
            level=rule.level,
            account_id=rule.account_id,
            group_name=rule.group_name,
            project_id=rule.project_id,
            role_id=rule.role_id,
        )
        if rule.level > best and rule_matches(
            as_rule, account_id=account_id, memberships=memberships
        ):
            best = ViewLevel(rule.level)
    return best


def _view_level(
    view: View,
    *,
    structure_access: hierarchies_selectors.StructureAccess,
    account_id: str,
) -> ViewLevel:
    """`view_level_get` for one view, with the viewer's memberships looked up."""
    memberships = hierarchies_access.viewer_memberships(
        tenant=structure_access.structure.tenant, account_id=account_id
    )
    return view_level_get(
        view=view,
        account_id=account_id,
        memberships=memberships,
        structure_level=structure_access.level,
    )


def view_list_for_viewer(
    *, structure_access: hierarchies_selectors.StructureAccess, account_id: str
) -> list[ViewAccess]:
    """Views of the structure the viewer may use, default first."""
    structure = structure_access.structure
    memberships = hierarchies_access.viewer_memberships(
        tenant=structure.tenant, account_id=account_id
    )
    found = []
    for view in View.objects.filter(structure=structure).prefetch_related("rules"):
        level = view_level_get(
            view=view,
            account_id=account_id,
            memberships=memberships,
            structure_level=structure_access.level,
        )
        if level >= ViewLevel.USE:
            found.append(ViewAccess(view, level, _view_columns(view)))
    found.sort(key=lambda v: (not v.is_default, v.name.lower()))
    return found


def view_get_for_viewer(
    *,
    structure_access: hierarchies_selectors.StructureAccess,
    account_id: str,
    view_id: int,
    level: ViewLevel = ViewLevel.USE,
) -> ViewAccess:
    """A view of the structure if the viewer has `level` on it (404 when not usable)."""
    view = (
        View.objects.filter(structure=structure_access.structure, pk=view_id)
        .prefetch_related("rules")
        .first()
    )
    if view is None:
        raise Http404("No such view of this structure.")
    have = _view_level(view, structure_access=structure_access, account_id=account_id)
    if have < ViewLevel.USE:
        raise Http404("No such view of this structure.")
    if have < level:
        raise PermissionDenied(
            f"This needs {VIEW_LEVEL_NAMES[level]} permission on the view; "
            f"you have {VIEW_LEVEL_NAMES[have]}."
        )
    return ViewAccess(view, have, _view_columns(view))


def view_effective_get(
    *,
    structure_access: hierarchies_selectors.StructureAccess,
    account_id: str,
    view_id: int | None,
) -> ViewAccess:
    """The view to show: the one asked for, else the structure's default, else built-in."""
    if view_id is not None:
        return view_get_for_viewer(
            structure_access=structure_access, account_id=account_id, view_id=view_id
        )
    default = (
        View.objects.filter(structure=structure_access.structure, is_default=True)
        .prefetch_related("rules")
        .first()
    )
    if default is not None:
        # The default view is usable by everyone who sees the structure; its owner,
        # the structure's controllers and its rules may still grant more.
        level = _view_level(
            default, structure_access=structure_access, account_id=account_id
        )
        return ViewAccess(default, max(level, ViewLevel.USE), _view_columns(default))
    return ViewAccess(None, ViewLevel.USE, _view_columns(None))


# --- the board -------------------------------------------------------------------------


@dataclass
class BoardData:
    """One board request: structure and view, the viewer's forest, totals over it."""

    tenant: Tenant
    account_id: str
    structure_access: hierarchies_selectors.StructureAccess
    view: ViewAccess
    forest: board_lib.ForestData
    totals: board_lib.BoardTotals
    data_as_of: dt.datetime
    jira_problem: str = ""
    generation: dict[str, Any] = field(default_factory=dict)

    @property
    def structure(self) -> Structure:
        return self.structure_access.structure

    @property
    def can_edit(self) -> bool:
        return self.structure_access.level >= Level.EDIT


@dataclass(frozen=True)
class RowsPage:
    rows: list[board_lib.RowView]
    next_offset: int | None
    more_under: int | None
    more_depth: int
    # Quick filter: the text, the row IDs that match it and how many rows match.
    filter_text: str = ""
    matches: frozenset[int] = frozenset()
    match_count: int = 0


def structure_access_get(
    *, tenant: Tenant, account_id: str, structure_id: int, level: int = Level.VIEW
) -> hierarchies_selectors.StructureAccess:
    """The structure if the viewer has `level` (404 when they cannot see it)."""
    return hierarchies_selectors.structure_get_for_viewer(
        tenant=tenant,
        account_id=account_id,
        structure_id=structure_id,
        level=Level(level),
    )


@dataclass(frozen=True)
class SharingEntry:
    """A subject of a structure's sharing, with the name people know it by."""

    rule: RuleSubject
    label: str


@dataclass(frozen=True)
class Sharing:
    """What a Share dialog shows: the owner, the rules, the roles one may add."""

    owner_name: str
    rules: list[SharingEntry]
    roles: list[SharingEntry]


# Jira's role for Connect apps themselves: not one people are shared with.
APPS_ROLE_NAME = "atlassian-addons-project-access"


def _role_label(role: JiraRoleActors) -> str:
    name = role.role_name or f"Role {role.role_id}"
    return f"{name} in {role.project_key or f'project {role.project_id}'}"


def structure_sharing_get(*, tenant: Tenant, structure: Structure) -> Sharing:
    """The structure's rules, named (CONTROL only: the caller checks)."""
    return _sharing_named(
        tenant=tenant,
        owner=structure.owner_account_id,
        rules=hierarchies_selectors.permission_rules_list(structure=structure),
    )


def view_sharing_get(*, tenant: Tenant, view: View) -> Sharing:
    """The view's rules, named (MANAGE on the view only: the caller checks)."""
    return _sharing_named(
        tenant=tenant, owner=view.owner_account_id, rules=list(view.rules.all())
    )


def _sharing_named(
    *, tenant: Tenant, owner: str, rules: Sequence[RuleSubject]
) -> Sharing:
    """Rules named as Jira names their subjects: names are asked of Jira now, roles
    come from the roles cache."""
    names = jira_selectors.user_names_get(
        tenant=tenant,
        account_ids=[owner, *(r.account_id for r in rules if r.subject_type == "user")],
    )
    roles = jira_selectors.role_actors_get(tenant)
    role_labels = {(a.project_id, a.role_id): _role_label(a) for a in roles}

    def label(rule: RuleSubject) -> str:
        if rule.subject_type == "user":
            return names.get(rule.account_id, f"Unknown user ({rule.account_id})")
        if rule.subject_type == "group":
            return rule.group_name
        if rule.subject_type == "projectRole":
            key = (int(rule.project_id or 0), int(rule.role_id or 0))
            return role_labels.get(key, f"Role {key[1]} in project {key[0]}")
        return "Everyone"

    return Sharing(
        owner_name=names.get(owner, owner),
        rules=[SharingEntry(r, label(r)) for r in rules],
        roles=sorted(
            (
                SharingEntry(
                    PermissionRule(
                        subject_type="projectRole",
                        project_id=a.project_id,
                        role_id=a.role_id,
                    ),
                    role_labels[(a.project_id, a.role_id)],
                )
                for a in roles
                if a.role_name != APPS_ROLE_NAME
            ),
            key=lambda e: e.label.lower(),
        ),
    )


def _labels(
    structure: Structure,
    types: Sequence[str],
    row_ids: Sequence[int],
    items: Sequence[int],
) -> dict[int, str]:
    if "folder" not in types and "generator" not in types:
        return {}
    folder_ids = {i for t, i in zip(types, items, strict=True) if t == "folder"}
    generator_ids = {i for t, i in zip(types, items, strict=True) if t == "generator"}
    names: dict[tuple[str, int], str] = {}
    if folder_ids:
        for pk, name in Folder.objects.filter(
            structure=structure, pk__in=folder_ids
        ).values_list("pk", "name"):
            names[("folder", pk)] = name
    if generator_ids:
        kinds = dict(GeneratorConfig.Kind.choices)
        for pk, kind in GeneratorConfig.objects.filter(
            structure=structure, pk__in=generator_ids
        ).values_list("pk", "kind"):
            names[("generator", pk)] = str(kinds.get(kind, kind))
    return {
        row_id: names[(t, i)]
        for t, row_id, i in zip(types, row_ids, items, strict=True)
        if (t, i) in names
    }


def board_forest_get(
    *, tenant: Tenant, account_id: str, structure: Structure
) -> tuple[board_lib.ForestData, dict[str, Any]]:
    """The viewer's effective forest (stored rows, then generators, then the viewer
    rule) as parallel lists, and what the board says about generation.

    The generation dict has ``running`` (another request or a worker is generating
    right now, with ``rows`` and ``seconds`` so far; ``generating`` when the forest is
    the stored rows only and the generated ones come when the worker is done) or ``message`` (the last run stopped early, e.g. at
    the time or row limit, and this is a partial result)."""
    before = generator_selectors.generation_progress_get(structure=structure) or {}
    effective = generator_selectors.structure_forest_effective_columns(
        structure=structure, account_id=account_id, background=True
    )
    row_ids = effective.row_ids
    types = effective.item_types
    # Only generated rows (groups) have non-numeric item IDs.
    items: Sequence[int] = (
        [i if isinstance(i, int) else 0 for i in effective.item_ids]
        if any(effective.generated)
        else effective.item_ids  # type: ignore[assignment]
    )
    labels = _labels(structure, types, row_ids, items)
    for row_id, label in effective.labels.items():
        if label:
            labels[row_id] = label
    forest = board_lib.ForestData(
        version=effective.version,
        row_ids=row_ids,
        depths=effective.depths,
        item_types=types,
        item_ids=items,
        generated=effective.generated,
        labels=labels,
    )
    generation: dict[str, Any] = {}
    if effective.generating:
        # A worker generates the rest: stored rows now, board.js polls the progress.
        progress = generator_selectors.generation_progress_get(structure=structure)
        progress = progress or {}
        rows = int(progress.get("rows", 0))
        stage = str(progress.get("stage") or "queued")
        if progress.get("state") == "stopped" and stage == "failed":
            generation = {"generating": True, "message": progress.get("message")}
        else:
            generation = {
                "running": True,
                "generating": True,
                "stage": stage,
                "rows": rows,
                "seconds": progress.get("seconds", 0),
                "message": f"Generating rows… ({stage}, {rows:,} rows so far)",
            }
    elif (
        before.get("state") == "running" and before.get("version") == effective.version
    ):
        generation = {
            "running": True,
            "rows": before.get("rows", 0),
            "seconds": before.get("seconds", 0),
            "message": f"{before.get('rows', 0):,} rows so far "
            f"({before.get('seconds', 0):.0f} s).",
        }
    elif not effective.complete:
        generation = {
            "message": effective.message
            or "Generation stopped early; the structure shows a partial result."
        }
    return forest, generation


def _problem_text(exc: JiraError) -> str:
    if isinstance(exc, JiraRateLimited):
        return "Jira asked us to slow down (rate limit)."
    if isinstance(exc, JiraUnavailable):
        return "Jira did not answer in time."
    return "Jira answered with an error."


def issue_fields_get(
    *, tenant: Tenant, issue_ids: Iterable[int], fields: Sequence[str]
) -> tuple[dict[int, dict[str, Any]], str]:
    """``{issue id: {"key", "fields"}}`` from the cache (misses from Jira), and a
    problem text when Jira failed; what was fetched before the failure is kept."""
    ids = list(dict.fromkeys(issue_ids))
    found: dict[int, dict[str, Any]] = {}
    if not ids or not fields:
        return found, ""
    for start in range(0, len(ids), FETCH_SLICE):
        try:
            issues = jira_selectors.issues_get(
                tenant=tenant, issue_ids=ids[start : start + FETCH_SLICE], fields=fields
            )
        except JiraError as exc:
            return found, _problem_text(exc)
        for issue_id, issue in issues.items():
            found[issue_id] = {"key": issue.key, "fields": issue.fields}
    return found, ""


def _totals_cache_key(
    tenant: Tenant, forest: board_lib.ForestData, columns: Sequence[Column]
) -> str:
    """Totals depend on the viewer's rows (so on what they may browse), the columns and
    Jira's data: the key digests the first two and carries the tenant's search
    generation, which issue webhooks bump."""
    digest = hashlib.blake2b(digest_size=16)
    digest.update(array("q", forest.row_ids).tobytes())
    digest.update(array("q", forest.item_ids).tobytes())
    digest.update(bytes(forest.depths))
    digest.update("\x00".join(forest.item_types).encode())
    digest.update(json.dumps(columns_json(columns), sort_keys=True).encode())
    generation = jira_selectors.search_generation_get(tenant=tenant)
    return f"boards:v2:{tenant.client_key}:totals:{generation}:{digest.hexdigest()}"


def _board_totals_get(
    *, tenant: Tenant, forest: board_lib.ForestData, view: ViewAccess
) -> tuple[board_lib.BoardTotals, str]:
    """Totals over the whole tree, from a short-lived cache when this viewer's forest
    and Jira's data have not changed; otherwise from the issue fields (one pass)."""
    if not any(c.is_total for c in view.columns):
        shape, index_of_row = board_lib.board_shape(forest)
        return board_lib.BoardTotals(shape, forest.issue_ids(), {}, index_of_row), ""
    cache = caches["jira"]
    key = _totals_cache_key(tenant, forest, view.columns)
    cached = cache.get(key)
    if cached is not None:
        # The key digests the depths, so the cached shape is this forest's.
        parent, end = array("i"), array("i")
        parent.frombytes(cached["parent"])
        end.frombytes(cached["end"])
        columns = {
            int(index): board_lib.ColumnValues(values, total)
            for index, (values, total) in cached["columns"].items()
        }
        return board_lib.BoardTotals(
            ForestShape(parent=parent.tolist(), end=end.tolist()),
            forest.issue_ids(),
            columns,
            board_lib.RowIndex(forest.row_ids),
        ), ""
    issue_ids = [
        i
        for t, i in zip(forest.item_types, forest.item_ids, strict=True)
        if t == "issue"
    ]
    data, problem = issue_fields_get(
        tenant=tenant, issue_ids=issue_ids, fields=totals_fields(view.columns)
    )
    fields_only: Mapping[int, Mapping[str, Any]] = {
        issue_id: issue["fields"] for issue_id, issue in data.items()
    }
    totals = board_lib.board_totals(forest, view.columns, fields_only)
    if not problem:
        # Derived from Jira data: kept no longer than the issue data itself.
        cache.set(
            key,
            {
                "columns": {i: (c.values, c.total) for i, c in totals.columns.items()},
                "parent": array("i", totals.shape.parent).tobytes(),
                "end": array("i", totals.shape.end).tobytes(),
            },
            settings.JIRA_CACHE_TTLS["issue"],
        )
    return totals, problem


def board_get(
    *,
    tenant: Tenant,
    account_id: str,
    structure_id: int,
    view_id: int | None = None,
    columns: Sequence[Column] | None = None,
) -> BoardData:
    """A board for the viewer: access, view, forest and totals over the whole tree.

    `columns` replaces the view's columns for this request (the viewer's unsaved
    changes); the view, its level and its stored columns stay as they are."""
    structure_access = structure_access_get(
        tenant=tenant, account_id=account_id, structure_id=structure_id
    )
    view = view_effective_get(
        structure_access=structure_access, account_id=account_id, view_id=view_id
    )
    if columns is not None:
        view = dataclasses.replace(view, columns=list(columns))
    forest, generation = board_forest_get(
        tenant=tenant, account_id=account_id, structure=structure_access.structure
    )
    totals, problem = _board_totals_get(tenant=tenant, forest=forest, view=view)
    return BoardData(
        tenant=tenant,
        account_id=account_id,
        structure_access=structure_access,
        view=view,
        forest=forest,
        totals=totals,
        data_as_of=timezone.now(),
        jira_problem=problem,
        generation=generation,
    )


class StaleVersion(Exception):
    """The client's forest version is not the current one (or a row is gone)."""

    def __init__(self, current: int) -> None:
        super().__init__(
            "The structure changed since you loaded it. Refresh to see the latest."
        )
        self.current = current


def board_rows_get(
    *,
    board: BoardData,
    under_row_id: int | None = None,
    expand_depth: int,
    expanded_row_ids: Iterable[int] = (),
    offset: int = 0,
    limit: int = board_lib.PAGE_ROWS,
    version: int | None = None,
) -> RowsPage:
    """The rows on screen below a row (or at the top), with display data for them only."""
    forest = board.forest
    totals = board.totals
    if version is not None and version != forest.version:
        raise StaleVersion(forest.version)
    under: int | None = None
    if under_row_id is not None:
        found = totals.index_of_row.get(under_row_id)
        if found is None:
            raise StaleVersion(forest.version)
        under = found
    expanded = {
        totals.index_of_row[r] for r in expanded_row_ids if r in totals.index_of_row
    }
    indices, next_offset = board_lib.rows_visible(
        totals.shape,
        forest.depths,
        under=under,
        expand_depth=expand_depth,
        expanded=expanded,
        offset=offset,
        limit=limit,
    )
    rows = _rows_render_page(
        board, indices, totals=totals, expand_depth=expand_depth, expanded=expanded
    )
    return RowsPage(
        rows=rows,
        next_offset=next_offset,
        more_under=under_row_id,
        more_depth=forest.depths[under] + 1 if under is not None else 0,
    )


def _rows_render_page(
    board: BoardData,
    indices: list[int],
    *,
    totals: board_lib.BoardTotals,
    expand_depth: int,
    expanded: Container[int],
) -> list[board_lib.RowView]:
    """Rows at `indices` with their cells: field data fetched for these rows only."""
    forest = board.forest
    issue_ids = [forest.item_ids[i] for i in indices if forest.item_types[i] == "issue"]
    issues, problem = issue_fields_get(
        tenant=board.tenant,
        issue_ids=issue_ids,
        fields=display_fields(board.view.columns),
    )
    if problem and not board.jira_problem:
        board.jira_problem = problem
    return board_lib.rows_render(
        forest,
        totals.shape,
        indices,
        board.view.columns,
        totals,
        issues,
        expand_depth=expand_depth,
        expanded=expanded,
    )


FILTER_MAX_CHARS = 200


def _filter_matches(board: BoardData, needle: str) -> tuple[list[int], str]:
    """Indices of the rows whose key or summary (issues) or name (folders, groups)
    contains `needle`, over the viewer's whole forest, and a Jira problem text."""
    forest = board.forest
    issue_ids = [
        i
        for t, i in zip(forest.item_types, forest.item_ids, strict=True)
        if t == "issue"
    ]
    # The viewer's forest holds only issues they may browse, so this reads nothing
    # they could not see; summaries come from the shared issue cache.
    data, problem = issue_fields_get(
        tenant=board.tenant, issue_ids=issue_ids, fields=["summary"]
    )
    found = []
    for index, (item_type, item_id, row_id) in enumerate(
        zip(forest.item_types, forest.item_ids, forest.row_ids, strict=True)
    ):
        if item_type == "issue":
            issue = data.get(item_id)
            if issue is None:
                continue
            text = f"{issue['key']} {issue['fields'].get('summary') or ''}"
        else:
            text = forest.labels.get(row_id, "")
        if needle in text.lower():
            found.append(index)
    return found, problem


def board_rows_filtered_get(
    *,
    board: BoardData,
    text: str,
    offset: int = 0,
    limit: int = board_lib.PAGE_ROWS,
) -> RowsPage:
    """The quick filter over the whole tree (not only the rows on screen): rows whose
    key or summary contains `text`, each with its ancestors (opened) so the hierarchy
    stays readable. A matching row with children stays closed; opening it shows all
    of them."""
    forest = board.forest
    shape = board.totals.shape
    needle = text.strip().lower()[:FILTER_MAX_CHARS]
    matched, problem = _filter_matches(board, needle)
    if problem and not board.jira_problem:
        board.jira_problem = problem
    keep: set[int] = set()
    opened: set[int] = set()
    for index in matched:
        keep.add(index)
        parent = shape.parent[index]
        while parent >= 0:
            opened.add(parent)
            if parent in keep:
                break
            keep.add(parent)
            parent = shape.parent[parent]
    ordered = sorted(keep)
    indices = ordered[offset : offset + limit]
    next_offset = offset + limit if offset + limit < len(ordered) else None
    rows = _rows_render_page(
        board, indices, totals=board.totals, expand_depth=0, expanded=opened
    )
    return RowsPage(
        rows=rows,
        next_offset=next_offset,
        more_under=None,
        more_depth=0,
        filter_text=text.strip()[:FILTER_MAX_CHARS],
        matches=frozenset(forest.row_ids[i] for i in matched),
        match_count=len(matched),
    )


@dataclass(frozen=True)
class FieldChoice:
    """A Jira field the column menu offers (ID, name, and whether it can be summed)."""

    id: str
    name: str
    numeric: bool


def field_choices_get(*, tenant: Tenant) -> list[FieldChoice]:
    """The site's fields for the column menu, by name (cached metadata)."""
    fields = jira_selectors.fields_get(tenant=tenant)
    found = [
        FieldChoice(id=f.id, name=f.name, numeric=f.schema_type == "number")
        for f in fields
    ]
    found.sort(key=lambda f: (f.name.lower(), f.id))
    return found


# --- lists -----------------------------------------------------------------------------

LIST_TABS = ("all", "mine", "shared", "favorites", "archived")


def structure_list_get(
    *, tenant: Tenant, account_id: str, tab: str = "all", query: str = ""
) -> list[hierarchies_selectors.StructureAccess]:
    """The structure list page: a tab (mine, shared with me, favorites, archived)
    and a name search."""
    if tab not in LIST_TABS:
        tab = "all"
    found = hierarchies_selectors.structure_list_for_viewer(
        tenant=tenant,
        account_id=account_id,
        archived=tab == "archived",
        favorites_only=tab == "favorites",
    )
    if tab == "mine":
        found = [s for s in found if s.structure.owner_account_id == account_id]
    elif tab == "shared":
        found = [s for s in found if s.structure.owner_account_id != account_id]
    needle = query.strip().lower()
    if needle:
        found = [s for s in found if needle in s.structure.name.lower()]
    found.sort(key=lambda s: (not s.favorite, s.structure.name.lower()))
    return found


@dataclass(frozen=True)
class StructureHit:
    """A structure holding some issues the viewer cares about, and how many."""

    access: hierarchies_selectors.StructureAccess
    issues: int


def structures_containing_get(
    *, tenant: Tenant, account_id: str, issue_ids: Iterable[int]
) -> list[StructureHit]:
    """Structures the viewer may see that hold any of `issue_ids` (the viewer may browse)."""
    wanted = set(issue_ids)
    if not wanted:
        return []
    hits = []
    for structure_access in hierarchies_selectors.structure_list_for_viewer(
        tenant=tenant, account_id=account_id
    ):
        forest = hierarchies_selectors.forest_columns_get(
            structure=structure_access.structure
        )
        present = wanted.intersection(
            compress(forest.item_ids, bytes(forest.item_types).translate(_ISSUE_MASK))
        )
        if present:
            hits.append(StructureHit(structure_access, len(present)))
    return hits


def project_structures_get(
    *, tenant: Tenant, account_id: str, project_key: str
) -> tuple[list[StructureHit], str]:
    """Structures holding issues of a project that the viewer may browse."""

    def browsable() -> set[int]:
        ids = jira_selectors.issue_ids_search(
            tenant=tenant, jql=f'project = "{project_key}"', limit=10000
        )
        return jira_selectors.issues_browsable_filter(
            tenant=tenant, account_id=account_id, issue_ids=ids
        )

    return _structures_holding(tenant=tenant, account_id=account_id, find=browsable)


def issue_structures_get(
    *, tenant: Tenant, account_id: str, issue_id: int
) -> tuple[list[StructureHit], str]:
    """Structures holding this issue, if the viewer may browse it."""
    return _structures_holding(
        tenant=tenant,
        account_id=account_id,
        find=lambda: jira_selectors.issues_browsable_filter(
            tenant=tenant, account_id=account_id, issue_ids=[issue_id]
        ),
    )


def _structures_holding(
    *, tenant: Tenant, account_id: str, find: Callable[[], Iterable[int]]
) -> tuple[list[StructureHit], str]:
    """Structures holding the issues `find` returns, or none and the reason when
    Jira could not answer it (the page shows it instead of failing)."""
    try:
        issue_ids = find()
    except JiraError as exc:
        return [], _problem_text(exc)
    return (
        structures_containing_get(
            tenant=tenant, account_id=account_id, issue_ids=issue_ids
        ),
        "",
    )


def issue_id_by_key_get(*, tenant: Tenant, account_id: str, key: str) -> int:
    """The numeric ID of an issue the viewer may browse, by key (404 otherwise)."""
    try:
        ids = jira_selectors.issue_ids_search(
            tenant=tenant, jql=f'key = "{key}"', limit=1
        )
    except JiraError as exc:
        raise Http404(f"Issue {key} was not found in Jira.") from exc
    visible = (
        jira_selectors.issues_browsable_filter(
            tenant=tenant, account_id=account_id, issue_ids=ids
        )
        if ids
        else set()
    )
    if not visible:
        raise Http404(f"Issue {key} does not exist or you do not have access to it.")
    return next(iter(visible))
