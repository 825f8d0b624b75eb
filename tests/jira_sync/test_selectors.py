"""Cached reads against the simulator and the real Redis: batches, expiry, isolation."""

import math
import threading
import time
from typing import Any

import pytest
from django.conf import settings
from django.core.cache import caches

from jira_simulator import SimulatorHandle
from jira_simulator.datasets import BOB, CAROL, CONTRACTOR, NO_GROUP
from jira_sync import cache_keys, cache_store, selectors
from jira_sync.models import Tenant
from tests.conftest import database_text_holding, tenant_make

pytestmark = pytest.mark.django_db

BULK = "POST /rest/api/3/issue/bulkfetch"
CHECK = "POST /rest/api/3/permissions/check"
FIELDS = ["summary", "status", "issuetype", "parent", "issuelinks"]


def all_ids(tenant: Tenant) -> list[int]:
    return selectors.jira_client_for(tenant).search_jql_ids(
        "project in (WEB, MOB, FIN) ORDER BY key"
    )


def redis_keys(prefix: str) -> list[str]:
    return cache_store.keys_with_prefix(prefix)


def test_cold_fetch_is_bulk_batches_then_warm_fetch_calls_nothing(
    sim_tenant, simulator
):
    ids = all_ids(sim_tenant)[:250]
    simulator.reset_call_counts()
    cold = selectors.issues_get(tenant=sim_tenant, issue_ids=ids, fields=FIELDS)
    assert list(cold) == ids
    assert cold[ids[0]].summary == simulator.issue(ids[0]).summary
    assert simulator.call_counts() == {BULK: math.ceil(len(ids) / 100)}
    simulator.reset_call_counts()
    warm = selectors.issues_get(tenant=sim_tenant, issue_ids=ids, fields=FIELDS)
    assert warm == cold
    assert simulator.call_counts() == {}


def test_only_misses_are_fetched(sim_tenant, simulator):
    ids = all_ids(sim_tenant)[:150]
    selectors.issues_get(tenant=sim_tenant, issue_ids=ids[:100], fields=FIELDS)
    simulator.reset_call_counts()
    both = selectors.issues_get(tenant=sim_tenant, issue_ids=ids, fields=FIELDS)
    assert set(both) == set(ids)
    assert simulator.call_counts() == {BULK: 1}  # the 50 new ones, one batch


def test_asking_for_more_fields_refetches_once_then_serves_both(sim_tenant, simulator):
    ids = all_ids(sim_tenant)[:20]
    selectors.issues_get(tenant=sim_tenant, issue_ids=ids, fields=["summary"])
    wider = selectors.issues_get(
        tenant=sim_tenant, issue_ids=ids, fields=["summary", "assignee"]
    )
    assert all("assignee" in i.fetched for i in wider.values())
    simulator.reset_call_counts()
    selectors.issues_get(tenant=sim_tenant, issue_ids=ids, fields=["summary"])
    selectors.issues_get(tenant=sim_tenant, issue_ids=ids, fields=["assignee"])
    assert simulator.call_counts() == {}


def test_entries_expire_from_redis_and_are_fetched_again(
    sim_tenant, simulator, settings
):
    settings.JIRA_CACHE_TTLS = {**settings.JIRA_CACHE_TTLS, "issue": 1, "links": 1}
    ids = all_ids(sim_tenant)[:30]
    selectors.issues_get(tenant=sim_tenant, issue_ids=ids, fields=FIELDS)
    prefix = cache_keys.tenant_prefix(sim_tenant.client_key) + "issue:"
    assert len(redis_keys(prefix)) == 30
    assert (
        0
        < caches["jira"].ttl(  # type: ignore[attr-defined]
            cache_keys.issue(sim_tenant.client_key, ids[0])
        )
        <= 1
    )
    time.sleep(1.5)  # a real Redis expiry, once
    assert redis_keys(prefix) == []
    simulator.reset_call_counts()
    selectors.issues_get(tenant=sim_tenant, issue_ids=ids, fields=FIELDS)
    assert simulator.call_counts() == {BULK: 1}


def test_deleted_issues_are_left_out_and_not_cached(sim_tenant, simulator):
    ids = all_ids(sim_tenant)[:5]
    simulator.delete_issue(ids[0])
    found = selectors.issues_get(tenant=sim_tenant, issue_ids=ids, fields=["summary"])
    assert set(found) == set(ids[1:])
    assert caches["jira"].get(cache_keys.issue(sim_tenant.client_key, ids[0])) is None


def test_concurrent_misses_collapse_into_one_fetch(sim_tenant, simulator):
    ids = all_ids(sim_tenant)[:100]
    simulator.set_faults(latency_ms=300, endpoint=BULK)
    results: list[dict[int, Any]] = []

    def read() -> None:
        results.append(
            selectors.issues_get(tenant=sim_tenant, issue_ids=ids, fields=FIELDS)
        )

    threads = [threading.Thread(target=read) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(results) == 4
    assert all(r == results[0] and len(r) == 100 for r in results)
    assert simulator.call_counts()[BULK] == 1


def test_a_miss_filled_by_another_caller_before_our_lock_is_not_fetched_again():
    # Our caller missed; meanwhile another one locked, fetched, stored and released.
    keys = [cache_keys.issue("tenant-race", i) for i in (1, 2)]
    cache_store.set_many({keys[0]: {"id": 1}}, 60)
    asked: list[list[str]] = []

    def fetch(missing: list[str]) -> dict[str, Any]:
        asked.append(missing)
        return {k: {"fetched": k} for k in missing}

    found = cache_store.fill_misses(keys, fetch=fetch, ttl=60)
    assert asked == [[keys[1]]]
    assert found == {keys[0]: {"id": 1}, keys[1]: {"fetched": keys[1]}}


def test_two_users_see_what_the_site_lets_each_browse(sim_tenant, simulator):
    ids = all_ids(sim_tenant)
    site = simulator.sim.site
    simulator.reset_call_counts()
    seen = {}
    for account_id in (CONTRACTOR, CAROL, NO_GROUP):
        seen[account_id] = selectors.issues_browsable_filter(
            tenant=sim_tenant, account_id=account_id, issue_ids=ids
        )
        expected = {
            i for i in ids if site.can_browse(account_id, site.issue_lookup(str(i)))
        }
        assert seen[account_id] == expected
    assert seen[CONTRACTOR]
    assert seen[CAROL]
    assert seen[CONTRACTOR] != seen[CAROL]
    assert seen[NO_GROUP] == set()
    assert simulator.call_counts() == {CHECK: 3 * math.ceil(len(ids) / 1000)}
    simulator.reset_call_counts()
    again = selectors.issues_browsable_filter(
        tenant=sim_tenant, account_id=CAROL, issue_ids=ids
    )
    assert again == seen[CAROL]
    assert simulator.call_counts() == {}


def test_user_memberships_match_the_sites_groups_and_roles(sim_tenant, simulator):
    site = simulator.sim.site
    for account_id in (BOB, CONTRACTOR, NO_GROUP):
        memberships = selectors.user_memberships_get(
            tenant=sim_tenant, account_id=account_id
        )
        assert memberships.groups == {g.name for g in site.user_groups(account_id)}
        assert memberships.project_roles == {
            (p.id, r)
            for p in site.projects.values()
            for r in site.user_roles(account_id, p)
        }
    simulator.reset_call_counts()
    selectors.user_memberships_get(tenant=sim_tenant, account_id=BOB)
    assert simulator.call_counts() == {}
    since = time.time() - 60
    active = cache_store.active_users_since(sim_tenant.client_key, since)
    assert set(active) == {BOB, CONTRACTOR, NO_GROUP}


def test_metadata_and_search_are_cached(sim_tenant, simulator):
    link_types = selectors.link_types_get(tenant=sim_tenant)
    fields = selectors.fields_get(tenant=sim_tenant)
    ids = selectors.issue_ids_search(
        tenant=sim_tenant, jql="project = FIN ORDER BY key"
    )
    simulator.reset_call_counts()
    assert selectors.link_types_get(tenant=sim_tenant) == link_types
    assert selectors.fields_get(tenant=sim_tenant) == fields
    assert (
        selectors.issue_ids_search(tenant=sim_tenant, jql="project = FIN ORDER BY key")
        == ids
    )
    assert simulator.call_counts() == {}
    assert "Blocks" in {t.name for t in link_types}
    assert "summary" in {f.id for f in fields}


def test_a_tenant_is_never_served_another_tenants_entries(sim_tenant, simulator):
    with SimulatorHandle.start(dataset="demo") as other_site:
        other_site.add_installation(
            app_key=settings.APP_KEY,
            app_base_url=settings.APP_BASE_URL,
            client_key="other-site",
            shared_secret="other-site-secret-0123456789abcdef0123",
        )
        other = tenant_make(
            client_key="other-site",
            base_url=other_site.base_url,
            secret="other-site-secret-0123456789abcdef0123",
        )
        ids = all_ids(sim_tenant)[:10]
        other_site.update_issue(ids[0], fields={"summary": "Only on the other site"})
        mine = selectors.issues_get(tenant=sim_tenant, issue_ids=ids, fields=FIELDS)
        theirs = selectors.issues_get(tenant=other, issue_ids=ids, fields=FIELDS)
        assert mine[ids[0]].summary == simulator.issue(ids[0]).summary
        assert theirs[ids[0]].summary == "Only on the other site"
        assert other_site.call_counts()[BULK] == 1  # not served from tenant A's keys
        assert (
            selectors.issues_get(tenant=sim_tenant, issue_ids=ids, fields=FIELDS)[
                ids[0]
            ].summary
            != "Only on the other site"
        )


@pytest.mark.parametrize("state", [Tenant.State.UNINSTALLED, Tenant.State.DISABLED])
def test_inactive_tenant_caches_nothing(sim_tenant, simulator, state):
    sim_tenant.state = state
    sim_tenant.save()
    ids = all_ids(sim_tenant)[:10]
    found = selectors.issues_get(tenant=sim_tenant, issue_ids=ids, fields=FIELDS)
    assert set(found) == set(ids)
    selectors.issues_browsable_filter(tenant=sim_tenant, account_id=BOB, issue_ids=ids)
    selectors.user_memberships_get(tenant=sim_tenant, account_id=BOB)
    selectors.link_types_get(tenant=sim_tenant)
    assert redis_keys(cache_keys.tenant_prefix(sim_tenant.client_key)) == []


def test_no_database_table_holds_jira_field_values(sim_tenant, simulator):
    ids = all_ids(sim_tenant)
    issues = selectors.issues_get(tenant=sim_tenant, issue_ids=ids, fields=FIELDS)
    selectors.issues_browsable_filter(tenant=sim_tenant, account_id=BOB, issue_ids=ids)
    selectors.user_memberships_get(tenant=sim_tenant, account_id=BOB)
    selectors.fields_get(tenant=sim_tenant)
    selectors.link_types_get(tenant=sim_tenant)
    needles = {i.summary for i in issues.values() if len(i.summary) >= 8}
    needles |= {i.key for i in issues.values()}
    assert len(needles) > 100
    assert database_text_holding(needles) == []


def test_local_memory_cache_of_the_demo_works_the_same(sim_tenant, simulator, settings):
    settings.CACHES = {
        **settings.CACHES,
        "jira": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": "jira-demo",
            "KEY_PREFIX": "jira",
        },
    }
    ids = all_ids(sim_tenant)[:120]
    cold = selectors.issues_get(tenant=sim_tenant, issue_ids=ids, fields=FIELDS)
    simulator.reset_call_counts()
    assert selectors.issues_get(tenant=sim_tenant, issue_ids=ids, fields=FIELDS) == cold
    assert selectors.user_memberships_get(tenant=sim_tenant, account_id=BOB).groups
    assert BULK not in simulator.call_counts()
    prefix = cache_keys.tenant_prefix(sim_tenant.client_key)
    assert len(cache_store.keys_with_prefix(prefix)) >= 120
    assert cache_store.delete_prefix(prefix) >= 120
    assert cache_store.keys_with_prefix(prefix) == []
