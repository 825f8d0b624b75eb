"""The viewer rule's cached answer ("which of this structure's issues may this viewer
not browse") never outlives a change Jira tells us about, and is never shared."""

import pytest

from jira_sync import services as jira_services
from tests.hierarchies.conftest import ALICE, BOB, add, forest_url

pytestmark = pytest.mark.django_db


def item_ids(client, structure) -> list[int]:
    response = client.get(forest_url(structure))
    assert response.status_code == 200, response.json()
    return [r["itemId"] for r in response.json()["rows"]]


@pytest.fixture
def shared(structure, owner_client, issue_id):
    response = owner_client.put(
        f"/api/v1/structures/{structure.pk}/permissions",
        {"rules": [{"subject": {"type": "everyone"}, "level": "VIEW"}]},
        format="json",
    )
    assert response.status_code == 200, response.json()
    response = owner_client.post(
        forest_url(structure),
        {
            "version": 1,
            "actions": [
                add(issue_id("WEB-3"), tempId=-1),
                add(issue_id("MOB-44"), under=-1),
                add(issue_id("MOB-45"), under=-1),
            ],
        },
        format="json",
    )
    assert response.status_code == 200, response.json()
    return structure


def test_an_issue_secured_in_jira_disappears_on_the_next_request(
    shared, client_for, issue_id, simulator, sim_tenant
):
    web3, mob44, mob45 = (issue_id(k) for k in ("WEB-3", "MOB-44", "MOB-45"))
    assert item_ids(client_for(BOB), shared) == [web3, mob44]
    assert item_ids(client_for(BOB), shared) == [web3, mob44]  # from the cache

    # MOB-44 gets MOB-45's security level; the issue webhook evicts it.
    simulator.issue("MOB-44").security_level_id = simulator.issue(
        "MOB-45"
    ).security_level_id
    jira_services.issues_evict(
        tenant=sim_tenant, issue_ids=[mob44], access_changed=True
    )

    assert item_ids(client_for(BOB), shared) == [web3]
    # Alice may still browse both secured issues: her answer is her own.
    assert item_ids(client_for(ALICE), shared) == [web3, mob45, mob44]


def test_each_viewer_gets_their_own_answer_for_the_same_issues(
    shared, client_for, issue_id
):
    web3, mob44, mob45 = (issue_id(k) for k in ("WEB-3", "MOB-44", "MOB-45"))
    for _ in range(2):
        assert item_ids(client_for(ALICE), shared) == [web3, mob45, mob44]
        assert item_ids(client_for(BOB), shared) == [web3, mob44]


def test_rows_added_later_are_checked_for_the_viewer_before_they_are_shown(
    shared, owner_client, client_for, issue_id
):
    web3, web4, mob44 = (issue_id(k) for k in ("WEB-3", "WEB-4", "MOB-44"))
    assert item_ids(client_for(BOB), shared) == [web3, mob44]
    shared.refresh_from_db()
    response = owner_client.post(
        forest_url(shared),
        {
            "version": shared.version,
            "actions": [add(issue_id("MOB-46")), add(web4)],
        },
        format="json",
    )
    assert response.status_code == 200, response.json()
    # MOB-46 is secured: Bob's cached answer was for the old issues only.
    assert item_ids(client_for(BOB), shared) == [web4, web3, mob44]
