"""Forest storage against django-treebeard (MP_Node) and django-mptt, same database.

Forests of 10,000 and 100,000 rows (blocks of 1,000: a root, 37 children, 26
grandchildren each). Measured, median of several runs, each side through its usual API:

* read the whole forest (ours: structure row + chunks → columns; peers: one ordered
  ``values_list``);
* move a 1,000-row subtree under another root and back (ours: read the structure row
  as a request does, then ``forest_update``, with the version check, history and audit;
  peers: look up the two nodes, then ``move``/``move_to``); every write, ours and the
  peers', is one transaction and the time includes its commit;
* insert 1,000 rows in one batch (ours: one ``forest_update``; treebeard: ``load_bulk``;
  mptt: creates in one transaction);
* undo that insert (ours: ``forest_undo``; peers have no undo: deleting the 1,000 rows).

``forest_move_parts`` reports where our move's time goes (SQL statements, commit, the
rest) over 20 more moves of the same path.

The sides take turns within every round (ours, ours cold, treebeard, mptt), and moves
are sampled ten times per side. Ours is measured twice: as deployed (the per-process
cache of immutable chunks is warm, as it is when a worker serves successive edits of a
structure; the ratio lines with targets) and cold (cache emptied before every operation: every chunk read from
PostgreSQL; reported as ``*_cold_vs_*`` without a target).

Runs in its own database (created and dropped here) with ``bench.settings_bench``:
``python -m bench bench_hierarchies``.
"""

import os
import statistics
import time
from collections.abc import Callable
from functools import partial
from typing import Any

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings_bench")
django.setup()

import psycopg  # noqa: E402
from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection, connections, transaction  # noqa: E402
from django.utils import timezone  # noqa: E402

SIZES = {
    label: size
    for label, size in {"10k": 10_000, "100k": 100_000}.items()
    if label in os.environ.get("BENCH_SIZES", "10k,100k").split(",")
}
BLOCK_CHILDREN, BLOCK_GRANDCHILDREN = 37, 26  # 1 + 37 + 37 * 26 = 1,000 rows
NEW_ITEMS = 10_000_000


def block_rows(block: int) -> list[tuple[int, int]]:
    """(depth, item_id) of one 1,000-row block in preorder."""
    base = block * 1000
    rows = [(0, base + 1)]
    n = 1
    for _ in range(BLOCK_CHILDREN):
        n += 1
        rows.append((1, base + n))
        for _ in range(BLOCK_GRANDCHILDREN):
            n += 1
            rows.append((2, base + n))
    return rows


def forest_shape(size: int) -> list[tuple[int, int]]:
    return [row for block in range(size // 1000) for row in block_rows(block)]


def timed(fn: Callable[[], Any]) -> float:
    start = time.perf_counter()
    fn()
    return (time.perf_counter() - start) * 1000


def median(values: list[float]) -> float:
    return statistics.median(values)


# --- database lifecycle --------------------------------------------------------------


def _admin_connect() -> psycopg.Connection[Any]:
    db = settings.DATABASES["default"]
    return psycopg.connect(
        host=db["HOST"] or "127.0.0.1",
        port=int(db["PORT"] or 5432),
        user=db["USER"],
        password=db["PASSWORD"] or None,
        dbname=getattr(settings, "BENCH_ADMIN_DATABASE"),  # noqa: B009  (bench-only setting)
        autocommit=True,
    )


def database_create() -> None:
    from hierarchies import chunk_cache

    name = settings.DATABASES["default"]["NAME"]
    with _admin_connect() as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
        admin.execute(f'CREATE DATABASE "{name}"')
    # The process chunk cache trusts that a chunk ID is never handed out twice; a new
    # database (`make bench` runs several benchmarks in one process) starts its
    # sequences again, so what the previous one cached must go.
    chunk_cache.clear()
    call_command("migrate", run_syncdb=True, verbosity=0)


def database_drop() -> None:
    connections.close_all()
    name = settings.DATABASES["default"]["NAME"]
    with _admin_connect() as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


# --- ours ----------------------------------------------------------------------------


class Ours:
    """Our storage; `cold` empties the process chunk cache before every operation."""

    name = "ours"
    cold = False

    def _prepare(self) -> None:
        from hierarchies import chunk_cache

        if self.cold:
            chunk_cache.clear()

    def __init__(self, shape: list[tuple[int, int]]) -> None:
        from hierarchies import services
        from hierarchies.forest import ITEM_ISSUE, Forest, Row
        from jira_sync.models import Tenant

        tenant = Tenant.objects.create(
            client_key=f"bench-{len(shape)}",
            base_url="https://bench.atlassian.net",
            shared_secret="bench-secret",  # noqa: S106
            installed_at=timezone.now(),
        )
        self.structure = services.structure_create(
            tenant=tenant, actor="bench", name=f"Bench {len(shape)}"
        )
        rows = [Row(i + 1, d, ITEM_ISSUE, item) for i, (d, item) in enumerate(shape)]
        with transaction.atomic():
            locked, _ = services._forest_write(
                structure=self.structure,
                actor="bench",
                expected_version=1,
                kind="update",
                change=lambda _f, _s: (
                    Forest.from_rows(rows, next_row_id=len(rows) + 1),
                    {"actions": {"add": len(rows)}},
                ),
            )
        self.structure = locked
        self.version = locked.version
        self.roots = [i + 1 for i, (d, _) in enumerate(shape) if d == 0]

    def read(self) -> int:
        from hierarchies.models import Structure
        from hierarchies.selectors import forest_load

        self._prepare()
        s = Structure.objects.get(pk=self.structure.pk)
        forest = forest_load(
            structure=s, manifest=bytes(s.manifest), next_row_id=s.next_row_id
        )
        return len(forest.columns()[0])

    def _update(self, actions: list[Any]) -> None:
        from hierarchies import services
        from hierarchies.models import Structure

        self._prepare()
        # As a request does (and as the peers look up their nodes): the structure row
        # is read fresh, not reused from the previous write.
        structure = Structure.objects.get(pk=self.structure.pk)
        structure.tenant = self.structure.tenant
        result = services.forest_update(
            structure=structure,
            actor="bench",
            version=self.version,
            actions=actions,
        )
        self.version = result.version

    def move(self, there: bool) -> None:
        from hierarchies.forest import MoveAction

        moved = self.roots[len(self.roots) // 2]
        if there:
            self._update([MoveAction(moved, self.roots[0], None)])
        else:
            before = self.roots[len(self.roots) // 2 - 1]
            self._update([MoveAction(moved, None, before)])

    def insert(self) -> None:
        from hierarchies.forest import ITEM_ISSUE, AddAction

        parent = self.roots[-1]
        actions: list[Any] = [AddAction(ITEM_ISSUE, NEW_ITEMS, parent, None, -1)]
        actions += [
            AddAction(ITEM_ISSUE, NEW_ITEMS + k, parent, -k, -(k + 1))
            for k in range(1, 1000)
        ]
        self._update(actions)

    def undo(self) -> None:
        from hierarchies import services

        self._prepare()
        result = services.forest_undo(
            structure=self.structure, actor="bench", version=self.version
        )
        self.version = result.version


# --- treebeard -----------------------------------------------------------------------


class Treebeard:
    name = "treebeard"

    def __init__(self, shape: list[tuple[int, int]]) -> None:
        from bench.peers.models import TreebeardRow

        self.model = TreebeardRow
        TreebeardRow.objects.all().delete()
        counters: list[int] = [0]
        paths: list[str] = []
        objs = []
        numchild: dict[int, int] = {}
        stack: list[int] = []  # indexes of ancestors
        for i, (depth, item) in enumerate(shape):
            del stack[depth:]
            del counters[depth + 1 :]
            counters[depth] += 1
            counters.append(0)
            parent_path = paths[stack[-1]] if stack else ""
            paths.append(
                parent_path
                + TreebeardRow._int2str(counters[depth]).rjust(
                    TreebeardRow.steplen, "0"
                )
            )
            if stack:
                numchild[stack[-1]] = numchild.get(stack[-1], 0) + 1
            stack.append(i)
            objs.append(
                TreebeardRow(
                    id=i + 1, path=paths[-1], depth=depth + 1, numchild=0, item_id=item
                )
            )
        for index, count in numchild.items():
            objs[index].numchild = count
        TreebeardRow.objects.bulk_create(objs, batch_size=5000)
        _reset_sequence(TreebeardRow._meta.db_table)
        self.root_paths = [paths[i] for i, (d, _) in enumerate(shape) if d == 0]

    def read(self) -> int:
        return len(
            list(
                self.model.objects.order_by("path").values_list(
                    "id", "depth", "item_type", "item_id"
                )
            )
        )

    def _root(self, k: int) -> Any:
        return self.model.objects.get(item_id=k * 1000 + 1)

    def move(self, there: bool) -> None:
        middle = len(self.root_paths) // 2
        with transaction.atomic():
            if there:
                self.model.objects.move(
                    self._root(middle), self._root(0), "first-child"
                )
            else:
                self.model.objects.move(
                    self._root(middle), self._root(middle - 1), "right"
                )

    def insert(self) -> None:
        parent = self._root(len(self.root_paths) - 1)
        data = [{"data": {"item_id": NEW_ITEMS + k}} for k in range(1000)]
        with transaction.atomic():
            self.model.objects.load_bulk(data, parent=parent)

    def undo(self) -> None:
        with transaction.atomic():
            self.model.objects.filter(item_id__gte=NEW_ITEMS).delete()


# --- mptt ----------------------------------------------------------------------------


class Mptt:
    name = "mptt"

    def __init__(self, shape: list[tuple[int, int]]) -> None:
        from bench.peers.models import MpttRow

        self.model = MpttRow
        MpttRow.objects.all().delete()
        objs: list[Any] = []
        stack: list[int] = []
        counter = 0
        tree_id = 0
        for i, (depth, item) in enumerate(shape):
            while len(stack) > depth:
                counter += 1
                objs[stack.pop()].rght = counter
            if depth == 0:
                tree_id += 1
                counter = 0
            counter += 1
            objs.append(
                MpttRow(
                    id=i + 1,
                    parent_id=objs[stack[-1]].id if stack else None,
                    item_id=item,
                    tree_id=tree_id,
                    level=depth,
                    lft=counter,
                    rght=0,
                )
            )
            stack.append(i)
        while stack:
            counter += 1
            objs[stack.pop()].rght = counter
        MpttRow.objects.bulk_create(objs, batch_size=5000)
        _reset_sequence(MpttRow._meta.db_table)
        self.blocks = len(shape) // 1000

    def read(self) -> int:
        return len(
            list(
                self.model.objects.order_by("tree_id", "lft").values_list(
                    "id", "level", "item_type", "item_id"
                )
            )
        )

    def _root(self, k: int) -> Any:
        return self.model.objects.get(item_id=k * 1000 + 1)

    def move(self, there: bool) -> None:
        middle = self.blocks // 2
        with transaction.atomic():
            if there:
                self._root(middle).move_to(self._root(0), "first-child")
            else:
                self._root(middle).move_to(self._root(middle - 1), "right")

    def insert(self) -> None:
        with transaction.atomic():
            parent = self._root(self.blocks - 1)
            for k in range(1000):
                self.model.objects.create(parent=parent, item_id=NEW_ITEMS + k)
                parent.refresh_from_db()

    def undo(self) -> None:
        with transaction.atomic():
            self.model.objects.filter(item_id__gte=NEW_ITEMS).delete()


def _reset_sequence(table: str) -> None:
    with connection.cursor() as cursor:
        # Table names come from our own models, never from input.
        sql = f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT MAX(id) FROM {table}))"  # noqa: S608
        cursor.execute(sql)


# --- measuring -----------------------------------------------------------------------


class Cold:
    """Ours with the process chunk cache emptied before every operation."""

    name = "ours_cold"

    def __init__(self, ours: Ours) -> None:
        self._ours = ours

    def _call(self, fn: Callable[[], Any]) -> Any:
        self._ours.cold = True
        try:
            return fn()
        finally:
            self._ours.cold = False

    def read(self) -> int:
        return int(self._call(self._ours.read))

    def move(self, there: bool) -> None:
        self._call(lambda: self._ours.move(there))

    def insert(self) -> None:
        self._call(self._ours.insert)

    def undo(self) -> None:
        self._call(self._ours.undo)


def measure(
    sides: dict[str, Any], reads: int = 5, move_rounds: int = 5, rounds: int = 3
) -> dict[str, dict[str, float]]:
    """Median per side and operation; the sides take turns within every round, so a
    change in the machine's load during the run affects them alike."""
    samples: dict[str, dict[str, list[float]]] = {
        name: {"read": [], "move": [], "insert": [], "undo": []} for name in sides
    }
    for _ in range(reads):
        for name, side in sides.items():
            samples[name]["read"].append(timed(side.read))
    for _ in range(move_rounds):
        for name, side in sides.items():
            samples[name]["move"].append(timed(partial(side.move, True)))
            samples[name]["move"].append(timed(partial(side.move, False)))
    for _ in range(rounds):
        for name, side in sides.items():
            samples[name]["insert"].append(timed(side.insert))
            samples[name]["undo"].append(timed(side.undo))
    return {
        name: {op: median(values) for op, values in ops.items()}
        for name, ops in samples.items()
    }


TARGETS = {"read": 1.0, "move": 0.1, "insert": 0.1}


def move_parts(ours: Ours, moves: int = 20) -> dict[str, float]:
    """Where our move's time goes, medians over `moves` moves of the real path: SQL
    statements (count and time waiting on them), the commit, and the rest (Python:
    the ORM, forest edit, audit hashing, the after-commit anomaly check's Python)."""
    statements: list[float] = []
    commits: list[float] = []
    per_move: list[tuple[int, float, float, float]] = []

    def in_sql(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        start = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            statements.append((time.perf_counter() - start) * 1000)

    commit = connection.commit

    def timed_commit() -> None:
        start = time.perf_counter()
        commit()
        commits.append((time.perf_counter() - start) * 1000)

    connection.commit = timed_commit  # type: ignore[method-assign]
    try:
        with connection.execute_wrapper(in_sql):
            for k in range(moves):
                statements.clear()
                commits.clear()
                total = timed(partial(ours.move, k % 2 == 0))
                per_move.append((len(statements), sum(statements), sum(commits), total))
    finally:
        del connection.commit  # back to the class's method
    return {
        "statements": median([float(p[0]) for p in per_move]),
        "sql_ms": round(median([p[1] for p in per_move]), 2),
        "commit_ms": round(median([p[2] for p in per_move]), 2),
        "other_ms": round(median([p[3] - p[1] - p[2] for p in per_move]), 2),
        "total_ms": round(median([p[3] for p in per_move]), 2),
    }


def results_for(label: str, size: int) -> list[dict[str, Any]]:
    shape = forest_shape(size)
    ours = Ours(shape)
    assert ours.read() == size
    sides: dict[str, Any] = {"ours": ours, "ours_cold": Cold(ours)}
    for peer_class in (Treebeard, Mptt):
        peer = peer_class(shape)
        assert peer.read() == size
        sides[peer.name] = peer
    figures = measure(sides)
    out: list[dict[str, Any]] = [
        {
            "bench": f"hierarchies.forest_move_parts.{label}",
            "value": None,
            "unit": "ms",
            "target": "report",
            "ok": None,
            **move_parts(ours),
        }
    ]
    for op in ("read", "move", "insert", "undo"):
        out.append(
            {
                "bench": f"hierarchies.forest_{op}.{label}",
                "value": round(figures["ours"][op], 2),
                "unit": "ms",
                "target": None,
                "ok": True,
                "cold_ms": round(figures["ours_cold"][op], 2),
                "peers_ms": {
                    p: round(figures[p][op], 2) for p in ("treebeard", "mptt")
                },
            }
        )
        for peer_name in ("treebeard", "mptt"):
            out.append(
                {
                    "bench": f"hierarchies.forest_{op}_cold_vs_{peer_name}.{label}",
                    "value": round(
                        figures["ours_cold"][op] / figures[peer_name][op], 4
                    ),
                    "unit": "ratio",
                    "target": None,
                    "ok": True,
                }
            )
        for peer_name in ("treebeard", "mptt"):
            ratio = figures["ours"][op] / figures[peer_name][op]
            target = TARGETS.get(op)
            out.append(
                {
                    "bench": f"hierarchies.forest_{op}_vs_{peer_name}.{label}",
                    "value": round(ratio, 4),
                    "unit": "ratio",
                    "target": f"<= {target}" if target is not None else None,
                    "ok": target is None or ratio <= target,
                }
            )
    return out


def main() -> list[dict[str, Any]]:
    database_create()
    results: list[dict[str, Any]] = []
    try:
        for label, size in SIZES.items():
            results.extend(results_for(label, size))
    finally:
        database_drop()
    return results


if __name__ == "__main__":
    main()
