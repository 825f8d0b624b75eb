"""Celery tasks on a real worker (Redis broker of settings_test)."""

import pytest
from django.conf import settings

from jira_simulator.datasets import BOB, G_WEB
from jira_sync import cache_keys, cache_store, selectors, services, tasks
from structure_cloud.celery import app
from tests.conftest import wait_until

pytestmark = pytest.mark.django_db(transaction=True)


def test_uninstall_purges_the_tenants_cache_through_the_worker(
    sim_tenant, simulator, celery_worker
):
    ids = selectors.jira_client_for(sim_tenant).search_jql_ids(
        "project = WEB", limit=50
    )
    selectors.issues_get(tenant=sim_tenant, issue_ids=ids, fields=["summary"])
    selectors.issues_browsable_filter(tenant=sim_tenant, account_id=BOB, issue_ids=ids)
    prefix = cache_keys.tenant_prefix(sim_tenant.client_key)
    other_key = cache_keys.fields("another-tenant")
    cache_store.set_many({other_key: [{"id": "summary"}]}, ttl=60)
    assert len(cache_store.keys_with_prefix(prefix)) > 100

    services.tenant_uninstall(client_key=sim_tenant.client_key, actor="jira")

    assert wait_until(lambda: cache_store.keys_with_prefix(prefix) == [], 20.0)
    assert cache_store.get_many([other_key])  # other tenants keep theirs


def test_what_a_fetch_in_flight_stores_after_the_purge_is_purged_again(
    sim_tenant, simulator, celery_worker, settings
):
    settings.JIRA_PURGE_AGAIN_AFTER_S = 2
    prefix = cache_keys.tenant_prefix(sim_tenant.client_key)
    ids = selectors.jira_client_for(sim_tenant).search_jql_ids("project = WEB", limit=5)
    selectors.issues_get(tenant=sim_tenant, issue_ids=ids, fields=["summary"])
    services.tenant_uninstall(client_key=sim_tenant.client_key, actor="jira")
    assert wait_until(lambda: cache_store.keys_with_prefix(prefix) == [], 20.0)
    # A board request that began before the uninstall stores its Jira answer now.
    late = cache_keys.issue(sim_tenant.client_key, ids[0])
    cache_store.set_many({late: {"id": ids[0], "fetched": ["summary"]}}, ttl=60)
    assert cache_store.keys_with_prefix(prefix) == [late]
    assert wait_until(lambda: cache_store.keys_with_prefix(prefix) == [], 20.0)


def test_a_purge_due_after_a_reinstall_leaves_the_new_cache_alone(sim_tenant):
    key = cache_keys.issue(sim_tenant.client_key, 1)
    cache_store.set_many({key: {"id": 1, "fetched": []}}, ttl=60)
    assert tasks.tenant_cache_purge(sim_tenant.pk) == 0  # installed (again)
    assert cache_store.get_many([key])


def test_refresh_task_updates_active_users_before_expiry(
    sim_tenant, simulator, celery_worker, settings
):
    settings.JIRA_CACHE_TTLS = {**settings.JIRA_CACHE_TTLS, "groups": 400}
    ids = selectors.jira_client_for(sim_tenant).search_jql_ids(
        "project = WEB", limit=20
    )
    before = selectors.user_memberships_get(tenant=sim_tenant, account_id=BOB)
    assert "web-team" in before.groups
    assert selectors.issues_browsable_filter(
        tenant=sim_tenant, account_id=BOB, issue_ids=ids
    ) == set(ids)
    site = simulator.sim.site
    site.users[BOB].groups.remove(G_WEB)  # Bob leaves the web team in Jira
    site.projects[10000].roles[10000].groups.clear()  # and WEB's viewers role
    site.projects[10000].roles[10002].users.clear()  # and its admins role
    groups_key = cache_keys.user_groups(sim_tenant.client_key, BOB)
    browse_key = cache_keys.user_browse(sim_tenant.client_key, BOB, ids[0])

    tasks.active_users_refresh.delay(sim_tenant.pk)

    def groups_cached() -> set[str]:
        cached = cache_store.get_many([groups_key]).get(groups_key, [])
        return {g[0] for g in cached}

    assert wait_until(lambda: "web-team" not in groups_cached(), 20.0)
    assert wait_until(
        lambda: cache_store.get_many([browse_key]).get(browse_key) == 0, 20.0
    )
    simulator.reset_call_counts()
    after = selectors.user_memberships_get(tenant=sim_tenant, account_id=BOB)
    assert "web-team" not in after.groups
    assert not selectors.issues_browsable_filter(
        tenant=sim_tenant, account_id=BOB, issue_ids=ids
    )
    assert simulator.call_counts() == {}  # served from the refreshed entries


def test_beat_refreshes_before_the_shortest_refreshed_ttl():
    app.loader.import_default_modules()
    schedule = settings.CELERY_BEAT_SCHEDULE["jira-sync-refresh-active-users"]
    assert schedule["task"] in app.tasks
    assert schedule["schedule"] < settings.JIRA_CACHE_TTLS["browse_permissions"]


def test_tasks_are_idempotent_and_ignore_unknown_tenants(sim_tenant):
    assert tasks.tenant_cache_purge(987654) == 0
    assert tasks.active_users_refresh(987654) == 0
    assert tasks.tenant_cache_purge(sim_tenant.pk) == 0
    assert tasks.tenant_cache_purge(sim_tenant.pk) == 0
