"""Users, groups, roles and permissions as the app reads them."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from tests.jira_simulator.conftest import ADMIN, BOB, CAROL, CONTRACTOR, ERIN, NO_GROUP


def check(
    client: Any,
    account_id: str | None,
    issues: Iterable[int] = (),
    projects: Iterable[int] = (),
    permissions: Iterable[str] = ("BROWSE_PROJECTS",),
) -> Any:
    body: dict[str, Any] = {
        "projectPermissions": [
            {
                "permissions": list(permissions),
                "issues": list(issues),
                "projects": list(projects),
            }
        ]
    }
    if account_id:
        body["accountId"] = account_id
    return client.post("/rest/api/3/permissions/check", body)


def test_permissions_check_answers_for_the_given_user(jira):
    issues = [10000, 10150, 10260]  # a WEB, a MOB and a FIN issue
    projects = [10000, 10001, 10002]
    contractor = check(jira, CONTRACTOR, issues, projects).json()
    erin = check(jira, ERIN, issues, projects).json()
    nobody = check(jira, NO_GROUP, issues, projects).json()
    assert contractor["projectPermissions"] == [
        {"permission": "BROWSE_PROJECTS", "projects": [10000], "issues": [10000]}
    ]
    assert erin["projectPermissions"][0]["projects"] == [10000, 10001, 10002]
    assert nobody["projectPermissions"] == [
        {"permission": "BROWSE_PROJECTS", "projects": [], "issues": []}
    ]


def test_permissions_check_global_and_multiple_permissions(jira):
    body = {
        "accountId": ADMIN,
        "globalPermissions": ["ADMINISTER"],
        "projectPermissions": [
            {"permissions": ["EDIT_ISSUES", "BROWSE_PROJECTS"], "projects": [10000]}
        ],
    }
    admin = jira.post("/rest/api/3/permissions/check", body).json()
    assert admin["globalPermissions"] == ["ADMINISTER"]
    body["accountId"] = BOB
    bob = jira.post("/rest/api/3/permissions/check", body).json()
    assert bob["globalPermissions"] == []
    grants = {g["permission"]: g["projects"] for g in bob["projectPermissions"]}
    assert grants == {"EDIT_ISSUES": [10000], "BROWSE_PROJECTS": [10000]}


def test_permissions_check_without_account_is_the_caller(jira, as_user):
    app = check(jira, None, [10260]).json()
    assert app["projectPermissions"][0]["issues"] == [10260]
    bob = check(as_user(BOB), None, [10260]).json()
    assert bob["projectPermissions"][0]["issues"] == []


def test_permissions_check_limits_and_bad_keys(jira, as_user):
    too_many = check(jira, BOB, issues=range(10000, 11001))
    assert too_many.status_code == 400
    assert "1000" in too_many.json()["errors"]["issues"]
    assert check(jira, BOB, issues=range(10000, 11000)).status_code == 200
    assert check(jira, BOB, projects=range(1, 1002)).status_code == 400
    bad_key = check(jira, BOB, [10000], permissions=["BROWSE_EVERYTHING"])
    assert bad_key.status_code == 400
    assert "BROWSE_EVERYTHING" in bad_key.json()["errors"]["projectPermissions"]
    other_user = check(as_user(BOB), CAROL, [10000])
    assert other_user.status_code == 403


def test_mypermissions_in_project_issue_and_global_context(as_user):
    bob = as_user(BOB)
    web = bob.get(
        "/rest/api/3/mypermissions?permissions=BROWSE_PROJECTS,EDIT_ISSUES&projectKey=WEB"
    ).json()
    assert web["permissions"]["BROWSE_PROJECTS"]["havePermission"] is True
    assert web["permissions"]["EDIT_ISSUES"]["havePermission"] is True
    mob = bob.get(
        "/rest/api/3/mypermissions?permissions=EDIT_ISSUES&projectKey=MOB"
    ).json()
    assert mob["permissions"]["EDIT_ISSUES"]["havePermission"] is False
    fin = bob.get(
        "/rest/api/3/mypermissions?permissions=BROWSE_PROJECTS&projectKey=FIN"
    ).json()
    assert fin["permissions"]["BROWSE_PROJECTS"]["havePermission"] is False
    assert bob.get("/rest/api/3/mypermissions?permissions=BROWSE_PROJECTS").json()[
        "permissions"
    ]["BROWSE_PROJECTS"]["havePermission"]
    assert (
        bob.get(
            "/rest/api/3/mypermissions?permissions=BROWSE_PROJECTS&issueKey=FIN-1"
        ).status_code
        == 404
    )
    assert bob.get("/rest/api/3/mypermissions").status_code == 400
    assert bob.get("/rest/api/3/mypermissions?permissions=FLY").status_code == 400


def test_myself_for_a_user_session(as_user):
    me = as_user(CAROL).get("/rest/api/3/myself").json()
    assert me["accountId"] == CAROL
    assert me["displayName"] == "Carol Chen"
    assert {g["name"] for g in me["groups"]["items"]} == {
        "jira-software-users",
        "mobile-team",
    }


def test_user_groups_and_bulk(jira):
    groups = jira.get(f"/rest/api/3/user/groups?accountId={ADMIN}").json()
    assert {g["name"] for g in groups} == {
        "site-admins",
        "jira-software-users",
        "web-team",
    }
    assert jira.get(f"/rest/api/3/user/groups?accountId={NO_GROUP}").json() == []
    assert jira.get("/rest/api/3/user/groups?accountId=nobody").status_code == 404
    assert jira.get("/rest/api/3/user/groups").status_code == 400
    bulk = jira.get(
        f"/rest/api/3/user/bulk?accountId={ADMIN}&accountId={BOB}&accountId=unknown&maxResults=1"
    ).json()
    assert bulk["total"] == 2
    assert [u["accountId"] for u in bulk["values"]] == [ADMIN]
    assert bulk["isLast"] is False
    assert "startAt=1" in bulk["nextPage"]
    assert jira.get("/rest/api/3/user/bulk").status_code == 400


def test_no_group_user_cannot_browse_users(as_user):
    assert (
        as_user(NO_GROUP).get(f"/rest/api/3/user/groups?accountId={BOB}").status_code
        == 403
    )


def test_project_search_lists_browsable_projects(jira, as_user):
    app = jira.get("/rest/api/3/project/search").json()
    assert [p["key"] for p in app["values"]] == ["FIN", "MOB", "WEB"]
    contractor = as_user(CONTRACTOR).get("/rest/api/3/project/search").json()
    assert [p["key"] for p in contractor["values"]] == ["WEB"]
    paged = jira.get("/rest/api/3/project/search?maxResults=2&orderBy=-key").json()
    assert [p["key"] for p in paged["values"]] == ["WEB", "MOB"]
    assert paged["isLast"] is False
    assert paged["total"] == 3


def test_project_roles_with_user_and_group_actors(jira, as_user):
    roles = jira.get("/rest/api/3/project/WEB/role").json()
    assert set(roles) == {
        "Administrators",
        "Developers",
        "Viewers",
        "atlassian-addons-project-access",
    }
    developers = jira.get(roles["Developers"].split(jira.sim.base_url)[1]).json()
    kinds = {
        (a["type"], a.get("actorUser", {}).get("accountId") or a["actorGroup"]["name"])
        for a in developers["actors"]
    }
    assert kinds == {
        ("atlassian-group-role-actor", "web-team"),
        ("atlassian-user-role-actor", CONTRACTOR),
    }
    assert developers["scope"]["project"]["key"] == "WEB"
    addons = jira.get("/rest/api/3/project/WEB/role/10003").json()
    assert [a["actorUser"]["accountId"] for a in addons["actors"]] == [
        jira.inst.app_account_id
    ]
    assert jira.get("/rest/api/3/project/WEB/role/999").status_code == 404
    assert jira.get("/rest/api/3/project/NOPE/role").status_code == 404
    assert as_user(BOB).get("/rest/api/3/project/FIN/role").status_code == 404


def test_fields_and_link_types(jira):
    fields = {f["id"]: f for f in jira.get("/rest/api/3/field").json()}
    assert fields["customfield_10016"]["name"] == "Story Points"
    assert "cf[10016]" in fields["customfield_10016"]["clauseNames"]
    assert fields["customfield_10001"]["name"] == "Team"
    assert fields["customfield_10019"]["name"] == "Rank"
    link_types = jira.get("/rest/api/3/issueLinkType").json()["issueLinkTypes"]
    assert {(t["id"], t["name"]) for t in link_types} == {
        ("10000", "Blocks"),
        ("10001", "Cloners"),
        ("10002", "Duplicate"),
        ("10003", "Relates"),
    }


def test_jql_parse_endpoint_reports_errors_per_query(jira):
    response = jira.post(
        "/rest/api/3/jql/parse",
        {"queries": ["project = WEB ORDER BY rank", "project = ", "nope = 1"]},
    )
    assert response.status_code == 200
    good, syntax, unknown = response.json()["queries"]
    assert good["structure"]["where"]["field"]["name"] == "project"
    assert "errors" not in good
    assert "structure" not in syntax
    assert syntax["errors"]
    assert "does not exist" in unknown["errors"][0]
    lenient = jira.post(
        "/rest/api/3/jql/parse?validation=none", {"queries": ["nope = 1"]}
    ).json()
    assert "errors" not in lenient["queries"][0]
    assert jira.post("/rest/api/3/jql/parse", {"queries": []}).status_code == 400
    assert jira.post("/rest/api/3/jql/parse", {}).status_code == 400


def test_unknown_rest_path_and_wrong_method(jira):
    assert jira.get("/rest/api/3/nothing-here").status_code == 404
    wrong = jira.request("DELETE", "/rest/api/3/field")
    assert wrong.status_code == 405
    assert wrong.json()["errorMessages"]
