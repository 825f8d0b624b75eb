"""The privacy promise end to end, against the Jira simulator's demo site: a user sees
a structure only if its rules grant it, and an issue only if Jira lets them browse it;
when Jira can't answer, the API says so (503) and shows nothing it could not check."""

import pytest

from hierarchies import services
from hierarchies.generators.selectors import structure_forest_effective
from jira_sync import selectors as jira_selectors
from tests.hierarchies.conftest import (
    ALICE,
    BOB,
    CAROL,
    ERIN,
    FIN_PROJECT,
    FRANK,
    GRACE,
    KEN,
    NORA,
    ROLE_DEVELOPERS,
    WEB_PROJECT,
    add,
    forest_url,
)

pytestmark = pytest.mark.django_db

UNAVAILABLE = {"error": "Jira is unavailable, try again shortly"}


def share(owner_client, structure, *rules) -> None:
    response = owner_client.put(
        f"/api/v1/structures/{structure.pk}/permissions",
        {"rules": list(rules)},
        format="json",
    )
    assert response.status_code == 200, response.json()


def rows_of(client, structure) -> list[tuple[int, int, int]]:
    response = client.get(forest_url(structure))
    assert response.status_code == 200, response.json()
    return [(r["rowId"], r["depth"], r["itemId"]) for r in response.json()["rows"]]


def test_two_viewers_of_one_structure_get_the_rows_jira_lets_them_browse(
    structure, owner_client, client_for, issue_id
):
    fin1, web2, fin2, mob45, mob44, web3 = (
        issue_id(k) for k in ("FIN-1", "WEB-2", "FIN-2", "MOB-45", "MOB-44", "WEB-3")
    )
    share(owner_client, structure, {"subject": {"type": "everyone"}, "level": "VIEW"})
    response = owner_client.post(
        forest_url(structure),
        {
            "version": 1,
            "actions": [
                add(fin1, tempId=-1),
                add(web2, under=-1, tempId=-2),
                add(fin2, under=-2),
                add(mob45, after=-1, tempId=-4),
                add(mob44, under=-4),
                add(web3, after=-4),
            ],
        },
        format="json",
    )
    assert response.status_code == 200, response.json()

    # Erin (finance) browses FIN and unsecured MOB but not the secured MOB-45.
    assert rows_of(client_for(ERIN), structure) == [
        (1, 0, fin1),
        (2, 1, web2),
        (3, 2, fin2),
        (5, 0, mob44),
        (6, 0, web3),
    ]
    # Bob sees no FIN and no secured MOB: their visible children move up.
    bob = client_for(BOB).get(forest_url(structure)).json()
    assert [(r["rowId"], r["depth"], r["itemId"]) for r in bob["rows"]] == [
        (2, 0, web2),
        (5, 0, mob44),
        (6, 0, web3),
    ]
    for hidden in (fin1, fin2, mob45):
        assert str(hidden) not in str(bob)
    # The owner (Alice) has CONTROL on the structure, yet Jira decides on issues.
    assert rows_of(owner_client, structure) == [
        (2, 0, web2),
        (4, 0, mob45),
        (5, 1, mob44),
        (6, 0, web3),
    ]
    assert rows_of(client_for(KEN), structure) == [(2, 0, web2), (6, 0, web3)]
    assert rows_of(client_for(NORA), structure) == []


def test_group_rule_grants_only_the_groups_members(structure, owner_client, client_for):
    share(
        owner_client,
        structure,
        {"subject": {"type": "group", "name": "finance"}, "level": "VIEW"},
    )
    detail = f"/api/v1/structures/{structure.pk}"
    for member in (ERIN, FRANK):
        assert client_for(member).get(detail).json()["level"] == "VIEW"
        listed = client_for(member).get("/api/v1/structures/").json()
        assert [s["id"] for s in listed] == [structure.pk]
    for outsider in (BOB, KEN, NORA):
        assert client_for(outsider).get(detail).status_code == 404
        assert client_for(outsider).get("/api/v1/structures/").json() == []


def test_project_role_rule_grants_role_holders_directly_or_through_a_group(
    structure, owner_client, client_for, issue_id
):
    # WEB's Developers: Ken as a user, Bob and Grace through web-team.
    share(
        owner_client,
        structure,
        {
            "subject": {
                "type": "projectRole",
                "projectId": WEB_PROJECT,
                "roleId": ROLE_DEVELOPERS,
            },
            "level": "EDIT",
        },
    )
    detail = f"/api/v1/structures/{structure.pk}"
    for holder in (KEN, BOB, GRACE):
        assert client_for(holder).get(detail).json()["level"] == "EDIT"
    for outsider in (CAROL, ERIN, NORA):
        assert client_for(outsider).get(detail).status_code == 404
    edit = client_for(KEN).post(
        forest_url(structure),
        {"version": 1, "actions": [add(issue_id("WEB-2"))]},
        format="json",
    )
    assert edit.status_code == 200, edit.json()
    refused = client_for(ERIN).post(
        forest_url(structure),
        {"version": 2, "actions": [add(issue_id("FIN-1"))]},
        format="json",
    )
    assert refused.status_code == 404
    assert rows_of(client_for(KEN), structure) == [(1, 0, issue_id("WEB-2"))]


def test_role_rule_of_another_project_grants_nothing(
    structure, owner_client, client_for
):
    share(
        owner_client,
        structure,
        {
            "subject": {
                "type": "projectRole",
                "projectId": FIN_PROJECT,
                "roleId": ROLE_DEVELOPERS,
            },
            "level": "VIEW",
        },
    )
    detail = f"/api/v1/structures/{structure.pk}"
    assert client_for(ERIN).get(detail).status_code == 200  # finance: FIN Developers
    assert client_for(KEN).get(detail).status_code == 404  # WEB Developer only


def test_forest_is_a_503_with_retry_after_while_jira_is_down(
    structure, owner_client, simulator, issue_id, settings
):
    settings.JIRA_HTTP_MAX_RETRIES = 1
    web2 = issue_id("WEB-2")
    owner_client.post(
        forest_url(structure), {"version": 1, "actions": [add(web2)]}, format="json"
    )
    simulator.set_faults(error_rate=1.0, error_status=500)
    response = owner_client.get(forest_url(structure))
    assert response.status_code == 503
    assert response.json() == UNAVAILABLE
    assert response["Retry-After"] == "30"
    assert str(web2) not in response.content.decode()

    # Nothing of the failure was cached: once Jira answers, the row is back.
    simulator.clear_faults()
    assert rows_of(owner_client, structure) == [(1, 0, web2)]


def test_rate_limited_jira_is_a_503_passing_on_jiras_retry_after(
    structure, owner_client, simulator, sim_tenant, issue_id
):
    web2 = issue_id("WEB-2")
    owner_client.post(
        forest_url(structure), {"version": 1, "actions": [add(web2)]}, format="json"
    )
    simulator.set_faults(rate_limit_per_s=0.01, rate_limit_burst=1)
    jira_selectors.jira_client_for(sim_tenant).myself()  # spends the only token
    response = owner_client.get(forest_url(structure))
    assert response.status_code == 503
    assert response.json() == UNAVAILABLE
    # Jira asks for ~100 s (one token per 100 s): longer than our default of 30.
    assert 30 < int(response["Retry-After"]) <= 100
    assert str(web2) not in response.content.decode()


def test_membership_lookup_fails_closed_while_jira_is_down(
    structure, owner_client, client_for, simulator, settings
):
    settings.JIRA_HTTP_MAX_RETRIES = 1
    share(
        owner_client,
        structure,
        {"subject": {"type": "group", "name": "finance"}, "level": "VIEW"},
    )
    simulator.set_faults(error_rate=1.0, error_status=502)
    detail = f"/api/v1/structures/{structure.pk}"
    for path in (detail, "/api/v1/structures/", forest_url(structure)):
        response = client_for(ERIN).get(path)
        assert response.status_code == 503, path
        assert response.json() == UNAVAILABLE
        assert response.has_header("Retry-After")
    # The owner needs no group to open their structure, and an empty forest needs no
    # browse check: both keep working without Jira.
    assert owner_client.get(detail).json()["level"] == "CONTROL"
    assert owner_client.get(forest_url(structure)).json()["rows"] == []
    simulator.clear_faults()
    assert client_for(ERIN).get(detail).json()["level"] == "VIEW"


def test_generated_rows_are_filtered_by_the_viewers_browse_rights(
    sim_tenant, simulator
):
    structure = services.structure_create(tenant=sim_tenant, actor=ALICE, name="Gen")
    services.generator_create(
        structure=structure,
        actor=ALICE,
        kind="insert.jql",
        config={"jql": "key in (WEB-4, MOB-45, FIN-1) ORDER BY key"},
        placement=services.Placement(under=None, after=None),
    )
    structure.refresh_from_db()

    def keys_seen_by(account_id: str) -> list[str]:
        forest = structure_forest_effective(structure=structure, account_id=account_id)
        return [
            simulator.issue(str(r.item_id)).key
            for r in forest.rows
            if r.item_type == "issue"
        ]

    assert keys_seen_by(ERIN) == ["FIN-1", "WEB-4"]
    assert keys_seen_by(ALICE) == ["MOB-45", "WEB-4"]
    assert keys_seen_by(BOB) == ["WEB-4"]
    assert keys_seen_by(NORA) == []
