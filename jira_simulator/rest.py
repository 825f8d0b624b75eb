"""Jira REST API v3 handlers: request parsing, permission rules, Jira's JSON shapes."""

from __future__ import annotations

import base64
import hashlib
import html
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from werkzeug.datastructures import MultiDict

from jira_simulator import jql
from jira_simulator.model import (
    GLOBAL_PERMISSIONS,
    PERMISSIONS,
    PROJECT_PERMISSIONS,
    ROLE_ADDONS,
    ROLE_NAMES,
    Issue,
    Project,
    RoleActors,
    User,
)
from jira_simulator.render import FIELDS, Renderer, requested_only_ids, select_fields
from jira_simulator.state import Simulator

MAX_RESULTS_DEFAULT = 50
MAX_RESULTS_FIELDS = 100
MAX_RESULTS_IDS = 5000
BULK_FETCH_LIMIT = 100
PERMISSION_CHECK_LIMIT = 1000
ISSUE_NOT_FOUND = "Issue does not exist or you do not have permission to see it."


class ApiError(Exception):
    """An error answer in Jira's shape: {"errorMessages": [...], "errors": {...}}."""

    def __init__(
        self, status: int, *messages: str, errors: dict[str, str] | None = None
    ) -> None:
        super().__init__(messages[0] if messages else str(errors))
        self.status = status
        self.messages = list(messages)
        self.errors = errors or {}

    def body(self) -> dict[str, Any]:
        return {"errorMessages": self.messages, "errors": self.errors}


@dataclass
class Caller:
    """Who is calling: an app (by JWT) or a user (by host session)."""

    account_id: str
    is_app: bool
    tenant: str  # rate-limit bucket key


@dataclass
class Call:
    sim: Simulator
    caller: Caller
    method: str
    args: MultiDict[str, str]
    body: Any
    params: dict[str, str]

    @property
    def r(self) -> Renderer:
        return self.sim.renderer


Handler = Callable[[Call], tuple[int, Any]]


# ---- helpers -----------------------------------------------------------------------


def json_body(
    call: Call, allowed: set[str], required: frozenset[str] = frozenset()
) -> dict[str, Any]:
    body = call.body
    if not isinstance(body, dict):
        raise ApiError(400, "The request body must be a JSON object.")
    unknown = sorted(set(body) - allowed)
    if unknown:
        raise ApiError(400, f'Unrecognized field "{unknown[0]}" in the request body.')
    for name in sorted(required):
        if name not in body:
            raise ApiError(400, f"The request body must contain '{name}'.")
    return body


def expect(value: Any, kind: type | tuple[type, ...], name: str) -> Any:
    if value is None:
        return None
    if isinstance(value, bool) and kind is int:
        raise ApiError(400, f"'{name}' must be an integer.")
    if not isinstance(value, kind):
        raise ApiError(400, f"'{name}' has the wrong type.")
    return value


def str_list(value: Any, name: str) -> list[str] | None:
    if value is None:
        return None
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ApiError(400, f"'{name}' must be a list of strings.")
    return value


def int_arg(args: MultiDict[str, str], name: str, default: int) -> int:
    raw = args.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise ApiError(400, f"The value '{raw}' of '{name}' is not a number.") from None


def split_expand(value: Any) -> list[str]:
    if value is None:
        return []
    items = value if isinstance(value, list) else [value]
    return [
        part.strip() for item in items for part in str(item).split(",") if part.strip()
    ]


def visible_issue(call: Call, id_or_key: str) -> Issue:
    issue = call.sim.site.issue_lookup(id_or_key)
    if issue is None or not call.sim.site.can_browse(call.caller.account_id, issue):
        raise ApiError(404, ISSUE_NOT_FOUND)
    return issue


def visible_project(call: Call, id_or_key: str) -> Project:
    project = call.sim.site.project_lookup(id_or_key)
    if project is None or not call.sim.site.can_browse_project(
        call.caller.account_id, project
    ):
        raise ApiError(404, f"No project could be found with key '{id_or_key}'.")
    return project


# ---- search ------------------------------------------------------------------------


def _page_token(offset: int, fingerprint: str) -> str:
    raw = json.dumps({"o": offset, "f": fingerprint}).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _read_token(token: str, fingerprint: str) -> int:
    try:
        padded = token + "=" * (-len(token) % 4)
        data = json.loads(base64.urlsafe_b64decode(padded.encode()))
        offset = int(data["o"])
        if data["f"] != fingerprint or offset < 0:
            raise ValueError
        return offset
    except (ValueError, KeyError, TypeError, json.JSONDecodeError):
        raise ApiError(
            400, "The provided next page token is invalid or expired."
        ) from None


def _search(
    call: Call,
    *,
    jql_text: str | None,
    token: str | None,
    max_results: int | None,
    fields: list[str] | None,
    expand: list[str],
) -> tuple[int, Any]:
    if max_results is not None and max_results < 0:
        raise ApiError(400, "The value of 'maxResults' must be zero or greater.")
    text = jql_text or ""
    viewer = call.caller.account_id
    try:
        ids = call.sim.search_ids(text, viewer)
    except jql.JqlError as exc:
        raise ApiError(400, str(exc)) from None
    only_ids = requested_only_ids(fields)
    cap = MAX_RESULTS_IDS if only_ids else MAX_RESULTS_FIELDS
    size = min(MAX_RESULTS_DEFAULT if max_results is None else max_results, cap)
    fingerprint = hashlib.sha256(f"{text}\x00{viewer}".encode()).hexdigest()[:16]
    offset = _read_token(token, fingerprint) if token else 0
    page = ids[offset : offset + size]
    field_ids = select_fields(fields, default=[])
    want_key = any(
        f.strip() in ("key", "issuekey")
        for entry in fields or []
        for f in entry.split(",")
    )
    issues = []
    for issue_id in page:
        issue = call.sim.site.issues[issue_id]
        if field_ids:
            issues.append(call.r.issue(issue, field_ids, expand=expand))
        else:
            item: dict[str, Any] = {"id": str(issue.id)}
            if want_key:
                item["key"] = issue.key
            issues.append(item)
    out: dict[str, Any] = {"issues": issues}
    next_offset = offset + len(page)
    is_last = next_offset >= len(ids) or size == 0
    if not is_last:
        out["nextPageToken"] = _page_token(next_offset, fingerprint)
    out["isLast"] = is_last
    if "names" in expand:
        out["names"] = {f.id: f.name for f in FIELDS if f.id in field_ids}
    if "schema" in expand:
        out["schema"] = {
            f.id: f.schema for f in FIELDS if f.id in field_ids and f.schema
        }
    return 200, out


def search_jql_get(call: Call) -> tuple[int, Any]:
    args = call.args
    fields = args.getlist("fields") or None
    return _search(
        call,
        jql_text=args.get("jql"),
        token=args.get("nextPageToken"),
        max_results=int_arg(args, "maxResults", MAX_RESULTS_DEFAULT),
        fields=fields,
        expand=split_expand(args.get("expand")),
    )


SEARCH_BODY = {
    "jql",
    "nextPageToken",
    "maxResults",
    "fields",
    "expand",
    "properties",
    "fieldsByKeys",
    "reconcileIssues",
}


def search_jql_post(call: Call) -> tuple[int, Any]:
    body = json_body(call, SEARCH_BODY)
    return _search(
        call,
        jql_text=expect(body.get("jql"), str, "jql"),
        token=expect(body.get("nextPageToken"), str, "nextPageToken"),
        max_results=expect(body.get("maxResults"), int, "maxResults"),
        fields=str_list(body.get("fields"), "fields"),
        expand=split_expand(expect(body.get("expand"), str, "expand")),
    )


def approximate_count(call: Call) -> tuple[int, Any]:
    body = json_body(call, {"jql"})
    text = expect(body.get("jql"), str, "jql") or ""
    try:
        ids = call.sim.search_ids(text, call.caller.account_id)
    except jql.JqlError as exc:
        raise ApiError(400, str(exc)) from None
    return 200, {"count": len(ids)}


def _looks_like_key(value: str) -> bool:
    project, sep, number = value.rpartition("-")
    return (
        bool(sep)
        and project.replace("_", "").isalnum()
        and project[:1].isalpha()
        and number.isdigit()
    )


def bulk_fetch(call: Call) -> tuple[int, Any]:
    body = json_body(
        call,
        {"issueIdsOrKeys", "fields", "expand", "properties", "fieldsByKeys"},
        frozenset({"issueIdsOrKeys"}),
    )
    wanted = str_list(body.get("issueIdsOrKeys"), "issueIdsOrKeys") or []
    if not wanted:
        raise ApiError(400, "No issue IDs or keys were provided.")
    if len(wanted) > BULK_FETCH_LIMIT:
        raise ApiError(
            400,
            f"The number of issues requested ({len(wanted)}) exceeds the limit of {BULK_FETCH_LIMIT}.",
        )
    fields = select_fields(
        str_list(body.get("fields"), "fields"), default=["*navigable"]
    )
    expand = split_expand(body.get("expand"))
    found: dict[int, Issue] = {}
    errors = []
    site = call.sim.site
    for value in wanted:
        if not (value.isdigit() or _looks_like_key(value.upper())):
            errors.append(
                {
                    "id": value,
                    "errorMessage": f"'{value}' is not a valid issue id or key.",
                }
            )
            continue
        issue = site.issue_lookup(value)
        # Missing issues and issues the caller may not browse are silently left out.
        if issue is not None and site.can_browse(call.caller.account_id, issue):
            found[issue.id] = issue
    issues = [call.r.issue(found[i], fields, expand=expand) for i in sorted(found)]
    return 200, {"issues": issues, "issueErrors": errors}


def get_issue(call: Call) -> tuple[int, Any]:
    issue = visible_issue(call, call.params["issueIdOrKey"])
    requested = call.args.getlist("fields") or None
    fields = select_fields(requested, default=["*all"])
    return 200, call.r.issue(
        issue, fields, expand=split_expand(call.args.get("expand"))
    )


# ---- metadata ----------------------------------------------------------------------


def get_fields(call: Call) -> tuple[int, Any]:
    return 200, [f.to_json() for f in FIELDS]


def get_link_types(call: Call) -> tuple[int, Any]:
    return 200, {
        "issueLinkTypes": [
            call.r.link_type(t) for t in sorted(call.sim.site.link_types)
        ]
    }


# ---- users -------------------------------------------------------------------------


def myself(call: Call) -> tuple[int, Any]:
    user = call.sim.site.users[call.caller.account_id]
    return 200, call.r.user(user, full=True)


def _require_user_browse(call: Call) -> None:
    if "USER_PICKER" not in call.sim.site.global_permissions(call.caller.account_id):
        raise ApiError(
            403, "You do not have the permission to browse users and groups."
        )


def user_groups(call: Call) -> tuple[int, Any]:
    _require_user_browse(call)
    account_id = call.args.get("accountId")
    if not account_id:
        raise ApiError(400, "The accountId query parameter needs to be provided.")
    if account_id not in call.sim.site.users:
        raise ApiError(404, f"The user with accountId '{account_id}' does not exist.")
    groups = sorted(call.sim.site.user_groups(account_id), key=lambda g: g.name)
    return 200, [call.r.group_name(g.group_id) for g in groups]


def user_search(call: Call) -> tuple[int, Any]:
    """Users whose display name has a word, or whose email, starts with `query`."""
    _require_user_browse(call)
    query = (call.args.get("query") or "").strip().lower()
    account_id = call.args.get("accountId")
    if not query and not account_id:
        raise ApiError(
            400, "One of 'accountId' or 'query' query parameters must be provided."
        )
    start = int_arg(call.args, "startAt", 0)
    size = int_arg(call.args, "maxResults", 50)
    if start < 0 or size < 0:
        raise ApiError(400, "startAt and maxResults must be zero or greater.")

    def matches(user: User) -> bool:
        if account_id and user.account_id != account_id:
            return False
        if not query:
            return True
        words = user.display_name.lower().split()
        email = (user.email or "").lower()
        return any(w.startswith(query) for w in words) or email.startswith(query)

    found = [u for u in call.sim.site.users.values() if u.active and matches(u)]
    return 200, [call.r.user(u) for u in found[start : start + min(size, 1000)]]


def groups_picker(call: Call) -> tuple[int, Any]:
    """Groups whose name contains `query`, by name, with Jira's header and total."""
    _require_user_browse(call)
    query = (call.args.get("query") or "").strip()
    size = int_arg(call.args, "maxResults", 20)
    if size < 0:
        raise ApiError(400, "maxResults must be zero or greater.")
    found = sorted(
        (g for g in call.sim.site.groups.values() if query.lower() in g.name.lower()),
        key=lambda g: g.name.lower(),
    )
    shown = found[:size]

    def highlighted(name: str) -> str:
        at = name.lower().find(query.lower())
        if not query or at < 0:
            return html.escape(name)
        end = at + len(query)
        return (
            f"{html.escape(name[:at])}<b>{html.escape(name[at:end])}</b>"
            f"{html.escape(name[end:])}"
        )

    return 200, {
        "header": f"Showing {len(shown)} of {len(found)} matching groups",
        "total": len(found),
        "groups": [
            {
                "name": g.name,
                "html": highlighted(g.name),
                "groupId": g.group_id,
                "labels": [],
            }
            for g in shown
        ],
    }


def user_bulk(call: Call) -> tuple[int, Any]:
    _require_user_browse(call)
    ids = call.args.getlist("accountId")
    if not ids:
        raise ApiError(400, "At least one accountId is required.")
    start = int_arg(call.args, "startAt", 0)
    size = int_arg(call.args, "maxResults", 10)
    if start < 0 or size < 0:
        raise ApiError(400, "startAt and maxResults must be zero or greater.")
    size = min(size, 200)
    users = [
        call.sim.site.users[a] for a in dict.fromkeys(ids) if a in call.sim.site.users
    ]
    page = users[start : start + size]
    base = f"{call.sim.base_url}/rest/api/3/user/bulk"
    query = [("accountId", a) for a in ids]
    out: dict[str, Any] = {
        "self": f"{base}?{urlencode([*query, ('startAt', start), ('maxResults', size)])}",
        "maxResults": size,
        "startAt": start,
        "total": len(users),
        "isLast": start + len(page) >= len(users),
        "values": [call.r.user(u) for u in page],
    }
    if not out["isLast"]:
        out["nextPage"] = (
            f"{base}?{urlencode([*query, ('startAt', start + size), ('maxResults', size)])}"
        )
    return 200, out


# ---- permissions -------------------------------------------------------------------


def _check_keys(keys: list[str], allowed: frozenset[str], where: str) -> None:
    for key in keys:
        if key not in allowed:
            raise ApiError(
                400, errors={where: f"Unrecognized permission key: '{key}'."}
            )


def permissions_check(call: Call) -> tuple[int, Any]:
    body = json_body(call, {"accountId", "globalPermissions", "projectPermissions"})
    site = call.sim.site
    account_id = (
        expect(body.get("accountId"), str, "accountId") or call.caller.account_id
    )
    if (
        account_id != call.caller.account_id
        and not call.caller.is_app
        and "ADMINISTER" not in site.global_permissions(call.caller.account_id)
    ):
        raise ApiError(
            403, "Only Jira administrators can check permissions of other users."
        )
    global_keys = str_list(body.get("globalPermissions"), "globalPermissions") or []
    _check_keys(global_keys, GLOBAL_PERMISSIONS, "globalPermissions")
    entries = body.get("projectPermissions") or []
    if not isinstance(entries, list):
        raise ApiError(400, "'projectPermissions' must be a list.")
    total_issues = 0
    total_projects = 0
    parsed: list[tuple[list[str], list[int], list[int]]] = []
    for entry in entries:
        if not isinstance(entry, dict) or "permissions" not in entry:
            raise ApiError(400, "Each projectPermissions entry needs 'permissions'.")
        unknown = set(entry) - {"permissions", "projects", "issues"}
        if unknown:
            raise ApiError(
                400, f'Unrecognized field "{sorted(unknown)[0]}" in projectPermissions.'
            )
        keys = str_list(entry.get("permissions"), "permissions") or []
        _check_keys(keys, PROJECT_PERMISSIONS, "projectPermissions")
        projects = entry.get("projects") or []
        issues = entry.get("issues") or []
        for name, values in (("projects", projects), ("issues", issues)):
            if not isinstance(values, list) or not all(
                isinstance(v, int) and not isinstance(v, bool) for v in values
            ):
                raise ApiError(400, f"'{name}' must be a list of numeric ids.")
        total_projects += len(projects)
        total_issues += len(issues)
        parsed.append((keys, projects, issues))
    if total_issues > PERMISSION_CHECK_LIMIT:
        raise ApiError(
            400,
            errors={
                "issues": f"You can check permissions for up to {PERMISSION_CHECK_LIMIT} issues at once."
            },
        )
    if total_projects > PERMISSION_CHECK_LIMIT:
        raise ApiError(
            400,
            errors={
                "projects": f"You can check permissions for up to {PERMISSION_CHECK_LIMIT} projects at once."
            },
        )
    held_global = site.global_permissions(account_id)
    grants: dict[str, tuple[list[int], list[int]]] = {}
    for keys, projects, issues in parsed:
        project_perms = {
            pid: site.project_permissions(account_id, site.projects[pid])
            for pid in projects
            if pid in site.projects
        }
        issue_perms = {
            iid: site.issue_permissions(account_id, site.issues[iid])
            for iid in issues
            if iid in site.issues
        }
        for key in keys:
            got_projects, got_issues = grants.setdefault(key, ([], []))
            got_projects.extend(
                p
                for p, perms in project_perms.items()
                if key in perms and p not in got_projects
            )
            got_issues.extend(
                i
                for i, perms in issue_perms.items()
                if key in perms and i not in got_issues
            )
    return 200, {
        "globalPermissions": [
            k for k in dict.fromkeys(global_keys) if k in held_global
        ],
        "projectPermissions": [
            {"permission": key, "projects": projects, "issues": issues}
            for key, (projects, issues) in grants.items()
        ],
    }


def my_permissions(call: Call) -> tuple[int, Any]:
    raw = call.args.get("permissions")
    if not raw:
        raise ApiError(400, "The 'permissions' query parameter is required.")
    keys = [k.strip() for k in raw.split(",") if k.strip()]
    for key in keys:
        if key not in PERMISSIONS:
            raise ApiError(400, f"Permission key '{key}' does not exist.")
    site = call.sim.site
    viewer = call.caller.account_id
    args = call.args
    project: Project | None = None
    issue: Issue | None = None
    if args.get("issueKey") or args.get("issueId"):
        issue = visible_issue(call, args.get("issueKey") or args.get("issueId") or "")
    elif args.get("projectKey") or args.get("projectId"):
        ref = args.get("projectKey") or args.get("projectId") or ""
        project = site.project_lookup(ref)
        if project is None:
            raise ApiError(404, f"No project could be found with key '{ref}'.")
    held = site.global_permissions(viewer)
    if issue is not None:
        held |= site.issue_permissions(viewer, issue)
    elif project is not None:
        held |= site.project_permissions(viewer, project)
    else:
        # In global context a project permission counts if any project grants it.
        for p in site.projects.values():
            held |= site.project_permissions(viewer, p)
    out = {}
    for key in keys:
        pid, name, kind = PERMISSIONS[key]
        out[key] = {
            "id": pid,
            "key": key,
            "name": name,
            "type": kind,
            "description": f"Ability to {name.lower()}.",
            "havePermission": key in held,
        }
    return 200, {"permissions": out}


# ---- projects and roles ------------------------------------------------------------


def project_search(call: Call) -> tuple[int, Any]:
    args = call.args
    start = int_arg(args, "startAt", 0)
    size = int_arg(args, "maxResults", 50)
    if start < 0 or size < 0:
        raise ApiError(400, "startAt and maxResults must be zero or greater.")
    size = min(size, 100)
    site = call.sim.site
    projects = [
        p
        for p in site.projects.values()
        if site.can_browse_project(call.caller.account_id, p)
    ]
    keys = {k.upper() for v in args.getlist("keys") for k in v.split(",") if k}
    ids = set(args.getlist("id"))
    if keys:
        projects = [p for p in projects if p.key.upper() in keys]
    if ids:
        projects = [p for p in projects if str(p.id) in ids]
    query = (args.get("query") or "").lower()
    if query:
        projects = [
            p for p in projects if query in p.key.lower() or query in p.name.lower()
        ]
    order = args.get("orderBy") or "key"
    reverse = order.startswith("-")
    field = order.lstrip("+-")
    if field not in ("key", "name"):
        field = "key"
    projects.sort(
        key=lambda p: p.key if field == "key" else p.name.lower(), reverse=reverse
    )
    page = projects[start : start + size]
    base = f"{call.sim.base_url}/rest/api/3/project/search"
    out: dict[str, Any] = {
        "self": f"{base}?startAt={start}&maxResults={size}",
        "maxResults": size,
        "startAt": start,
        "total": len(projects),
        "isLast": start + len(page) >= len(projects),
        "values": [call.r.project(p) for p in page],
    }
    if not out["isLast"]:
        out["nextPage"] = f"{base}?startAt={start + size}&maxResults={size}"
    return 200, out


def project_roles(call: Call) -> tuple[int, Any]:
    project = visible_project(call, call.params["projectIdOrKey"])
    base = f"{call.sim.base_url}/rest/api/3/project/{project.id}/role"
    return 200, {ROLE_NAMES[rid][0]: f"{base}/{rid}" for rid in sorted(ROLE_NAMES)}


def _role_actors(call: Call, project: Project, role_id: int) -> list[dict[str, Any]]:
    site = call.sim.site
    if role_id == ROLE_ADDONS:
        actors = RoleActors(users=[i.app_account_id for i in call.sim.installations()])
    else:
        actors = project.roles.get(role_id, RoleActors())
    out: list[dict[str, Any]] = []
    for index, gid in enumerate(actors.groups):
        group = site.groups.get(gid)
        if group is None:
            continue
        out.append(
            {
                "id": project.id * 100 + role_id % 100 * 10 + index,
                "displayName": group.name,
                "type": "atlassian-group-role-actor",
                "name": group.name,
                "actorGroup": {
                    "name": group.name,
                    "displayName": group.name,
                    "groupId": group.group_id,
                },
            }
        )
    for index, account_id in enumerate(actors.users):
        user = site.users.get(account_id)
        if user is None:
            continue
        out.append(
            {
                "id": project.id * 100 + role_id % 100 * 10 + 5 + index,
                "displayName": user.display_name,
                "type": "atlassian-user-role-actor",
                "actorUser": {"accountId": account_id},
            }
        )
    return out


def project_role(call: Call) -> tuple[int, Any]:
    project = visible_project(call, call.params["projectIdOrKey"])
    raw = call.params["id"]
    if not raw.isdigit() or int(raw) not in ROLE_NAMES:
        raise ApiError(404, f"No project role with id '{raw}' exists.")
    role_id = int(raw)
    name, description = ROLE_NAMES[role_id]
    return 200, {
        "self": f"{call.sim.base_url}/rest/api/3/project/{project.id}/role/{role_id}",
        "name": name,
        "id": role_id,
        "description": description,
        "actors": _role_actors(call, project, role_id),
        "scope": {
            "type": "PROJECT",
            "project": {
                "id": str(project.id),
                "key": project.key,
                "name": project.name,
            },
        },
    }


# ---- JQL parse ---------------------------------------------------------------------


def jql_parse(call: Call) -> tuple[int, Any]:
    body = json_body(call, {"queries"}, frozenset({"queries"}))
    queries = str_list(body.get("queries"), "queries")
    if not queries:
        raise ApiError(400, errors={"queries": "At least one query is required."})
    validation = call.args.get("validation", "strict")
    if validation not in ("strict", "warn", "none"):
        raise ApiError(400, f"Invalid validation mode '{validation}'.")
    results = []
    for text in queries:
        item: dict[str, Any] = {"query": text}
        try:
            parsed = jql.parse(text)
        except jql.JqlError as exc:
            item["errors"] = [str(exc)]
            results.append(item)
            continue
        item["structure"] = jql.structure(parsed)
        if validation != "none":
            problems = jql.validate(call.sim.site, text, call.caller.account_id)
            if problems:
                item["errors" if validation == "strict" else "warnings"] = problems
        results.append(item)
    return 200, {"queries": results}


# Route table: (method, path template as Jira documents it, handler).
ROUTES: list[tuple[str, str, Handler]] = [
    ("GET", "/rest/api/3/search/jql", search_jql_get),
    ("POST", "/rest/api/3/search/jql", search_jql_post),
    ("POST", "/rest/api/3/search/approximate-count", approximate_count),
    ("POST", "/rest/api/3/issue/bulkfetch", bulk_fetch),
    ("GET", "/rest/api/3/issue/{issueIdOrKey}", get_issue),
    ("GET", "/rest/api/3/field", get_fields),
    ("GET", "/rest/api/3/issueLinkType", get_link_types),
    ("GET", "/rest/api/3/myself", myself),
    ("GET", "/rest/api/3/user/groups", user_groups),
    ("GET", "/rest/api/3/user/bulk", user_bulk),
    ("GET", "/rest/api/3/user/search", user_search),
    ("GET", "/rest/api/3/groups/picker", groups_picker),
    ("POST", "/rest/api/3/permissions/check", permissions_check),
    ("GET", "/rest/api/3/mypermissions", my_permissions),
    ("GET", "/rest/api/3/project/search", project_search),
    ("GET", "/rest/api/3/project/{projectIdOrKey}/role", project_roles),
    ("GET", "/rest/api/3/project/{projectIdOrKey}/role/{id}", project_role),
    ("POST", "/rest/api/3/jql/parse", jql_parse),
]
