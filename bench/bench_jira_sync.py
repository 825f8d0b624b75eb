"""jira_sync: 10,000 issues cold and warm against the simulator (generated dataset).

* REST calls of a cold fetch (issue data + one viewer's browse permissions) against the
  minimum ceil(N/100) bulk fetches + ceil(N/1000) permission checks (target 1.00);
* Redis round trips per 1,000 issues on a warm cache (target <= 2), counted at the
  socket: one `send_packed_command` is one round trip (a pipeline is one);
* wall times, for the record.
"""

import math
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

N_ISSUES = 10_000
FIELDS = ["summary", "status", "issuetype", "parent", "issuelinks", "assignee"]


@contextmanager
def _redis_round_trips() -> Iterator[list[int]]:
    from redis.connection import Connection

    counter = [0]
    original: Any = Connection.send_packed_command

    def counting(self: Any, command: Any, check_health: bool = True) -> None:
        counter[0] += 1
        original(self, command, check_health)

    Connection.send_packed_command = counting  # type: ignore[method-assign]
    try:
        yield counter
    finally:
        Connection.send_packed_command = original  # type: ignore[method-assign]


def _result(
    name: str, value: float, unit: str, target: str, ok: bool
) -> dict[str, Any]:
    return {
        "bench": name,
        "value": round(value, 3),
        "unit": unit,
        "target": target,
        "ok": ok,
    }


def main() -> list[dict[str, Any]]:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "structure_cloud.settings_test")
    import django

    django.setup()
    from django.conf import settings

    from jira_simulator import SimulatorHandle
    from jira_sync import cache_keys, cache_store, selectors
    from jira_sync.models import Tenant

    secret = "bench-shared-secret-0123456789abcdef0123"  # noqa: S105
    results: list[dict[str, Any]] = []
    with SimulatorHandle.start(dataset="generated", issues=N_ISSUES, seed=1) as sim:
        sim.add_installation(
            app_key=settings.APP_KEY,
            app_base_url=settings.APP_BASE_URL,
            client_key="bench-jira-sync",
            shared_secret=secret,
        )
        # Never saved: the selectors need a tenant, not a row.
        tenant = Tenant(
            client_key="bench-jira-sync",
            base_url=sim.base_url,
            shared_secret=secret,
            state=Tenant.State.INSTALLED,
        )
        cache_store.delete_prefix(cache_keys.tenant_prefix(tenant.client_key))
        client = selectors.jira_client_for(tenant)
        keys = ", ".join(p.key for p in client.projects_browsable())
        ids = client.search_jql_ids(f"project in ({keys}) ORDER BY key")[:N_ISSUES]
        viewer = next(
            u["accountId"]
            for u in sim.users()
            if u["accountType"] == "atlassian" and not u["siteAdmin"] and u["groups"]
        )
        n = len(ids)
        size = f"{n // 1000}k"

        sim.reset_call_counts()
        started = time.perf_counter()
        issues = selectors.issues_get(tenant=tenant, issue_ids=ids, fields=FIELDS)
        visible = selectors.issues_browsable_filter(
            tenant=tenant, account_id=viewer, issue_ids=ids
        )
        cold_ms = (time.perf_counter() - started) * 1000
        calls = sum(sim.call_counts().values())
        minimum = math.ceil(n / 100) + math.ceil(n / 1000)
        assert len(issues) == n, (len(issues), n)

        sim.reset_call_counts()
        cache_store.active_user_memo_clear()  # count the activity record too
        with _redis_round_trips() as trips:
            started = time.perf_counter()
            warm = selectors.issues_get(tenant=tenant, issue_ids=ids, fields=FIELDS)
            warm_visible = selectors.issues_browsable_filter(
                tenant=tenant, account_id=viewer, issue_ids=ids
            )
            warm_ms = (time.perf_counter() - started) * 1000
        assert len(warm) == n
        assert warm_visible == visible
        warm_calls = sum(sim.call_counts().values())
        per_1k = trips[0] / (n / 1000)

        results += [
            _result(
                f"jira_sync.cold_fetch.rest_calls_ratio.{size}",
                calls / minimum,
                f"x minimum ({calls} calls / {minimum})",
                "<= 1.00",
                calls <= minimum,
            ),
            _result(
                f"jira_sync.warm_read.rest_calls.{size}",
                warm_calls,
                "calls",
                "== 0",
                warm_calls == 0,
            ),
            _result(
                "jira_sync.warm_read.redis_round_trips_per_1k",
                per_1k,
                f"round trips per 1k issues ({trips[0]} for {n})",
                "<= 2",
                per_1k <= 2,
            ),
            _result(f"jira_sync.cold_fetch.wall.{size}", cold_ms, "ms", "report", True),
            _result(f"jira_sync.warm_read.wall.{size}", warm_ms, "ms", "report", True),
        ]
        cache_store.delete_prefix(cache_keys.tenant_prefix(tenant.client_key))
    return results


if __name__ == "__main__":
    import json

    for line in main():
        print(json.dumps(line))
