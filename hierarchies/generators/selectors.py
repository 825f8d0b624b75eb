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
"""

from __future__ import annotations

import hashlib
import json
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.cache import caches

from hierarchies import access
from hierarchies import selectors as hierarchy_selectors
from hierarchies.forest import ITEM_ISSUE, ITEM_TYPE_NAMES, Row, forest_for_viewer
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
_GROUP_CODE = 250  # a type code the viewer rule treats as "not an issue"


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


def _static_rows(rows: Sequence[Row]) -> list[StaticRow]:
    return [
        StaticRow(
            r.row_id, r.depth, ITEM_TYPE_NAMES.get(r.item_type, "folder"), r.item_id
        )
        for r in rows
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
    stored = hierarchy_selectors.forest_rows_get(structure=structure)
    specs = _specs(structure)
    return _generate(
        structure=structure,
        version=stored.version,
        rows=_static_rows(stored.rows),
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
    stored = hierarchy_selectors.forest_rows_get(structure=structure)
    specs = _specs(structure)
    rows = _static_rows(stored.rows)
    if not specs:
        return GeneratedForest(stored.version, _plain(rows), True, None, [])
    moves = _moves(structure)
    epoch = jira_selectors.search_generation_get(tenant=structure.tenant)
    key = _result_key(structure, stored.version, _config_digest(specs, moves), epoch)
    cache = _cache()
    cached = cache.get(key)
    if cached is not None:
        return _unpack(cached)
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
            rows=rows,
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


def _plain(rows: list[StaticRow]) -> list[EffectiveRow]:
    return [
        EffectiveRow(r.row_id, r.depth, r.item_type, r.item_id, False) for r in rows
    ]


def effective_rows_for_viewer(
    rows: Sequence[EffectiveRow], browsable_issue_ids: set[int] | frozenset[int]
) -> list[EffectiveRow]:
    """The hierarchies viewer rule on effective rows; group rows left empty go too."""
    by_id = {r.row_id: r for r in rows}
    plain = [
        Row(r.row_id, r.depth, ITEM_ISSUE, int(r.item_id))
        if r.item_type == "issue"
        else Row(r.row_id, r.depth, _GROUP_CODE, 0)
        for r in rows
    ]
    visible = forest_for_viewer(plain, browsable_issue_ids=browsable_issue_ids)
    out: list[EffectiveRow] = []
    # Walk backwards: a group row stays only if the next kept row is deeper.
    next_depth = -1
    for row in reversed(visible):
        original = by_id[row.row_id]
        if original.item_type == "group" and next_depth <= row.depth:
            continue
        out.append(
            EffectiveRow(
                original.row_id,
                row.depth,
                original.item_type,
                original.item_id,
                original.generated,
                original.label,
            )
        )
        next_depth = row.depth
    out.reverse()
    return out


def structure_forest_effective(
    *, structure: Structure, account_id: str
) -> EffectiveViewerForest:
    """What `account_id` sees of the structure: generated, then the viewer rule."""
    generated = structure_forest_generated(structure=structure)
    issue_ids = {int(r.item_id) for r in generated.rows if r.item_type == "issue"}
    browsable = access.viewer_browsable_issue_ids(
        tenant=structure.tenant, account_id=account_id, issue_ids=issue_ids
    )
    return EffectiveViewerForest(
        version=generated.version,
        rows=effective_rows_for_viewer(generated.rows, browsable),
        complete=generated.complete,
        message=generated.message,
    )


def generation_progress_get(*, structure: Structure) -> dict[str, Any] | None:
    """The latest generation's progress or outcome, if one ran recently."""
    value = _cache().get(progress_key(structure))
    return dict(value) if value is not None else None
