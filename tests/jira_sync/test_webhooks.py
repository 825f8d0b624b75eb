"""Webhooks evict the cache: signed, idempotent, forged ones change nothing."""

import json
import logging
from typing import Any

import pytest
from django.test import Client

from jira_simulator.datasets import CAROL
from jira_sync import cache_keys, cache_store, selectors
from jira_sync.descriptor import descriptor_build
from tests.conftest import SIM_TENANT_SECRET, tenant_make, tenant_token

pytestmark = pytest.mark.django_db

BULK = "POST /rest/api/3/issue/bulkfetch"
CHECK = "POST /rest/api/3/permissions/check"
FIELDS = ["summary", "status", "issuelinks", "subtasks", "parent"]


def post_webhook(
    tenant: Any, event: str, body: Any, *, secret: str | None = None
) -> Any:
    path = f"/connect/webhooks/{event}"
    token = tenant_token(tenant, method="POST", path=path, secret=secret)
    raw = body if isinstance(body, str) else json.dumps(body)
    return Client().post(
        path,
        raw,
        content_type="application/json",
        headers={"Authorization": f"JWT {token}"},
    )


def warm(tenant: Any, ids: list[int]) -> dict[int, Any]:
    return selectors.issues_get(tenant=tenant, issue_ids=ids, fields=FIELDS)


def web_ids(tenant: Any, n: int = 20) -> list[int]:
    return selectors.jira_client_for(tenant).search_jql_ids(
        "project = WEB ORDER BY key", limit=n
    )


def test_issue_updated_webhook_evicts_that_issue_only(sim_tenant, simulator):
    ids = web_ids(sim_tenant)
    warm(sim_tenant, ids)
    issue = simulator.update_issue(ids[3], fields={"summary": "Renamed in Jira"})
    body = {"webhookEvent": "jira:issue_updated", "issue": {"id": str(issue.id)}}
    assert post_webhook(sim_tenant, "jira_issue_updated", body).status_code == 204
    simulator.reset_call_counts()
    fresh = warm(sim_tenant, ids)
    assert fresh[ids[3]].summary == "Renamed in Jira"
    assert simulator.call_counts() == {BULK: 1}
    simulator.reset_call_counts()
    warm(sim_tenant, ids)
    assert simulator.call_counts() == {}


def test_the_same_webhook_twice_is_harmless(sim_tenant, simulator):
    ids = web_ids(sim_tenant, 5)
    warm(sim_tenant, ids)
    body = {"webhookEvent": "jira:issue_updated", "issue": {"id": str(ids[0])}}
    assert post_webhook(sim_tenant, "jira_issue_updated", body).status_code == 204
    assert post_webhook(sim_tenant, "jira_issue_updated", body).status_code == 204
    assert len(warm(sim_tenant, ids)) == 5


def test_link_webhooks_evict_both_ends(sim_tenant, simulator):
    ids = web_ids(sim_tenant, 10)
    warm(sim_tenant, ids)
    simulator.webhook_deliveries()
    link = simulator.add_link("Blocks", ids[1], ids[2])
    body = {
        "webhookEvent": "issuelink_created",
        "issueLink": {
            "id": link.id,
            "sourceIssueId": ids[1],
            "destinationIssueId": ids[2],
        },
    }
    assert post_webhook(sim_tenant, "issuelink_created", body).status_code == 204
    simulator.reset_call_counts()
    fresh = warm(sim_tenant, ids)
    assert simulator.call_counts() == {BULK: 1}
    linked = {
        int((link.get("inwardIssue") or link.get("outwardIssue"))["id"])
        for link in fresh[ids[1]].fields["issuelinks"]
    }
    assert ids[2] in linked


def test_security_change_drops_cached_browse_answers(sim_tenant, simulator):
    ids = web_ids(sim_tenant, 5)
    selectors.issues_browsable_filter(
        tenant=sim_tenant, account_id=CAROL, issue_ids=ids
    )
    body = {
        "webhookEvent": "jira:issue_updated",
        "issue": {"id": str(ids[0])},
        "changelog": {"items": [{"field": "security", "from": None, "to": "10200"}]},
    }
    assert post_webhook(sim_tenant, "jira_issue_updated", body).status_code == 204
    simulator.reset_call_counts()
    selectors.issues_browsable_filter(
        tenant=sim_tenant, account_id=CAROL, issue_ids=ids
    )
    assert simulator.call_counts() == {CHECK: 1}


def test_issue_webhook_invalidates_cached_searches(sim_tenant, simulator):
    jql = "project = FIN ORDER BY key"
    before = selectors.issue_ids_search(tenant=sim_tenant, jql=jql)
    created = simulator.create_issue(project="FIN", issuetype="Task", summary="New one")
    body = {"webhookEvent": "jira:issue_created", "issue": {"id": str(created.id)}}
    assert post_webhook(sim_tenant, "jira_issue_created", body).status_code == 204
    assert selectors.issue_ids_search(tenant=sim_tenant, jql=jql) == [
        *before,
        created.id,
    ]


def test_forged_webhook_is_refused_and_evicts_nothing(sim_tenant, simulator):
    ids = web_ids(sim_tenant, 5)
    warm(sim_tenant, ids)
    body = {"webhookEvent": "jira:issue_deleted", "issue": {"id": str(ids[0])}}
    response = post_webhook(
        sim_tenant,
        "jira_issue_deleted",
        body,
        secret="forged-secret-000000000000000000",
    )
    assert response.status_code == 401
    unsigned = Client().post(
        "/connect/webhooks/jira_issue_deleted",
        json.dumps(body),
        content_type="application/json",
    )
    assert unsigned.status_code == 401
    simulator.reset_call_counts()
    warm(sim_tenant, ids)
    assert simulator.call_counts() == {}


def test_webhook_signed_for_another_path_is_refused(sim_tenant, simulator):
    ids = web_ids(sim_tenant, 5)
    warm(sim_tenant, ids)
    token = tenant_token(
        sim_tenant, method="POST", path="/connect/webhooks/jira_issue_created"
    )
    response = Client().post(
        "/connect/webhooks/jira_issue_deleted",
        json.dumps({"issue": {"id": str(ids[0])}}),
        content_type="application/json",
        headers={"Authorization": f"JWT {token}"},
    )
    assert response.status_code == 401
    simulator.reset_call_counts()
    warm(sim_tenant, ids)
    assert simulator.call_counts() == {}


@pytest.mark.parametrize(
    "body",
    [
        "{not json",
        "[1, 2]",
        json.dumps({"issue": {}}),
        json.dumps({"issue": {"id": "x"}}),
    ],
)
def test_malformed_webhook_body_is_a_400_and_evicts_nothing(
    sim_tenant, simulator, body
):
    ids = web_ids(sim_tenant, 5)
    warm(sim_tenant, ids)
    assert post_webhook(sim_tenant, "jira_issue_updated", body).status_code == 400
    simulator.reset_call_counts()
    warm(sim_tenant, ids)
    assert simulator.call_counts() == {}


def test_unknown_event_is_acknowledged_and_logged(sim_tenant, caplog):
    with caplog.at_level(logging.INFO, logger="jira_sync.views"):
        response = post_webhook(sim_tenant, "comment_created", {"comment": {"id": "1"}})
    assert response.status_code == 204
    assert "comment_created" in caplog.text


@pytest.mark.django_db(transaction=True)
def test_simulator_webhooks_reach_the_app_and_evict(simulator, live_server, settings):
    """End to end: Jira (the simulator) signs and delivers; the app evicts."""
    settings.APP_BASE_URL = live_server.url
    simulator.reset()
    descriptor = descriptor_build()
    simulator.add_installation(
        app_key=settings.APP_KEY,
        app_base_url=live_server.url,
        client_key=simulator.client_key,
        shared_secret=SIM_TENANT_SECRET,
        descriptor=descriptor,
    )
    tenant = tenant_make(
        client_key=simulator.client_key,
        base_url=simulator.base_url,
        secret=SIM_TENANT_SECRET,
    )
    ids = web_ids(tenant, 5)
    warm(tenant, ids)
    simulator.update_issue(ids[0], fields={"summary": "Changed while cached"})
    deliveries = simulator.webhook_deliveries()
    assert [(d.event, d.status) for d in deliveries] == [("jira:issue_updated", 204)]
    key = cache_keys.issue(tenant.client_key, ids[0])
    assert key not in cache_store.get_many([key])
    assert warm(tenant, ids)[ids[0]].summary == "Changed while cached"
