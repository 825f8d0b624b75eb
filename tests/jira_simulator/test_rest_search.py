"""Search, bulk fetch and issue reads over HTTP, as the app and as users."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from tests.jira_simulator.conftest import ADMIN, BOB, CAROL, CONTRACTOR, ERIN, NO_GROUP


def search_all(client, jql: str, **extra) -> list[dict[str, Any]]:
    issues: list[dict[str, Any]] = []
    token = None
    for _ in range(100):
        body = {"jql": jql, **extra}
        if token:
            body["nextPageToken"] = token
        response = client.post("/rest/api/3/search/jql", body)
        assert response.status_code == 200, response.text
        page = response.json()
        issues.extend(page["issues"])
        if page["isLast"]:
            assert "nextPageToken" not in page
            return issues
        token = page["nextPageToken"]
    raise AssertionError("pagination never ended")


def test_search_paginates_with_next_page_token_without_gaps(jira):
    everything = search_all(
        jira, "project in (WEB, MOB) ORDER BY key", maxResults=1000, fields=["id"]
    )
    paged = search_all(jira, "project in (WEB, MOB) ORDER BY key", maxResults=37)
    assert len(everything) > 150
    assert [i["id"] for i in paged] == [i["id"] for i in everything]
    assert len({i["id"] for i in paged}) == len(paged)


def test_search_default_fields_are_id_only_and_default_page_is_50(jira):
    page = jira.post("/rest/api/3/search/jql", {"jql": "project = WEB"}).json()
    assert len(page["issues"]) == 50
    assert page["issues"][0] == {"id": page["issues"][0]["id"]}
    assert page["isLast"] is False


def test_search_caps_page_size_at_100_with_fields_and_5000_for_ids(jira):
    with_fields = jira.post(
        "/rest/api/3/search/jql",
        {"jql": "project = WEB", "maxResults": 500, "fields": ["summary"]},
    ).json()
    ids_only = jira.post(
        "/rest/api/3/search/jql",
        {
            "jql": "project in (WEB, MOB, FIN)",
            "maxResults": 5000,
            "fields": ["id", "key"],
        },
    ).json()
    assert len(with_fields["issues"]) == 100
    assert with_fields["isLast"] is False
    assert ids_only["isLast"] is True
    assert {"id", "key"} == set(ids_only["issues"][0])


def test_search_get_takes_query_parameters(jira):
    path = (
        "/rest/api/3/search/jql?jql=" + quote("key = WEB-1") + "&fields=summary,status"
    )
    response = jira.get(path)
    assert response.status_code == 200
    (issue,) = response.json()["issues"]
    assert issue["key"] == "WEB-1"
    assert set(issue["fields"]) == {"summary", "status"}
    assert issue["fields"]["summary"] == "Checkout redesign"


def test_search_fields_all_navigable_and_exclusions(jira):
    body = {"jql": "key = WEB-2", "fields": ["*all", "-description", "-issuelinks"]}
    fields = jira.post("/rest/api/3/search/jql", body).json()["issues"][0]["fields"]
    assert "description" not in fields
    assert "issuelinks" not in fields
    assert {
        "summary",
        "timetracking",
        "customfield_10016",
        "customfield_10001",
        "parent",
    } <= set(fields)
    navigable = jira.post(
        "/rest/api/3/search/jql", {"jql": "key = WEB-2", "fields": ["*navigable"]}
    ).json()
    assert "timetracking" not in navigable["issues"][0]["fields"]
    assert navigable["issues"][0]["fields"]["issuetype"]["hierarchyLevel"] == 0


def test_search_bad_jql_is_400_in_jira_shape(jira):
    response = jira.post("/rest/api/3/search/jql", {"jql": "project = "})
    assert response.status_code == 400
    body = response.json()
    assert body["errors"] == {}
    assert body["errorMessages"][0].startswith("Error in the JQL Query:")


def test_search_bad_page_token_and_bad_body_are_400(jira):
    bad_token = jira.post(
        "/rest/api/3/search/jql", {"jql": "project = WEB", "nextPageToken": "garbage"}
    )
    assert bad_token.status_code == 400
    assert "next page token" in bad_token.json()["errorMessages"][0]
    other_query = jira.post("/rest/api/3/search/jql", {"jql": "project = WEB"}).json()[
        "nextPageToken"
    ]
    reused = jira.post(
        "/rest/api/3/search/jql", {"jql": "project = MOB", "nextPageToken": other_query}
    )
    assert reused.status_code == 400
    unknown = jira.post(
        "/rest/api/3/search/jql", {"jql": "project = WEB", "startAt": 5}
    )
    assert unknown.status_code == 400
    assert "startAt" in unknown.json()["errorMessages"][0]
    wrong_type = jira.post(
        "/rest/api/3/search/jql", {"jql": "project = WEB", "maxResults": "ten"}
    )
    assert wrong_type.status_code == 400
    not_json = jira.post("/rest/api/3/search/jql", None)
    assert not_json.status_code == 400


def test_two_users_get_different_results_from_the_same_search(as_user):
    jql = {"jql": "issuetype = Epic ORDER BY key", "maxResults": 100, "fields": ["key"]}
    carol = [
        i["key"]
        for i in as_user(CAROL).post("/rest/api/3/search/jql", jql).json()["issues"]
    ]
    contractor = [
        i["key"]
        for i in as_user(CONTRACTOR)
        .post("/rest/api/3/search/jql", jql)
        .json()["issues"]
    ]
    erin = [
        i["key"]
        for i in as_user(ERIN).post("/rest/api/3/search/jql", jql).json()["issues"]
    ]
    nobody = as_user(NO_GROUP).post("/rest/api/3/search/jql", jql).json()["issues"]
    assert {k.split("-")[0] for k in carol} == {"MOB", "WEB"}
    assert {k.split("-")[0] for k in contractor} == {"WEB"}
    assert {k.split("-")[0] for k in erin} == {"FIN", "MOB", "WEB"}
    assert nobody == []


def test_issue_security_level_hides_issues_from_non_members(as_user):
    # Bob browses MOB as a viewer but is not in the "Mobile team only" level.
    jql = {"jql": "project = MOB", "fields": ["key"], "maxResults": 100}
    developer = as_user(CAROL).post("/rest/api/3/search/jql", jql).json()["issues"]
    viewer = as_user(BOB).post("/rest/api/3/search/jql", jql).json()["issues"]
    hidden = {i["key"] for i in developer} - {i["key"] for i in viewer}
    assert viewer
    assert len(hidden) >= 10
    for key in sorted(hidden)[:3]:
        assert as_user(BOB).get(f"/rest/api/3/issue/{key}").status_code == 404
        issue = as_user(CAROL).get(f"/rest/api/3/issue/{key}?fields=security")
        assert issue.json()["fields"]["security"]["name"] == "Mobile team only"


def test_app_sees_every_project(jira):
    count = jira.post(
        "/rest/api/3/search/approximate-count", {"jql": "project in (WEB, MOB, FIN)"}
    )
    assert count.status_code == 200
    assert count.json()["count"] == len(
        search_all(jira, "project in (WEB, MOB, FIN)", maxResults=5000)
    )
    assert count.json()["count"] > 250


def test_bulkfetch_returns_sorted_issues_omits_hidden_and_reports_bad_ids(
    jira, as_user
):
    body = {
        "issueIdsOrKeys": ["WEB-3", "10001", "FIN-1", "NOPE-9", "not a key", "WEB-3"],
        "fields": ["summary"],
    }
    as_contractor = as_user(CONTRACTOR).post("/rest/api/3/issue/bulkfetch", body).json()
    assert [i["key"] for i in as_contractor["issues"]] == ["WEB-2", "WEB-3"]
    assert as_contractor["issueErrors"] == [
        {
            "id": "not a key",
            "errorMessage": "'not a key' is not a valid issue id or key.",
        }
    ]
    as_app = jira.post("/rest/api/3/issue/bulkfetch", body).json()
    ids = [int(i["id"]) for i in as_app["issues"]]
    assert ids == sorted(ids)
    assert "FIN-1" in [i["key"] for i in as_app["issues"]]


def test_bulkfetch_refuses_more_than_100_or_none(jira):
    too_many = jira.post(
        "/rest/api/3/issue/bulkfetch",
        {"issueIdsOrKeys": [str(10000 + i) for i in range(101)]},
    )
    assert too_many.status_code == 400
    assert "limit of 100" in too_many.json()["errorMessages"][0]
    assert (
        jira.post("/rest/api/3/issue/bulkfetch", {"issueIdsOrKeys": []}).status_code
        == 400
    )
    assert (
        jira.post("/rest/api/3/issue/bulkfetch", {"fields": ["summary"]}).status_code
        == 400
    )
    exactly_100 = jira.post(
        "/rest/api/3/issue/bulkfetch",
        {"issueIdsOrKeys": [str(10000 + i) for i in range(100)]},
    )
    assert exactly_100.status_code == 200
    assert len(exactly_100.json()["issues"]) == 100


def test_get_issue_shows_hierarchy_and_links(jira):
    story = jira.get("/rest/api/3/issue/WEB-4").json()
    assert story["fields"]["parent"]["key"] == "WEB-1"
    assert story["fields"]["issuetype"]["name"] == "Story"
    epic = jira.get("/rest/api/3/issue/WEB-1?fields=subtasks,issuetype").json()
    assert epic["fields"]["issuetype"]["hierarchyLevel"] == 1
    linked = jira.post(
        "/rest/api/3/search/jql",
        {"jql": "project = WEB", "maxResults": 100, "fields": ["issuelinks"]},
    ).json()
    links = [lk for i in linked["issues"] for lk in i["fields"]["issuelinks"]]
    assert links
    for link in links:
        assert ("inwardIssue" in link) != ("outwardIssue" in link)
        assert link["type"]["name"] in {"Blocks", "Relates", "Duplicate", "Cloners"}


def test_get_issue_404_for_missing_and_unbrowsable(jira, as_user):
    missing = jira.get("/rest/api/3/issue/WEB-9999")
    assert missing.status_code == 404
    assert missing.json() == {
        "errorMessages": [
            "Issue does not exist or you do not have permission to see it."
        ],
        "errors": {},
    }
    hidden = as_user(BOB).get("/rest/api/3/issue/FIN-1")
    assert hidden.status_code == 404
    assert hidden.json() == missing.json()
    assert as_user(ADMIN).get("/rest/api/3/issue/WEB-1").status_code == 200
