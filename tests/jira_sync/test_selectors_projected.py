"""Compact per-issue projections (`issues_projected_get`) and the fast cache reads."""

from collections.abc import Sequence
from typing import Any

import pytest
from django.core.cache import caches

from jira_simulator import SimulatorHandle
from jira_sync import cache_keys, cache_store, selectors, services
from jira_sync.models import Tenant
from jira_sync.types import JiraIssue

pytestmark = pytest.mark.django_db

BULK = "POST /rest/api/3/issue/bulkfetch"
WEB_4 = 10003


class Projector:
    """A projection that records the fields it was asked to build."""

    def __init__(self) -> None:
        self.built: list[tuple[int, tuple[str, ...]]] = []

    def __call__(self, issue: JiraIssue, fields: Sequence[str]) -> Any:
        self.built.append((issue.id, tuple(fields)))
        status = issue.fields.get("status") or {}
        return (issue.key, status.get("name"), tuple(sorted(fields)))


def projected(tenant: Tenant, project: Projector, fields: list[str]) -> dict[int, Any]:
    return selectors.issues_projected_get(
        tenant=tenant,
        issue_ids=[WEB_4, WEB_4 + 1],
        fields=fields,
        projection="test1",
        project=project,
    )


def test_projections_are_built_once_then_read_from_the_cache(
    sim_tenant, simulator: SimulatorHandle
):
    project = Projector()
    first = projected(sim_tenant, project, ["status"])
    assert first[WEB_4] == ("WEB-4", "To Do", ("status",))
    assert len(project.built) == 2
    simulator.reset_call_counts()
    again = projected(sim_tenant, project, ["status"])
    assert again == first
    assert len(project.built) == 2  # not rebuilt
    assert simulator.call_counts() == {}  # and Jira not asked


def test_asking_for_more_fields_rebuilds_with_the_union_once(sim_tenant):
    project = Projector()
    projected(sim_tenant, project, ["status"])
    wider = projected(sim_tenant, project, ["priority"])
    assert wider[WEB_4][2] == ("priority", "status")
    built = len(project.built)
    projected(sim_tenant, project, ["status"])
    projected(sim_tenant, project, ["priority", "status"])
    assert len(project.built) == built  # both served by the one wider entry


def test_a_webhook_evicts_the_projection_with_the_issue(
    sim_tenant, simulator: SimulatorHandle
):
    project = Projector()
    assert projected(sim_tenant, project, ["status"])[WEB_4][1] == "To Do"
    simulator.set_status("WEB-4", "In Progress")
    services.issues_evict(tenant=sim_tenant, issue_ids=[WEB_4])
    assert projected(sim_tenant, project, ["status"])[WEB_4][1] == "In Progress"


def test_projections_expire_like_issue_entries(sim_tenant):
    projected(sim_tenant, Projector(), ["status"])
    key = cache_keys.issue_compact(sim_tenant.client_key, WEB_4)
    remaining = cache_store.ttl_remaining(key)
    assert remaining is not None
    assert 0 < remaining <= selectors.issue_ttl(["status"])


def test_fast_reads_return_what_the_cache_stored():
    cache = caches["jira"]
    values = {"a": {"x": [1, 2]}, "b": 7, "c": ("t", (1, "s")), "d": True, "e": "text"}
    cache.set_many(values, 60)
    found = cache_store.get_many(["a", "b", "c", "d", "e", "missing"])
    assert found == values
    assert found == cache.get_many(list(values))


def test_batched_reads_keep_the_order_of_the_keys_with_none_for_misses():
    cache = caches["jira"]
    values = {"k1": ("t", (1, "s")), "k2": 7, "k3": "text"}
    cache.set_many(values, 60)
    keys = ["k3", "absent", "k1", "k2"]
    assert cache_store.get_list(keys) == ["text", None, ("t", (1, "s")), 7]
    # Past one MGET batch (2000 keys): the batches line up with the keys.
    more = [f"k{i % 3 + 1}" if i % 2 else "no" for i in range(5000)]
    assert cache_store.get_list(more) == [values.get(k) for k in more]
