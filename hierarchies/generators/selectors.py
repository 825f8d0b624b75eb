"""The effective forest of a structure: stored rows + generators, for one viewer.

1. The generated forest is computed with the app's rights (`forest_generate` over
   `JiraSyncSource`) and cached briefly in the `jira` cache (row IDs, depths, item IDs
   and group labels: cached, never stored). The key holds the forest version, a digest
   of the generator configurations and jira_sync's search generation (bumped by every
   issue webhook), so an edit or a change in Jira makes the next request regenerate.
2. Twenty viewers opening a board cause one generation: a lock around generation, and
   whoever does not hold it waits for the result instead of generating again.
3. Each viewer then gets the hierarchies viewer rule: rows of issues they may not browse
   are left out, visible descendants move up; group rows left empty disappear.

Long generations publish their progress under the structure's key, for the board to poll
(`generation_progress_get`).

4. With a real Celery worker (`CELERY_TASK_ALWAYS_EAGER` false) the board does not wait
   for a generation: on a result-cache miss it enqueues `hierarchies.tasks.
   structure_generate` once (an "enqueued" marker next to the result key) and shows the
   stored rows with a "generating" state until the worker has filled the cache
   (`structure_forest_effective_columns(..., background=True)`). The JSON API
   (`?effective=1`) and the demo (eager Celery) stay synchronous.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import compress
from typing import Any

from django.conf import settings
from django.core.cache import caches
from django.db import transaction

from hierarchies import access
from hierarchies import selectors as hierarchy_selectors
from hierarchies.forest import ITEM_ISSUE, ITEM_TYPE_NAMES, viewer_columns_keep
from hierarchies.generators.engine import forest_generate
from hierarchies.generators.jira_source import JiraSyncSource
from hierarchies.generators.types import (
    DEFAULT_ROW_LIMIT,
    DEFAULT_TIME_LIMIT_S,
    EffectiveRow,
    GeneratorSpec,
    JiraSource,
    MoveRule,
    Progress,
    StaticRow,
)
from hierarchies.models import GeneratedRowRule, Structure
from jira_sync import selectors as jira_selectors

CACHE_VERSION = "v1"


@dataclass(frozen=True)
class GeneratedForest:
    """The forest as the app sees it (before the viewer rule)."""

    version: int
    rows: list[EffectiveRow]
    complete: bool
    message: str | None
    generators: list[dict[str, Any]]
    run_id: str = ""  # one per generation: viewers served by one run share it


@dataclass(frozen=True)
class EffectiveViewerForest:
    version: int
    rows: list[EffectiveRow]
    complete: bool
    message: str | None


@dataclass(frozen=True)
class EffectiveColumns:
    """What a viewer sees of a structure as parallel lists in pre-order (one list per
    field of `EffectiveRow`, no object per row); `labels` names group rows by row ID."""

    version: int
    row_ids: list[int]
    depths: list[int]
    item_types: list[str]
    item_ids: list[int | str]
    generated: list[bool]
    labels: dict[int, str]
    complete: bool
    message: str | None
    generating: bool = False  # stored rows only: a worker is generating the rest

    def __len__(self) -> int:
        return len(self.row_ids)

    def rows(self) -> list[EffectiveRow]:
        labels = self.labels
        return [
            EffectiveRow(rid, dep, typ, iid, gen, labels.get(rid))
            for rid, dep, typ, iid, gen in zip(
                self.row_ids,
                self.depths,
                self.item_types,
                self.item_ids,
                self.generated,
                strict=True,
            )
        ]


def _time_limit_s() -> float:
    return float(getattr(settings, "GENERATOR_TIME_LIMIT_S", DEFAULT_TIME_LIMIT_S))


def _ttl_s() -> int:
    return int(settings.JIRA_CACHE_TTLS.get("generated_forest", 60))


def _cache() -> Any:
    return caches["jira"]


def _prefix(structure: Structure) -> str:
    return f"gen:{CACHE_VERSION}:{structure.tenant.client_key}:{structure.pk}"


def progress_key(structure: Structure) -> str:
    return f"{_prefix(structure)}:progress"


def _result_key(structure: Structure, version: int, digest: str, epoch: int) -> str:
    return f"{_prefix(structure)}:forest:{version}:{digest}:{epoch}"


def _config_digest(specs: Sequence[GeneratorSpec], moves: Sequence[MoveRule]) -> str:
    text = json.dumps(
        [
            [[s.id, s.kind, s.config] for s in sorted(specs, key=lambda s: s.id)],
            [[m.issue_id, m.under, m.after] for m in moves],
        ],
        sort_keys=True,
    )
    return hashlib.sha256(text.encode()).hexdigest()[:24]


def _moves(structure: Structure) -> list[MoveRule]:
    """Manual moves of generated rows, oldest first (later moves see earlier ones)."""
    return [
        MoveRule(issue_id, under, after)
        for issue_id, under, after in GeneratedRowRule.objects.filter(
            structure=structure
        )
        .order_by("version", "id")
        .values_list("issue_id", "under", "after")
    ]


_TYPE_NAME_OF = [ITEM_TYPE_NAMES.get(code, "folder") for code in range(256)]
_ISSUE_MASK = bytes(int(code == ITEM_ISSUE) for code in range(256))


def _type_names(codes: Sequence[int]) -> list[str]:
    return list(map(_TYPE_NAME_OF.__getitem__, codes))


def _static_rows(stored: hierarchy_selectors.ForestColumns) -> list[StaticRow]:
    return [
        StaticRow(rid, dep, typ, iid)
        for rid, dep, typ, iid in zip(
            stored.row_ids,
            stored.depths,
            _type_names(stored.item_types),
            stored.item_ids,
            strict=True,
        )
    ]


def _pack(forest: GeneratedForest) -> dict[str, Any]:
    return {
        "version": forest.version,
        "rows": [
            (r.row_id, r.depth, r.item_type, r.item_id, r.generated, r.label)
            for r in forest.rows
        ],
        "complete": forest.complete,
        "message": forest.message,
        "generators": forest.generators,
        "runId": forest.run_id,
    }


def _unpack(data: dict[str, Any]) -> GeneratedForest:
    return GeneratedForest(
        version=int(data["version"]),
        rows=[EffectiveRow(*r) for r in data["rows"]],
        complete=bool(data["complete"]),
        message=data["message"],
        generators=list(data["generators"]),
        run_id=str(data["runId"]),
    )


def structure_forest_generate(
    *,
    structure: Structure,
    source: JiraSource | None = None,
    time_limit_s: float | None = None,
) -> GeneratedForest:
    """Run the generators of a structure now (no cache), with the app's rights."""
    stored = hierarchy_selectors.forest_columns_get(structure=structure)
    specs = _specs(structure)
    return _generate(
        structure=structure,
        version=stored.version,
        rows=_static_rows(stored),
        specs=specs,
        moves=_moves(structure),
        source=source,
        time_limit_s=time_limit_s,
    )


def _specs(structure: Structure) -> list[GeneratorSpec]:
    return [
        GeneratorSpec(g.pk, g.kind, dict(g.config))
        for g in hierarchy_selectors.generator_list(structure=structure)
    ]


def _generate(
    *,
    structure: Structure,
    version: int,
    rows: list[StaticRow],
    specs: list[GeneratorSpec],
    moves: list[MoveRule],
    source: JiraSource | None,
    time_limit_s: float | None,
) -> GeneratedForest:
    cache = _cache()
    key = progress_key(structure)
    run_id = uuid.uuid4().hex
    last = [0.0]

    def publish(p: Progress) -> None:
        now = time.monotonic()
        if p.stage != "done" and now - last[0] < 0.5:
            return
        last[0] = now
        cache.set(
            key,
            {
                "state": "done" if p.stage == "done" else "running",
                "stage": p.stage,
                "generatorId": p.generator_id,
                "rows": p.rows,
                "seconds": round(p.seconds, 3),
                "version": version,
                "runId": run_id,
            },
            _ttl_s(),
        )

    result = forest_generate(
        rows=rows,
        generators={s.id: s for s in specs},
        source=source or JiraSyncSource(tenant=structure.tenant),
        time_limit_s=time_limit_s if time_limit_s is not None else _time_limit_s(),
        row_limit=DEFAULT_ROW_LIMIT,
        progress=publish if specs else None,
        moves=moves,
    )
    report = result.report
    generated = GeneratedForest(
        version=version,
        rows=result.rows,
        complete=report.complete,
        message=report.message,
        generators=[
            {
                "id": g.id,
                "kind": g.kind,
                "seconds": round(g.seconds, 3),
                "rows": g.rows,
                "error": g.error,
            }
            for g in report.generators
        ],
        run_id=run_id,
    )
    if specs:
        cache.set(
            key,
            {
                "state": "done" if report.complete else "stopped",
                "stage": "done",
                "generatorId": None,
                "rows": report.rows,
                "seconds": round(report.seconds, 3),
                "version": version,
                "message": report.message,
                "generators": generated.generators,
                "runId": run_id,
            },
            _ttl_s(),
        )
    return generated


def structure_forest_generated(*, structure: Structure) -> GeneratedForest:
    """The generated forest (app's rights), from the cache or generated once for all."""
    stored = hierarchy_selectors.forest_columns_get(structure=structure)
    specs = _specs(structure)
    if not specs:
        return GeneratedForest(
            stored.version, _plain(_static_rows(stored)), True, None, []
        )
    return _generated_with(structure=structure, stored=stored, specs=specs)


def _generated_with(
    *,
    structure: Structure,
    stored: hierarchy_selectors.ForestColumns,
    specs: list[GeneratorSpec],
) -> GeneratedForest:
    """The generated forest of a structure that has generators (cache, lock, run)."""
    moves = _moves(structure)
    key = _key_of(structure, stored, specs, moves)
    cache = _cache()
    cached = cache.get(key)
    if cached is not None:
        return _unpack(cached)
    return _generate_locked(
        structure=structure, stored=stored, specs=specs, moves=moves, key=key
    )


def _key_of(
    structure: Structure,
    stored: hierarchy_selectors.ForestColumns,
    specs: Sequence[GeneratorSpec],
    moves: Sequence[MoveRule],
) -> str:
    epoch = jira_selectors.search_generation_get(tenant=structure.tenant)
    return _result_key(structure, stored.version, _config_digest(specs, moves), epoch)


def _generate_locked(
    *,
    structure: Structure,
    stored: hierarchy_selectors.ForestColumns,
    specs: list[GeneratorSpec],
    moves: list[MoveRule],
    key: str,
) -> GeneratedForest:
    """Generate under the lock of `key` (or wait for whoever holds it) and cache it."""
    cache = _cache()
    lock = f"{key}:lock"
    token = uuid.uuid4().hex
    wait_s = _time_limit_s() + 15
    deadline = time.monotonic() + wait_s
    while not cache.add(lock, token, int(wait_s)):
        time.sleep(0.05)
        cached = cache.get(key)
        if cached is not None:
            return _unpack(cached)
        if time.monotonic() > deadline:
            break  # the holder died: generate ourselves rather than fail
    try:
        cached = cache.get(key)
        if cached is not None:
            return _unpack(cached)
        generated = _generate(
            structure=structure,
            version=stored.version,
            rows=_static_rows(stored),
            specs=specs,
            moves=moves,
            source=None,
            time_limit_s=None,
        )
        cache.set(key, _pack(generated), _ttl_s())
        return generated
    finally:
        if cache.get(lock) == token:
            cache.delete(lock)


def _enqueue_time_s() -> int:
    """How long one enqueued generation counts as pending: the budget plus a margin
    for a busy worker; a task lost with its worker is enqueued again after it."""
    return int(_time_limit_s() + 15)


def _generated_or_enqueue(
    *,
    structure: Structure,
    stored: hierarchy_selectors.ForestColumns,
    specs: list[GeneratorSpec],
) -> GeneratedForest | None:
    """The cached generated forest, or None after making sure one worker task is
    generating it (enqueued at most once per result key while the marker lives)."""
    moves = _moves(structure)
    key = _key_of(structure, stored, specs, moves)
    cache = _cache()
    cached = cache.get(key)
    if cached is not None:
        return _unpack(cached)
    if cache.add(f"{key}:enqueued", 1, _enqueue_time_s()):
        cache.set(
            progress_key(structure),
            {
                "state": "running",
                "stage": "queued",
                "generatorId": None,
                "rows": 0,
                "seconds": 0.0,
                "version": stored.version,
                "runId": "",
            },
            _ttl_s(),
        )
        from hierarchies import tasks  # body import: the task calls these selectors

        transaction.on_commit(lambda: tasks.structure_generate.delay(structure.pk))
    return None


def generation_failed_record(*, structure: Structure, message: str) -> None:
    """A background generation gave up (Jira failed): the progress says "stopped" with
    `message`, so the board stops waiting; board requests enqueue again once
    `GENERATOR_FAILED_RETRY_S` seconds have passed (Jira is not asked in a loop)."""
    stored = hierarchy_selectors.forest_columns_get(structure=structure)
    specs = _specs(structure)
    key = _key_of(structure, stored, specs, _moves(structure))
    cache = _cache()
    cache.set(
        progress_key(structure),
        {
            "state": "stopped",
            "stage": "failed",
            "generatorId": None,
            "rows": 0,
            "seconds": 0.0,
            "version": stored.version,
            "message": message,
            "runId": "",
        },
        _ttl_s(),
    )
    retry_s = int(getattr(settings, "GENERATOR_FAILED_RETRY_S", 30))
    cache.set(f"{key}:enqueued", 1, retry_s)  # 0: expired at once


def _plain(rows: list[StaticRow]) -> list[EffectiveRow]:
    return [
        EffectiveRow(r.row_id, r.depth, r.item_type, r.item_id, False) for r in rows
    ]


def _columns_for_viewer(
    columns: EffectiveColumns, denied_issue_ids: set[int] | frozenset[int]
) -> EffectiveColumns:
    """The hierarchies viewer rule on effective columns (issues in `denied_issue_ids`
    go), in one pass over the rows; group rows left empty go too. Unchanged columns
    come back as they are."""
    types = columns.item_types
    items = columns.item_ids
    has_groups = "group" in types
    if not has_groups and not denied_issue_ids:
        return columns
    hidden = [
        t == "issue" and int(i) in denied_issue_ids
        for t, i in zip(types, items, strict=True)
    ]
    keep, depths = viewer_columns_keep(columns.depths, hidden)
    if has_groups:
        # Walk backwards: a group row stays only if the next kept row is deeper.
        kept: list[int] = []
        kept_depths: list[int] = []
        next_depth = -1
        for index, depth in zip(reversed(keep), reversed(depths), strict=True):
            if types[index] == "group" and next_depth <= depth:
                continue
            kept.append(index)
            kept_depths.append(depth)
            next_depth = depth
        kept.reverse()
        kept_depths.reverse()
        keep, depths = kept, kept_depths
    row_ids = [columns.row_ids[k] for k in keep]
    labels = columns.labels
    return EffectiveColumns(
        version=columns.version,
        row_ids=row_ids,
        depths=depths,
        item_types=[types[k] for k in keep],
        item_ids=[items[k] for k in keep],
        generated=[columns.generated[k] for k in keep],
        labels={r: labels[r] for r in row_ids if r in labels} if labels else {},
        complete=columns.complete,
        message=columns.message,
        generating=columns.generating,
    )


def _columns_of(generated: GeneratedForest) -> EffectiveColumns:
    rows = generated.rows
    return EffectiveColumns(
        version=generated.version,
        row_ids=[r.row_id for r in rows],
        depths=[r.depth for r in rows],
        item_types=[r.item_type for r in rows],
        item_ids=[r.item_id for r in rows],
        generated=[r.generated for r in rows],
        labels={r.row_id: r.label for r in rows if r.label is not None},
        complete=generated.complete,
        message=generated.message,
    )


def effective_rows_for_viewer(
    rows: Sequence[EffectiveRow], browsable_issue_ids: set[int] | frozenset[int]
) -> list[EffectiveRow]:
    """The hierarchies viewer rule on effective rows; group rows left empty go too."""
    columns = _columns_of(GeneratedForest(0, list(rows), True, None, []))
    denied = {
        int(i)
        for t, i in zip(columns.item_types, columns.item_ids, strict=True)
        if t == "issue"
    } - set(browsable_issue_ids)
    return _columns_for_viewer(columns, denied).rows()


def structure_forest_effective_columns(
    *, structure: Structure, account_id: str, background: bool = False
) -> EffectiveColumns:
    """What `account_id` sees of the structure (generated, then the viewer rule), as
    columns. A structure without generators skips the generator machinery: its stored
    forest is its generated forest.

    With `background` and a Celery worker (not eager), a cache miss does not generate
    here: one task is enqueued and the stored rows come back with ``generating`` set
    (and ``complete`` false)."""
    stored = hierarchy_selectors.forest_columns_get(structure=structure)
    specs = _specs(structure)
    if specs:
        generated: GeneratedForest | None
        if background and not settings.CELERY_TASK_ALWAYS_EAGER:
            generated = _generated_or_enqueue(
                structure=structure, stored=stored, specs=specs
            )
        else:
            generated = _generated_with(structure=structure, stored=stored, specs=specs)
        if generated is None:
            columns = dataclasses.replace(
                _columns_of(
                    GeneratedForest(
                        stored.version, _plain(_static_rows(stored)), False, None, []
                    )
                ),
                generating=True,
            )
        else:
            columns = _columns_of(generated)
        issue_ids = {
            int(i)
            for t, i in zip(columns.item_types, columns.item_ids, strict=True)
            if t == "issue"
        }
    else:
        item_ids: list[int | str] = list(stored.item_ids)
        columns = EffectiveColumns(
            version=stored.version,
            row_ids=stored.row_ids,
            depths=stored.depths,
            item_types=_type_names(stored.item_types),
            item_ids=item_ids,
            generated=[False] * len(stored),
            labels={},
            complete=True,
            message=None,
        )
        # Type codes are bytes: the issue rows' mask is one C-level translate.
        is_issue = bytes(stored.item_types).translate(_ISSUE_MASK)
        issue_ids = set(compress(stored.item_ids, is_issue))
    denied = access.viewer_denied_issue_ids(
        tenant=structure.tenant, account_id=account_id, issue_ids=issue_ids
    )
    return _columns_for_viewer(columns, denied)


def structure_forest_effective(
    *, structure: Structure, account_id: str
) -> EffectiveViewerForest:
    """What `account_id` sees of the structure: generated, then the viewer rule."""
    columns = structure_forest_effective_columns(
        structure=structure, account_id=account_id
    )
    return EffectiveViewerForest(
        version=columns.version,
        rows=columns.rows(),
        complete=columns.complete,
        message=columns.message,
    )


def generation_progress_get(*, structure: Structure) -> dict[str, Any] | None:
    """The latest generation's progress or outcome, if one ran recently."""
    value = _cache().get(progress_key(structure))
    return dict(value) if value is not None else None
