"""boards: server time of the board page for 1k / 10k / 30k / 100k rows, warm cache.

For each size a structure of epics → stories → sub-tasks (one issue per row) is stored
through the hierarchies services, and the Jira cache is warm (issue fields, the viewer's
memberships and browse rights are in Redis, as after a first visit). Measured, as the
median of several runs after one warm-up:

* ``boards.first_response.<n>``: GET /board/<id>/ through the whole Django stack (page
  JWT, structure access, effective forest, totals fields of the whole tree from the
  cache, the totals pass, display fields of the 200 rows on screen, the template);
* ``boards.first_expand.<n>``: the rows API for the first epic's children;
* ``boards.totals.<n>``: the totals pass alone (Σ story points, progress weighted by
  story points, leaves) over the whole tree;
* ``boards.first_response.growth_100k_vs_10k``: time per row at 100k over time per row
  at 10k (1.0 is linear).
"""

import os
import random
import statistics
import time
from collections.abc import Callable
from typing import Any

N_SIZES = {"1k": 1_000, "10k": 10_000, "30k": 30_000, "100k": 100_000}
# BENCH_BOARDS_SIZES=1k,10k runs a subset (the growth line needs 10k and 100k).
ONLY = [s for s in os.environ.get("BENCH_BOARDS_SIZES", "").split(",") if s]
TARGETS_MS = {"30k": 300.0, "100k": 1000.0}
RUNS = 5
VIEWER = "bench-viewer"
SECRET = "bench-boards-shared-secret-0123456789abcdef"  # noqa: S105
SP = "customfield_10016"


def tenant_token(
    tenant: Any,
    *,
    method: str = "GET",
    path: str = "/",
    account_id: str,
    qsh: str | None = None,
    expires_in: int = 300,
) -> str:
    """A Connect HS256 token as Jira signs it (page token, or context token)."""
    import jwt
    from atlassian_jwt.url_utils import hash_url

    now = int(time.time())
    claims = {
        "iss": tenant.client_key,
        "sub": account_id,
        "iat": now,
        "exp": now + expires_in,
        "qsh": qsh or hash_url(method, path),
    }
    return jwt.encode(claims, tenant.shared_secret, algorithm="HS256")


def _ms(fn: Callable[[], Any], runs: int = RUNS) -> float:
    fn()  # warm-up
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def _shape(n: int) -> list[int]:
    """Depths: epics with 8 stories each, each story with 4 sub-tasks (41-row blocks)."""
    depths: list[int] = []
    while len(depths) < n:
        depths.append(0)
        for _ in range(8):
            depths.append(1)
            depths.extend([2] * 4)
    return depths[:n]


def _issue(issue_id: int, depth: int, rng: random.Random) -> dict[str, Any]:
    category = rng.choice(["new", "indeterminate", "done"])
    kind = ("Epic", "Story", "Sub-task")[depth]
    fields = {
        "summary": f"{kind} {issue_id}: benchmark row",
        "status": {"name": category.title(), "statusCategory": {"key": category}},
        "resolution": {"name": "Done"} if category == "done" else None,
        "issuetype": {"name": kind},
        "priority": {"name": "Medium"},
        "assignee": {"accountId": f"acc-{issue_id % 17}", "displayName": "Bench User"},
        SP: float(rng.choice([1, 2, 3, 5, 8])) if depth == 1 else None,
    }
    return {
        "id": issue_id,
        "key": f"BEN-{issue_id}",
        "fields": fields,
        "fetched": sorted([*fields, "timespent", "timeestimate"]),
    }


def _build(tenant: Any, n: int) -> Any:
    from hierarchies import services
    from hierarchies.forest import ITEM_ISSUE, AddAction
    from hierarchies.permissions import Rule

    structure = services.structure_create(
        tenant=tenant, actor=VIEWER, name=f"Bench {n}"
    )
    services.permission_rules_replace(
        structure=structure,
        actor=VIEWER,
        rules=[Rule(subject_type="everyone", level=10)],
    )
    depths = _shape(n)
    last_top: int | None = None
    batch = 4100  # a multiple of the 41-row block, under the per-request action limit
    for start in range(0, n, batch):
        actions = []
        parents: list[int] = []
        previous_top = last_top
        for offset, depth in enumerate(depths[start : start + batch]):
            temp = -(offset + 1)
            del parents[depth:]
            if depth == 0:
                actions.append(
                    AddAction(ITEM_ISSUE, start + offset + 1, None, previous_top, temp)
                )
                previous_top = temp
            else:
                actions.append(
                    AddAction(ITEM_ISSUE, start + offset + 1, parents[-1], None, temp)
                )
            parents.append(temp)
        structure.refresh_from_db()
        result = services.forest_update(
            structure=structure,
            actor=VIEWER,
            version=structure.version,
            actions=actions,
        )
        if previous_top is not None and previous_top < 0:
            last_top = result.temp_ids[previous_top]
    structure.refresh_from_db()
    return structure, depths


def _warm_cache(tenant: Any, depths: list[int]) -> None:
    from jira_sync import cache_keys, cache_store

    rng = random.Random(7)
    client_key = tenant.client_key
    entries: dict[str, Any] = {}
    for index, depth in enumerate(depths):
        issue_id = index + 1
        entries[cache_keys.issue(client_key, issue_id)] = _issue(issue_id, depth, rng)
        entries[cache_keys.user_browse(client_key, VIEWER, issue_id)] = 1
    entries[cache_keys.user_groups(client_key, VIEWER)] = []
    entries[cache_keys.user_project_roles(client_key, VIEWER)] = []
    cache_store.set_many(entries, ttl=3600)


def _results_for(label: str, n: int, tenant: Any) -> dict[str, float]:
    from django.test import Client
    from rest_framework.test import APIClient

    from boards import board as board_lib
    from boards import selectors

    structure, depths = _build(tenant, n)
    _warm_cache(tenant, depths)
    path = f"/board/{structure.pk}/"

    def first_response() -> None:
        token = tenant_token(tenant, method="GET", path=path, account_id=VIEWER)
        response = Client().get(f"{path}?jwt={token}")
        assert response.status_code == 200, response.status_code
        assert b'data-testid="jira-banner"' not in response.content

    board = selectors.board_get(
        tenant=tenant, account_id=VIEWER, structure_id=structure.pk
    )
    assert not board.jira_problem, board.jira_problem
    assert len(board.forest) == n
    first_epic = board.forest.row_ids[0]
    api = APIClient()
    token = tenant_token(tenant, account_id=VIEWER, qsh="context-qsh", expires_in=900)
    api.credentials(HTTP_AUTHORIZATION=f"JWT {token}")

    def first_expand() -> None:
        response = api.get(
            f"/api/v1/boards/{structure.pk}/rows?under={first_epic}&expandDepth=1"
        )
        assert response.status_code == 200, response.status_code

    data = {
        issue_id: issue["fields"]
        for issue_id, issue in selectors.issue_fields_get(
            tenant=tenant,
            issue_ids=range(1, n + 1),
            fields=[SP, "resolution"],
        )[0].items()
    }

    def totals() -> None:
        board_lib.board_totals(board.forest, board.view.columns, data)

    return {
        "first_response": _ms(first_response),
        "first_expand": _ms(first_expand),
        "totals": _ms(totals),
    }


def main() -> list[dict[str, Any]]:
    from django.utils import timezone

    from bench.bench_hierarchies import database_create, database_drop
    from jira_sync import cache_keys, cache_store
    from jira_sync.models import Tenant

    database_create()
    results: list[dict[str, Any]] = []
    per_row: dict[str, float] = {}
    try:
        tenant = Tenant.objects.create(
            client_key="bench-boards",
            base_url="http://127.0.0.1:9",  # warm cache only: any Jira call would fail fast
            shared_secret=SECRET,
            installed_at=timezone.now(),
        )
        for label, n in N_SIZES.items():
            if ONLY and label not in ONLY:
                continue
            cache_store.delete_prefix(cache_keys.tenant_prefix(tenant.client_key))
            times = _results_for(label, n, tenant)
            per_row[label] = times["first_response"] / n
            for metric, value in times.items():
                target = TARGETS_MS.get(label) if metric == "first_response" else None
                results.append(
                    {
                        "bench": f"boards.{metric}.{label}",
                        "value": round(value, 2),
                        "unit": "ms",
                        "target": f"<= {target:g}" if target else None,
                        "ok": target is None or value <= target,
                    }
                )
        growth = per_row.get("100k", 0.0) / per_row.get("10k", 1.0)
        results.append(
            {
                "bench": "boards.first_response.growth_100k_vs_10k",
                "value": round(growth, 3),
                "unit": "ratio",
                "target": "<= 1.0",
                "ok": growth <= 1.0,
            }
        )
        cache_store.delete_prefix(cache_keys.tenant_prefix(tenant.client_key))
    finally:
        database_drop()
    return results
