"""The Share dialog's API: the rules named as Jira names their subjects, people and
groups found in Jira, Control only; saving goes through the permissions API."""

from typing import Any

import pytest

from hierarchies import services
from hierarchies.models import Structure
from jira_simulator import datasets
from jira_sync.models import Tenant
from tests.boards.conftest import BOB, CAROL, NO_GROUP
from tests.conftest import context_client

pytestmark = pytest.mark.django_db

ALICE = datasets.ADMIN


@pytest.fixture
def mine(sim_tenant: Tenant) -> Structure:
    return services.structure_create(
        tenant=sim_tenant, actor=ALICE, name="Alice's plan"
    )


def sharing(tenant: Tenant, structure: Structure, account_id: str = ALICE) -> Any:
    return context_client(tenant, account_id).get(
        f"/api/v1/structures/{structure.pk}/sharing"
    )


def candidates(tenant: Tenant, structure: Structure, q: str, who: str = ALICE) -> Any:
    return context_client(tenant, who).get(
        f"/api/v1/structures/{structure.pk}/sharing/candidates", {"q": q}
    )


def test_a_new_structure_is_private_and_its_owner_is_named(sim_tenant, mine):
    response = sharing(sim_tenant, mine)
    assert response.status_code == 200
    body = response.json()
    assert body["owner"] == {"accountId": ALICE, "label": "Alice Adams"}
    assert body["rules"] == []
    labels = [r["label"] for r in body["roles"]]
    assert "Developers in WEB" in labels
    assert not any("addons" in label for label in labels)


def test_saved_rules_come_back_with_the_names_jira_knows(sim_tenant, mine):
    web_devs = {"type": "projectRole", "projectId": 10000, "roleId": 10001}
    rules = [
        {"subject": {"type": "user", "accountId": CAROL}, "level": "EDIT"},
        {"subject": {"type": "group", "name": "web-team"}, "level": "VIEW"},
        {"subject": web_devs, "level": "AUTOMATE"},
        {"subject": {"type": "everyone"}, "level": "VIEW"},
    ]
    saved = context_client(sim_tenant, ALICE).put(
        f"/api/v1/structures/{mine.pk}/permissions", {"rules": rules}, format="json"
    )
    assert saved.status_code == 200
    body = sharing(sim_tenant, mine).json()
    assert [(r["label"], r["level"]) for r in body["rules"]] == [
        ("Carol Chen", "EDIT"),
        ("web-team", "VIEW"),
        ("Developers in WEB", "AUTOMATE"),
        ("Everyone", "VIEW"),
    ]
    assert body["rules"][2]["subject"] == web_devs


def test_people_and_groups_are_found_in_jira_by_name(sim_tenant, mine):
    people = candidates(sim_tenant, mine, "car").json()
    assert people["users"] == [
        {"subject": {"type": "user", "accountId": CAROL}, "label": "Carol Chen"}
    ]
    groups = candidates(sim_tenant, mine, "team").json()["groups"]
    assert {"subject": {"type": "group", "name": "web-team"}, "label": "web-team"} in (
        groups
    )
    assert candidates(sim_tenant, mine, "zzzz").json() == {"users": [], "groups": []}


@pytest.mark.parametrize("query", ["", "a", "x" * 101])
def test_a_query_of_the_wrong_length_is_refused(sim_tenant, mine, query):
    response = candidates(sim_tenant, mine, query)
    assert response.status_code == 400
    assert "2 to 100 characters" in response.json()["error"]


def test_only_control_may_see_or_search_the_sharing(sim_tenant, demo, mine):
    release = demo["Release plan"]  # Bob may edit it, not share it
    assert sharing(sim_tenant, release, BOB).status_code == 403
    assert candidates(sim_tenant, release, "car", BOB).status_code == 403
    assert sharing(sim_tenant, mine, NO_GROUP).status_code == 404  # private


def test_another_tenant_cannot_read_the_sharing(sim_tenant, other_tenant, mine):
    response = context_client(other_tenant, ALICE).get(
        f"/api/v1/structures/{mine.pk}/sharing"
    )
    assert response.status_code == 404


def test_jira_down_while_searching_is_a_clear_503(sim_tenant, simulator, mine):
    simulator.set_faults(
        error_rate=1.0, error_status=503, endpoint="GET /rest/api/3/user/search"
    )
    try:
        response = candidates(sim_tenant, mine, "car")
    finally:
        simulator.set_faults()
    assert response.status_code == 503
    assert "Jira is not answering" in response.json()["error"]


def test_a_view_owner_shares_it_by_name_with_view_levels(sim_tenant, release):
    views = f"/api/v1/structures/{release.pk}/views"
    created = context_client(sim_tenant, CAROL).post(
        views, {"name": "Carol's", "columns": [{"kind": "summary"}]}, format="json"
    )
    assert created.status_code == 201
    view = f"{views}/{created.json()['id']}"
    body = context_client(sim_tenant, CAROL).get(f"{view}/sharing").json()
    assert body["owner"] == {"accountId": CAROL, "label": "Carol Chen"}
    assert [lv["name"] for lv in body["levels"]] == ["USE", "UPDATE", "MANAGE"]
    assert body["rules"] == []
    found = context_client(sim_tenant, CAROL).get(
        f"{view}/sharing/candidates", {"q": "bob"}
    )
    assert found.json()["users"][0]["label"] == "Bob Brown"
    context_client(sim_tenant, CAROL).put(
        f"{view}/permissions",
        {"rules": [{"subject": {"type": "user", "accountId": BOB}, "level": "UPDATE"}]},
        format="json",
    )
    rules = context_client(sim_tenant, CAROL).get(f"{view}/sharing").json()["rules"]
    assert [(r["label"], r["level"]) for r in rules] == [("Bob Brown", "UPDATE")]
    # Bob may update the view, not manage who uses it; Nora cannot see the view.
    assert context_client(sim_tenant, BOB).get(f"{view}/sharing").status_code == 403
    bob_search = context_client(sim_tenant, BOB).get(
        f"{view}/sharing/candidates", {"q": "car"}
    )
    assert bob_search.status_code == 403
    nora = context_client(sim_tenant, NO_GROUP).get(f"{view}/sharing")
    assert nora.status_code == 404


def test_the_demo_site_admins_may_share_the_seeded_structures(sim_tenant, demo):
    body = sharing(sim_tenant, demo["Release plan"], ALICE).json()
    assert [(r["label"], r["level"]) for r in body["rules"]] == [
        ("Everyone", "VIEW"),
        ("web-team", "EDIT"),
        ("site-admins", "CONTROL"),
    ]
