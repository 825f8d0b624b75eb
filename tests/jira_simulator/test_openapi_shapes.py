"""Every endpoint's responses validate against Jira's OpenAPI spec (jsonschema, refs resolved).

The subset spec (../shared/jira/jira-platform-subset.json) covers all endpoints but
GET /rest/api/3/project/search, which is checked against the full spec.
"""

from __future__ import annotations

import copy
import json
import os
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from jsonschema import Draft4Validator  # type: ignore[import-untyped]
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT4

from tests.jira_simulator.conftest import ADMIN, BOB, CAROL

# ../shared/jira next to the project root, as in the worktrees and in CI.
SHARED = Path(
    os.environ.get("JIRA_OPENAPI_DIR")
    or Path(__file__).resolve().parents[2].parent / "shared" / "jira"
)
SUBSET = SHARED / "jira-platform-subset.json"
FULL = SHARED / "jira-platform-openapi.json"


def _openapi_to_jsonschema(node: Any, uri: str) -> Any:
    """OpenAPI 3.0 → JSON Schema: absolute $refs, and `nullable` as a null alternative."""
    if isinstance(node, list):
        return [_openapi_to_jsonschema(n, uri) for n in node]
    if not isinstance(node, dict):
        return node
    out = {k: _openapi_to_jsonschema(v, uri) for k, v in node.items() if k != "example"}
    ref = out.get("$ref")
    if isinstance(ref, str) and ref.startswith("#/"):
        out["$ref"] = uri + ref
    if out.pop("nullable", False) is True:
        return {"anyOf": [out, {"type": "null"}]}
    return out


class Spec:
    def __init__(self, path: Path, uri: str) -> None:
        if not path.exists():
            # Fail rather than skip: a skipped shape test would hide lost coverage.
            pytest.fail(f"Jira OpenAPI spec not found at {path} (set JIRA_OPENAPI_DIR)")
        raw = json.loads(path.read_text())
        # Spec defect: JqlQueryClause is `additionalProperties: false` next to an anyOf of
        # clause shapes but declares no properties, so no real clause could ever match.
        # Jira sends clauses with properties; drop that one keyword.
        clause = raw["components"]["schemas"].get("JqlQueryClause")
        if clause is not None:
            clause.pop("additionalProperties", None)
        self.uri = uri
        self.doc = _openapi_to_jsonschema(raw, uri)
        self.registry = Registry().with_resource(
            uri, Resource.from_contents(self.doc, default_specification=DRAFT4)
        )

    def validator(self, schema: dict[str, Any]) -> Draft4Validator:
        return Draft4Validator(schema, registry=self.registry)

    def response_schema(self, method: str, path: str, status: int) -> dict[str, Any]:
        responses = self.doc["paths"][path][method.lower()]["responses"]
        content = responses[str(status)].get("content", {})
        if "application/json" in content:
            schema: dict[str, Any] = content["application/json"]["schema"]
            return schema
        # Documented status without a body schema: Jira sends an ErrorCollection.
        return {"$ref": f"{self.uri}#/components/schemas/ErrorCollection"}

    def check(self, method: str, path: str, response) -> Any:
        schema = self.response_schema(method, path, response.status_code)
        body = response.json()
        errors = sorted(
            self.validator(schema).iter_errors(body),
            key=lambda e: list(e.absolute_path),
        )
        assert not errors, f"{method} {path} {response.status_code}: " + "; ".join(
            f"{list(e.absolute_path)}: {e.message[:200]}" for e in errors[:5]
        )
        return body

    def check_component(self, name: str, value: Any) -> None:
        schema = {"$ref": f"{self.uri}#/components/schemas/{name}"}
        errors = list(self.validator(schema).iter_errors(value))
        assert not errors, f"{name}: " + "; ".join(e.message[:200] for e in errors[:5])


@pytest.fixture(scope="module")
def subset() -> Spec:
    return Spec(SUBSET, "urn:jira-subset")


@pytest.fixture(scope="module")
def full() -> Spec:
    return Spec(FULL, "urn:jira-full")


def check_issue_fields(full: Spec, issue: dict[str, Any]) -> None:
    """The nested shapes inside `fields` (typed only in the full spec)."""
    fields = issue.get("fields", {})
    for link in fields.get("issuelinks") or []:
        full.check_component("IssueLinkType", link["type"])
        full.check_component(
            "LinkedIssue", link.get("inwardIssue") or link.get("outwardIssue")
        )
    for sub in fields.get("subtasks") or []:
        full.check_component("LinkedIssue", sub)
    if fields.get("parent"):
        full.check_component("LinkedIssue", fields["parent"])
    if fields.get("timetracking") is not None:
        full.check_component("TimeTrackingDetails", fields["timetracking"])
    for name, component in (
        ("issuetype", "IssueTypeDetails"),
        ("status", "StatusDetails"),
        ("priority", "Priority"),
        ("project", "ProjectDetails"),
    ):
        if fields.get(name) is not None:
            full.check_component(component, fields[name])
    for name in ("assignee", "reporter", "creator"):
        if fields.get(name) is not None:
            full.check_component("UserDetails", fields[name])
    for version in fields.get("fixVersions") or []:
        full.check_component("Version", version)
    if fields.get("resolution") is not None:
        full.check_component("Resolution", fields["resolution"])
    if fields.get("security") is not None:
        full.check_component("SecurityLevel", fields["security"])


def test_search_jql_shapes(subset, full, jira):
    path = "/rest/api/3/search/jql"
    get = jira.get(
        f"{path}?jql={quote('project = WEB ORDER BY rank')}&fields=*all&expand=names,schema&maxResults=20"
    )
    body = subset.check("GET", path, get)
    assert body["issues"]
    assert body["nextPageToken"]
    assert body["names"]
    for issue in body["issues"]:
        check_issue_fields(full, issue)
    post = jira.post(
        path, {"jql": "project = MOB", "fields": ["*navigable"], "maxResults": 100}
    )
    for issue in subset.check("POST", path, post)["issues"]:
        check_issue_fields(full, issue)
    ids = jira.post(path, {"jql": "project = MOB", "maxResults": 5000})
    assert subset.check("POST", path, ids)["isLast"] is True
    bad = jira.post(path, {"jql": "project = "})
    subset.check("POST", path, bad)


def test_approximate_count_shape(subset, jira):
    path = "/rest/api/3/search/approximate-count"
    subset.check("POST", path, jira.post(path, {"jql": "project = WEB"}))
    subset.check("POST", path, jira.post(path, {"jql": "project = "}))


def test_bulkfetch_shape(subset, full, jira):
    path = "/rest/api/3/issue/bulkfetch"
    response = jira.post(
        path,
        {
            "issueIdsOrKeys": ["WEB-1", "WEB-5", "MOB-2", "bad key"],
            "fields": ["*all"],
            "expand": ["names"],
        },
    )
    body = subset.check("POST", path, response)
    assert len(body["issues"]) == 3
    assert body["issueErrors"]
    for issue in body["issues"]:
        check_issue_fields(full, issue)
    subset.check("POST", path, jira.post(path, {"issueIdsOrKeys": []}))


def test_get_issue_shape(subset, full, jira):
    path = "/rest/api/3/issue/{issueIdOrKey}"
    for key in ("WEB-1", "WEB-4", "MOB-3", "FIN-2"):
        body = subset.check(
            "GET", path, jira.get(f"/rest/api/3/issue/{key}?expand=names,schema")
        )
        check_issue_fields(full, body)
    subset.check("GET", path, jira.get("/rest/api/3/issue/NOPE-1"))


def test_metadata_shapes(subset, jira):
    subset.check("GET", "/rest/api/3/field", jira.get("/rest/api/3/field"))
    subset.check(
        "GET", "/rest/api/3/issueLinkType", jira.get("/rest/api/3/issueLinkType")
    )


def test_user_shapes(subset, jira, as_user):
    subset.check("GET", "/rest/api/3/myself", jira.get("/rest/api/3/myself"))
    subset.check("GET", "/rest/api/3/myself", as_user(CAROL).get("/rest/api/3/myself"))
    groups = "/rest/api/3/user/groups"
    subset.check("GET", groups, jira.get(f"{groups}?accountId={ADMIN}"))
    subset.check("GET", groups, jira.get(f"{groups}?accountId=unknown"))
    bulk = "/rest/api/3/user/bulk"
    subset.check(
        "GET", bulk, jira.get(f"{bulk}?accountId={ADMIN}&accountId={BOB}&maxResults=1")
    )
    subset.check("GET", bulk, jira.get(bulk))


def test_user_and_group_search_shapes(full, jira):
    # Not in the subset (the sharing dialog's pickers): the full spec has them.
    search = "/rest/api/3/user/search"
    found = full.check("GET", search, jira.get(f"{search}?query=car"))
    assert [u["displayName"] for u in found] == ["Carol Chen"]
    assert full.check("GET", search, jira.get(f"{search}?query=zzz")) == []
    full.check("GET", search, jira.get(search))  # 400: query or accountId needed
    picker = "/rest/api/3/groups/picker"
    groups = full.check("GET", picker, jira.get(f"{picker}?query=TEAM&maxResults=1"))
    assert groups["total"] > 1
    assert len(groups["groups"]) == 1
    assert "<b>team</b>" in groups["groups"][0]["html"]


def test_permission_shapes(subset, jira):
    path = "/rest/api/3/permissions/check"
    body = {
        "accountId": BOB,
        "globalPermissions": ["ADMINISTER", "USER_PICKER"],
        "projectPermissions": [
            {
                "permissions": ["BROWSE_PROJECTS", "EDIT_ISSUES"],
                "projects": [10000, 10002],
                "issues": [10000, 10260],
            }
        ],
    }
    subset.check("POST", path, jira.post(path, body))
    subset.check(
        "POST",
        path,
        jira.post(path, {"projectPermissions": [{"permissions": ["NOPE"]}]}),
    )
    mine = "/rest/api/3/mypermissions"
    subset.check(
        "GET",
        mine,
        jira.get(f"{mine}?permissions=BROWSE_PROJECTS,ADMINISTER&projectKey=WEB"),
    )
    subset.check("GET", mine, jira.get(mine))
    subset.check(
        "GET", mine, jira.get(f"{mine}?permissions=BROWSE_PROJECTS&projectKey=NOPE")
    )


def test_project_shapes(subset, full, jira):
    full.check(
        "GET",
        "/rest/api/3/project/search",
        jira.get("/rest/api/3/project/search?maxResults=2"),
    )
    subset.check(
        "GET",
        "/rest/api/3/project/{projectIdOrKey}/role",
        jira.get("/rest/api/3/project/WEB/role"),
    )
    role = "/rest/api/3/project/{projectIdOrKey}/role/{id}"
    for role_id in (10000, 10001, 10002, 10003):
        subset.check("GET", role, jira.get(f"/rest/api/3/project/MOB/role/{role_id}"))
    subset.check("GET", role, jira.get("/rest/api/3/project/MOB/role/1"))


def test_jql_parse_shape(subset, jira):
    path = "/rest/api/3/jql/parse"
    queries = [
        'project in (WEB, "MOB") AND (assignee = currentUser() OR assignee is EMPTY) AND NOT status = Done ORDER BY rank, "Story Points" DESC',
        "labels not in (ux) and cf[10016] >= 3",
        "project = ",
        "nope = 1",
    ]
    body = subset.check("POST", path, jira.post(path, {"queries": queries}))
    assert body["queries"][0]["structure"]["where"]["operator"] == "and"
    subset.check("POST", path, jira.post(path, {"queries": []}))


def test_unauthenticated_error_shape(subset, sim):
    import requests  # noqa: TID251 (the tests play the app and the browser over HTTP)

    response = requests.get(sim.base_url + "/rest/api/3/field", timeout=10)
    assert response.status_code == 401
    subset.check_component("ErrorCollection", response.json())


def test_spec_conversion_keeps_nullable_fields_strict(subset):
    schema = copy.deepcopy({"$ref": "urn:jira-subset#/components/schemas/GroupName"})
    validator = subset.validator(schema)
    assert validator.is_valid({"name": "g", "groupId": None})
    assert not validator.is_valid({"name": 1})
    assert not validator.is_valid({"name": "g", "unknown": True})
