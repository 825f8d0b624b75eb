"""Generators on a generated simulator site of 50,000 issues (issue 7).

Structure: JQL over several projects (no sub-tasks) + extend sub-tasks + extend Blocks
links 3 levels + group by status + sort by priority. Measured: wall time with a cold
and a warm Jira cache, REST calls against the minimum, peak memory (tracemalloc).
Targets: 50,000+ rows without failing; a warm regeneration of 30,000 rows under 1 s.
Warm figures are the median of WARM_RUNS full regenerations (every generator runs on
the cached Jira data; the result cache is not used), each timed on its own.
"""

from __future__ import annotations

import math
import statistics
import time
import tracemalloc
import uuid
from typing import Any

from django.conf import settings
from django.core.cache import caches
from django.test import override_settings
from django.utils import timezone

from hierarchies.generators import selectors as gen_selectors
from hierarchies.generators.engine import forest_generate
from hierarchies.generators.jira_source import JiraSyncSource
from hierarchies.generators.types import EffectiveForest, GeneratorSpec, StaticRow
from jira_simulator import SimulatorHandle
from jira_sync import cache_keys, cache_store
from jira_sync.models import Tenant

ISSUES = 50_000
SECRET = "bench-generators-secret-0123456789abcdef"  # noqa: S105 (simulator only)
BLOCKS = 10000
SUBTASK_TYPE = "Sub-task"
WARM_RUNS = 7  # warm regenerations timed per figure; the median is reported


RESULTS: list[dict[str, Any]] = []


def emit(name: str, value: float, unit: str, target: str, ok: bool | None) -> None:
    line: dict[str, Any] = {"bench": name, "value": round(value, 3), "unit": unit}
    line["target"] = target
    line["ok"] = ok
    RESULTS.append(line)


def specs(projects: list[str]) -> dict[int, GeneratorSpec]:
    jql = f"project in ({', '.join(projects)}) AND issuetype != {SUBTASK_TYPE}"
    configs: list[tuple[str, dict[str, Any]]] = [
        ("insert.jql", {"jql": jql}),
        ("extend.subtasks", {"levels": 10}),
        ("extend.links", {"linkTypeId": BLOCKS, "direction": "outward", "levels": 3}),
        ("group.field", {"fieldId": "status"}),
        ("sort.field", {"fieldId": "priority", "direction": "asc"}),
    ]
    return {i + 1: GeneratorSpec(i + 1, k, c) for i, (k, c) in enumerate(configs)}


def run(
    tenant: Tenant, gens: dict[int, GeneratorSpec]
) -> tuple[EffectiveForest, float]:
    rows = [StaticRow(i, 0, "generator", i) for i in gens]
    started = time.perf_counter()
    forest = forest_generate(
        rows=rows,
        generators=gens,
        source=JiraSyncSource(tenant=tenant),
        time_limit_s=300,
    )
    return forest, time.perf_counter() - started


def main() -> list[dict[str, Any]]:
    RESULTS.clear()
    with SimulatorHandle.start(dataset="generated", issues=ISSUES, seed=1) as sim:
        client_key = f"bench-gen-{uuid.uuid4().hex[:8]}"
        sim.add_installation(
            app_key=settings.APP_KEY,
            app_base_url=settings.APP_BASE_URL,
            client_key=client_key,
            shared_secret=SECRET,
        )
        tenant = Tenant(
            client_key=client_key,
            base_url=sim.base_url,
            shared_secret=SECRET,
            installed_at=timezone.now(),
        )
        keys = [f"GA{chr(ord('A') + i)}" for i in range(15)]
        # The warm figures time the generators on a warm Jira cache. On a loaded
        # machine the cold run and a series of 57k-row runs outlast the 60 s issue
        # expiry, so entries would expire mid-series and no run would be warm; the
        # expiry is a privacy policy, not what is measured, so the bench lengthens it
        # for its own throwaway tenant only.
        long_ttls = {**settings.JIRA_CACHE_TTLS, "issue": 1800, "links": 1800}
        long_ttls["search"] = 1800
        try:
            with override_settings(JIRA_CACHE_TTLS=long_ttls):
                _measure(sim, tenant, keys)
        finally:
            cache_store.delete_prefix(cache_keys.tenant_prefix(client_key))
    return list(RESULTS)


def _measure(sim: SimulatorHandle, tenant: Tenant, keys: list[str]) -> None:
    full = specs(keys)
    sim.reset_call_counts()
    tracemalloc.start()
    cold, cold_s = run(tenant, full)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    calls = sim.call_counts()
    rows = cold.report.rows
    size = f"{rows // 1000}k"
    issue_ids = {int(r.item_id) for r in cold.rows if r.item_type == "issue"}
    inserted = cold.report.generators[0].rows
    minimum = (
        math.ceil(inserted / 5000)  # search pages of ids
        + math.ceil(len(issue_ids) / 100)  # one bulk fetch per 100 distinct issues
    )
    made = sum(v for k, v in calls.items() if k.startswith(("POST", "GET")))
    emit(
        f"hierarchies.generate_rows.{ISSUES // 1000}k_issues",
        rows,
        "rows",
        ">= 50000, complete",
        rows >= 50_000 and cold.report.complete,
    )
    emit(f"hierarchies.generate_cold.{size}", cold_s, "s", "report", None)
    emit(
        f"hierarchies.generate_cold.rest_calls_ratio.{size}",
        made / minimum,
        "ratio",
        "report (minimum: search pages + ceil(distinct issues/100))",
        None,
    )
    emit(
        f"hierarchies.generate_cold.peak_memory.{size}",
        peak / 2**20,
        "MiB",
        "report",
        None,
    )
    sim.reset_call_counts()
    warm, _ = run(tenant, full)
    assert warm.rows == cold.rows
    warm_calls = sim.call_counts()
    emit(
        f"hierarchies.generate_warm.{size}",
        _warm_median(sim, tenant, full, 3)[0],
        "s",
        "report (median of 3 warm runs)",
        None,
    )
    emit(
        f"hierarchies.generate_warm.rest_calls.{size}",
        sum(warm_calls.values()),
        "calls",
        "0",
        not warm_calls,
    )

    # About 30,000 rows: the first projects only, warm cache.
    for n in range(len(keys), 0, -1):
        part = specs(keys[:n])
        forest, _ = run(tenant, part)  # warms any missing entries
        if forest.report.rows <= 31_000:
            size = f"{forest.report.rows // 1000}k"
            median, cpu = _warm_median(sim, tenant, part, WARM_RUNS)
            emit(
                f"hierarchies.generate_warm.{size}",
                median,
                "s",
                f"< 1 (median of {WARM_RUNS} warm runs)",
                median < 1.0,
            )
            emit(
                f"hierarchies.generate_warm.cpu.{size}",
                cpu,
                "s",
                f"report (this process's CPU time, median of the same {WARM_RUNS}"
                " runs: without Redis's own work and waiting for a shared CPU)",
                None,
            )
            _measure_result_cache(tenant, forest)
            break


def _warm_median(
    sim: SimulatorHandle, tenant: Tenant, gens: dict[int, GeneratorSpec], runs: int
) -> tuple[float, float]:
    """Median wall and CPU time of `runs` full regenerations on the warm Jira cache.

    Every generator runs each time; only the Jira data comes from the cache. A run
    that had to ask Jira (an entry reached its TTL meanwhile: issue entries live 60 s
    and the cold run alone can take that long) was not warm: it is not counted, and
    the entries it refreshed make the next one warm.
    """
    walls: list[float] = []
    cpus: list[float] = []
    not_warm = 0
    while len(walls) < runs:
        sim.reset_call_counts()
        cpu_started = time.process_time()
        _, seconds = run(tenant, gens)
        cpu = time.process_time() - cpu_started
        if sim.call_counts():
            not_warm += 1
            if not_warm > runs:
                raise RuntimeError("the Jira cache does not stay warm between runs")
            continue
        walls.append(seconds)
        cpus.append(cpu)
    return statistics.median(walls), statistics.median(cpus)


def _measure_result_cache(tenant: Tenant, forest: EffectiveForest) -> None:
    """What each of twenty viewers pays when the generated forest is in the result
    cache: one Redis read of the packed rows, unpacking, and the viewer rule (every
    issue browsable here, so the rule keeps all rows: its full cost)."""
    generated = gen_selectors.GeneratedForest(
        version=1,
        rows=forest.rows,
        complete=forest.report.complete,
        message=forest.report.message,
        generators=[],
    )
    cache = caches["jira"]
    key = f"gen:bench:{tenant.client_key}:forest"
    cache.set(key, gen_selectors._pack(generated), 60)
    browsable = {int(r.item_id) for r in forest.rows if r.item_type == "issue"}
    try:
        best = math.inf
        for _ in range(5):
            started = time.perf_counter()
            hit = gen_selectors._unpack(cache.get(key))
            rows = gen_selectors.effective_rows_for_viewer(hit.rows, browsable)
            best = min(best, time.perf_counter() - started)
        assert len(rows) == len(forest.rows)
    finally:
        cache.delete(key)
    emit(
        f"hierarchies.generate_cache_hit.{len(forest.rows) // 1000}k",
        best,
        "s",
        "report (per viewer: result cache read + viewer rule)",
        None,
    )
