"""Jira's JSON shapes for the site's objects (issues, fields, users, projects)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from jira_simulator.model import (
    ROLE_NAMES,
    Issue,
    IssueLink,
    IssueType,
    Project,
    Site,
    Status,
    User,
)

JSON = dict[str, Any]

STORY_POINTS = "customfield_10016"
TEAM = "customfield_10001"
RANK = "customfield_10019"


@dataclass(frozen=True, slots=True)
class FieldDef:
    id: str
    name: str
    schema: JSON | None
    clause_names: tuple[str, ...]
    custom: bool = False
    navigable: bool = True
    orderable: bool = True
    searchable: bool = True

    def to_json(self) -> JSON:
        out: JSON = {
            "id": self.id,
            "key": self.id,
            "name": self.name,
            "custom": self.custom,
            "orderable": self.orderable,
            "navigable": self.navigable,
            "searchable": self.searchable,
            "clauseNames": list(self.clause_names),
        }
        if self.schema is not None:
            out["schema"] = self.schema
        return out


def _sys(type_: str, system: str, items: str | None = None) -> JSON:
    schema: JSON = {"type": type_, "system": system}
    if items:
        schema["items"] = items
    return schema


def _cf(type_: str, custom: str, custom_id: int) -> JSON:
    return {
        "type": type_,
        "custom": f"com.atlassian.jira.plugin.system.customfieldtypes:{custom}",
        "customId": custom_id,
    }


FIELDS: tuple[FieldDef, ...] = (
    FieldDef(
        "issuekey", "Key", None, ("id", "issue", "issuekey", "key"), orderable=False
    ),
    FieldDef("summary", "Summary", _sys("string", "summary"), ("summary",)),
    FieldDef(
        "description", "Description", _sys("string", "description"), ("description",)
    ),
    FieldDef(
        "issuetype", "Issue Type", _sys("issuetype", "issuetype"), ("issuetype", "type")
    ),
    FieldDef(
        "status", "Status", _sys("status", "status"), ("status",), orderable=False
    ),
    FieldDef(
        "statusCategory",
        "Status Category",
        _sys("statusCategory", "statusCategory"),
        ("statusCategory",),
        orderable=False,
    ),
    FieldDef("priority", "Priority", _sys("priority", "priority"), ("priority",)),
    FieldDef("project", "Project", _sys("project", "project"), ("project",)),
    FieldDef("assignee", "Assignee", _sys("user", "assignee"), ("assignee",)),
    FieldDef("reporter", "Reporter", _sys("user", "reporter"), ("reporter",)),
    FieldDef(
        "creator", "Creator", _sys("user", "creator"), ("creator",), orderable=False
    ),
    FieldDef(
        "created",
        "Created",
        _sys("datetime", "created"),
        ("created", "createdDate"),
        orderable=False,
    ),
    FieldDef(
        "updated",
        "Updated",
        _sys("datetime", "updated"),
        ("updated", "updatedDate"),
        orderable=False,
    ),
    FieldDef(
        "resolution", "Resolution", _sys("resolution", "resolution"), ("resolution",)
    ),
    FieldDef(
        "resolutiondate",
        "Resolved",
        _sys("datetime", "resolutiondate"),
        ("resolutiondate", "resolved"),
        orderable=False,
    ),
    FieldDef("duedate", "Due date", _sys("date", "duedate"), ("due", "duedate")),
    FieldDef("labels", "Labels", _sys("array", "labels", "string"), ("labels",)),
    FieldDef(
        "fixVersions",
        "Fix versions",
        _sys("array", "fixVersions", "version"),
        ("fixVersion",),
    ),
    FieldDef("parent", "Parent", None, ("parent",)),
    FieldDef(
        "subtasks",
        "Sub-tasks",
        _sys("array", "subtasks", "issuelinks"),
        ("subtasks",),
        orderable=False,
    ),
    FieldDef(
        "issuelinks",
        "Linked Issues",
        _sys("array", "issuelinks", "issuelinks"),
        ("issueLink",),
    ),
    FieldDef(
        "security", "Security Level", _sys("securitylevel", "security"), ("level",)
    ),
    FieldDef(
        "timetracking",
        "Time tracking",
        _sys("timetracking", "timetracking"),
        (),
        navigable=False,
        searchable=False,
    ),
    FieldDef(
        "timeoriginalestimate",
        "Original estimate",
        _sys("number", "timeoriginalestimate"),
        ("originalEstimate", "timeoriginalestimate"),
        orderable=False,
    ),
    FieldDef(
        "timeestimate",
        "Remaining Estimate",
        _sys("number", "timeestimate"),
        ("remainingEstimate", "timeestimate"),
        orderable=False,
    ),
    FieldDef(
        "timespent",
        "Time Spent",
        _sys("number", "timespent"),
        ("timespent",),
        orderable=False,
    ),
    FieldDef(
        STORY_POINTS,
        "Story Points",
        _cf("number", "float", 10016),
        ("cf[10016]", "Story Points", "Story points"),
        custom=True,
    ),
    FieldDef(
        TEAM,
        "Team",
        {
            "type": "team",
            "custom": "com.atlassian.jira.plugin.system.customfieldtypes:atlassian-team",
            "customId": 10001,
            "configuration": {
                "com.atlassian.jira.plugin.system.customfieldtypes:atlassian-team": True
            },
        },
        ("cf[10001]", "Team", "Team[Team]"),
        custom=True,
    ),
    FieldDef(
        RANK,
        "Rank",
        {
            "type": "any",
            "custom": "com.pyxis.greenhopper.jira:gh-lexo-rank",
            "customId": 10019,
        },
        ("cf[10019]", "Rank"),
        custom=True,
        orderable=False,
    ),
)
FIELDS_BY_ID = {f.id: f for f in FIELDS}
# Field ids that only ever appear as top-level keys, never inside "fields".
NON_FIELD_IDS = {"issuekey", "statusCategory"}
ALL_FIELD_IDS = [f.id for f in FIELDS if f.id not in NON_FIELD_IDS]
NAVIGABLE_FIELD_IDS = [
    f.id for f in FIELDS if f.navigable and f.id not in NON_FIELD_IDS
]


def jira_time(value: dt.datetime) -> str:
    """Jira's timestamp format: 2024-01-15T10:32:00.000+0000."""
    return value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.000+0000")


def duration_text(seconds: int) -> str:
    parts = []
    days, rest = divmod(seconds, 8 * 3600)
    hours, rest = divmod(rest, 3600)
    minutes = rest // 60
    if days:
        parts.append(f"{days}d")
    if hours:
        parts.append(f"{hours}h")
    if minutes or not parts:
        parts.append(f"{minutes}m")
    return " ".join(parts)


class Renderer:
    """Renders the site's objects for one base URL."""

    def __init__(self, site: Site, base_url: str) -> None:
        self.site = site
        self.base = base_url

    # ---- small objects --------------------------------------------------------

    def avatars(self, kind: str, ident: str) -> JSON:
        return {
            f"{n}x{n}": f"{self.base}/secure/{kind}avatar?size={n}&id={ident}"
            for n in (16, 24, 32, 48)
        }

    def user(self, user: User, *, full: bool = False) -> JSON:
        out: JSON = {
            "self": f"{self.base}/rest/api/3/user?accountId={user.account_id}",
            "accountId": user.account_id,
            "accountType": user.account_type,
            "avatarUrls": self.avatars("user", user.account_id),
            "displayName": user.display_name,
            "active": user.active,
            "timeZone": user.time_zone,
        }
        if user.email and user.account_type == "atlassian":
            out["emailAddress"] = user.email
        if full:
            groups = [
                self.group_name(g.group_id)
                for g in self.site.user_groups(user.account_id)
            ]
            out["locale"] = "en_US"
            out["groups"] = {"size": len(groups), "items": groups}
            out["applicationRoles"] = {"size": 1, "items": []}
            out["expand"] = "groups,applicationRoles"
        return out

    def user_ref(self, account_id: str | None) -> JSON | None:
        if account_id is None:
            return None
        user = self.site.users.get(account_id)
        if user is None:
            return {
                "accountId": account_id,
                "active": False,
                "displayName": "Former user",
            }
        return self.user(user)

    def group_name(self, group_id: str) -> JSON:
        group = self.site.groups[group_id]
        return {
            "name": group.name,
            "groupId": group.group_id,
            "self": f"{self.base}/rest/api/3/group?groupId={group.group_id}",
        }

    def issuetype(self, it: IssueType) -> JSON:
        return {
            "self": f"{self.base}/rest/api/3/issuetype/{it.id}",
            "id": str(it.id),
            "description": it.description,
            "iconUrl": f"{self.base}/images/icons/issuetypes/{it.name.lower()}.svg",
            "name": it.name,
            "subtask": it.subtask,
            "hierarchyLevel": it.hierarchy_level,
        }

    def status(self, st: Status) -> JSON:
        cat = st.category
        return {
            "self": f"{self.base}/rest/api/3/status/{st.id}",
            "description": "",
            "iconUrl": f"{self.base}/images/icons/statuses/generic.png",
            "name": st.name,
            "id": str(st.id),
            "statusCategory": {
                "self": f"{self.base}/rest/api/3/statuscategory/{cat.id}",
                "id": cat.id,
                "key": cat.key,
                "colorName": cat.color,
                "name": cat.name,
            },
        }

    def priority(self, priority_id: int) -> JSON:
        p = self.site.priorities[priority_id]
        return {
            "self": f"{self.base}/rest/api/3/priority/{p.id}",
            "iconUrl": f"{self.base}/images/icons/priorities/{p.name.lower()}.svg",
            "name": p.name,
            "id": str(p.id),
        }

    def project_ref(self, project: Project) -> JSON:
        return {
            "self": f"{self.base}/rest/api/3/project/{project.id}",
            "id": str(project.id),
            "key": project.key,
            "name": project.name,
            "projectTypeKey": project.project_type,
            "simplified": False,
            "avatarUrls": self.avatars("project", str(project.id)),
        }

    def project(self, project: Project) -> JSON:
        out = self.project_ref(project)
        out.update(
            {
                "description": f"{project.name} project",
                "lead": self.user_ref(project.lead),
                "issueTypes": [
                    self.issuetype(t) for t in self.site.issue_types.values()
                ],
                "style": "classic",
                "isPrivate": False,
            }
        )
        out["roles"] = {
            ROLE_NAMES[rid][
                0
            ]: f"{self.base}/rest/api/3/project/{project.id}/role/{rid}"
            for rid in sorted(ROLE_NAMES)
        }
        return out

    def link_type(self, type_id: int) -> JSON:
        lt = self.site.link_types[type_id]
        return {
            "id": str(lt.id),
            "name": lt.name,
            "inward": lt.inward,
            "outward": lt.outward,
            "self": f"{self.base}/rest/api/3/issueLinkType/{lt.id}",
        }

    # ---- issues ---------------------------------------------------------------

    def issue_self(self, issue: Issue) -> str:
        return f"{self.base}/rest/api/3/issue/{issue.id}"

    def compact_issue(self, issue: Issue, *, with_assignee: bool = False) -> JSON:
        """The small issue shape used for parent, subtasks and linked issues."""
        fields: JSON = {
            "summary": issue.summary,
            "status": self.status(self.site.statuses[issue.status_id]),
            "priority": self.priority(issue.priority_id),
            "issuetype": self.issuetype(self.site.issue_types[issue.issuetype_id]),
        }
        if with_assignee:
            if issue.assignee is not None:
                fields["assignee"] = self.user_ref(issue.assignee)
            fields["timetracking"] = self.timetracking(issue)
        return {
            "id": str(issue.id),
            "key": issue.key,
            "self": self.issue_self(issue),
            "fields": fields,
        }

    def timetracking(self, issue: Issue) -> JSON:
        out: JSON = {}
        if issue.original_estimate_s is not None:
            out["originalEstimate"] = duration_text(issue.original_estimate_s)
            out["originalEstimateSeconds"] = issue.original_estimate_s
        if issue.remaining_estimate_s is not None:
            out["remainingEstimate"] = duration_text(issue.remaining_estimate_s)
            out["remainingEstimateSeconds"] = issue.remaining_estimate_s
        if issue.time_spent_s is not None:
            out["timeSpent"] = duration_text(issue.time_spent_s)
            out["timeSpentSeconds"] = issue.time_spent_s
        return out

    def issue_link(self, link: IssueLink, seen_from: int) -> JSON:
        out: JSON = {
            "id": str(link.id),
            "self": f"{self.base}/rest/api/3/issueLink/{link.id}",
            "type": self.link_type(link.type_id),
        }
        if link.outward_id == seen_from:
            other = self.site.issues.get(link.inward_id)
            if other is not None:
                out["outwardIssue"] = self.compact_issue(other, with_assignee=True)
        else:
            other = self.site.issues.get(link.outward_id)
            if other is not None:
                out["inwardIssue"] = self.compact_issue(other, with_assignee=True)
        return out

    def description(self, text: str | None) -> JSON | None:
        if text is None:
            return None
        return {
            "type": "doc",
            "version": 1,
            "content": [
                {"type": "paragraph", "content": [{"type": "text", "text": text}]}
            ],
        }

    def field_value(self, issue: Issue, field_id: str) -> Any:
        site = self.site
        getter = _FIELD_GETTERS.get(field_id)
        if getter is not None:
            return getter(self, issue)
        if field_id == "security":
            project = site.projects[issue.project_id]
            level = next(
                (
                    lv
                    for lv in project.security_levels
                    if lv.id == issue.security_level_id
                ),
                None,
            )
            if level is None:
                return None
            return {
                "self": f"{self.base}/rest/api/3/securitylevel/{level.id}",
                "id": str(level.id),
                "name": level.name,
                "description": level.description,
            }
        return None

    def issue(
        self, issue: Issue, field_ids: Iterable[str], *, expand: Iterable[str] = ()
    ) -> JSON:
        field_list = list(field_ids)
        out: JSON = {
            "expand": "",
            "id": str(issue.id),
            "self": self.issue_self(issue),
            "key": issue.key,
        }
        if field_list:
            out["fields"] = {f: self.field_value(issue, f) for f in field_list}
        expand_set = set(expand)
        if "names" in expand_set:
            out["names"] = {
                f: FIELDS_BY_ID[f].name for f in field_list if f in FIELDS_BY_ID
            }
        if "schema" in expand_set:
            out["schema"] = {
                f: FIELDS_BY_ID[f].schema
                for f in field_list
                if f in FIELDS_BY_ID and FIELDS_BY_ID[f].schema
            }
        return out


def _fix_versions(r: Renderer, issue: Issue) -> list[JSON]:
    out = []
    for vid in issue.fix_version_ids:
        version = r.site.version_by_id(vid)
        if version is None:
            continue
        item: JSON = {
            "self": f"{r.base}/rest/api/3/version/{version.id}",
            "id": str(version.id),
            "name": version.name,
            "archived": False,
            "released": version.released,
        }
        if version.release_date:
            item["releaseDate"] = version.release_date
        out.append(item)
    return out


def _resolution(r: Renderer, issue: Issue) -> JSON | None:
    if issue.resolution_id is None:
        return None
    res = r.site.resolutions[issue.resolution_id]
    return {
        "self": f"{r.base}/rest/api/3/resolution/{res.id}",
        "id": str(res.id),
        "name": res.name,
        "description": "",
    }


def _team(r: Renderer, issue: Issue) -> JSON | None:
    if issue.team_id is None or issue.team_id not in r.site.teams:
        return None
    team = r.site.teams[issue.team_id]
    return {
        "id": team.id,
        "name": team.name,
        "title": team.name,
        "isShared": True,
        "isVisible": True,
        "isVerified": False,
    }


def _parent(r: Renderer, issue: Issue) -> JSON | None:
    if issue.parent_id is None:
        return None
    parent = r.site.issues.get(issue.parent_id)
    return r.compact_issue(parent) if parent is not None else None


_FIELD_GETTERS: dict[str, Callable[[Renderer, Issue], Any]] = {
    "summary": lambda r, i: i.summary,
    "description": lambda r, i: r.description(i.description),
    "issuetype": lambda r, i: r.issuetype(r.site.issue_types[i.issuetype_id]),
    "status": lambda r, i: r.status(r.site.statuses[i.status_id]),
    "priority": lambda r, i: r.priority(i.priority_id),
    "project": lambda r, i: r.project_ref(r.site.projects[i.project_id]),
    "assignee": lambda r, i: r.user_ref(i.assignee),
    "reporter": lambda r, i: r.user_ref(i.reporter),
    "creator": lambda r, i: r.user_ref(i.reporter),
    "created": lambda r, i: jira_time(i.created),
    "updated": lambda r, i: jira_time(i.updated),
    "resolution": _resolution,
    "resolutiondate": lambda r, i: (
        jira_time(i.resolution_date) if i.resolution_date else None
    ),
    "duedate": lambda r, i: i.due_date.isoformat() if i.due_date else None,
    "labels": lambda r, i: list(i.labels),
    "fixVersions": _fix_versions,
    "parent": _parent,
    "subtasks": lambda r, i: [
        r.compact_issue(c)
        for c in r.site.children_of(i.id)
        if r.site.issue_types[c.issuetype_id].subtask
    ],
    "issuelinks": lambda r, i: [r.issue_link(lk, i.id) for lk in r.site.links_of(i.id)],
    "timetracking": lambda r, i: r.timetracking(i),
    "timeoriginalestimate": lambda r, i: i.original_estimate_s,
    "timeestimate": lambda r, i: i.remaining_estimate_s,
    "timespent": lambda r, i: i.time_spent_s,
    STORY_POINTS: lambda r, i: i.story_points,
    TEAM: _team,
    RANK: lambda r, i: i.rank,
}


class FieldSelectionError(ValueError):
    pass


def select_fields(requested: Iterable[str] | None, *, default: list[str]) -> list[str]:
    """Resolve a `fields` parameter (`*all`, `*navigable`, `-field`, ids) to field ids.

    Unknown field ids are ignored, as Jira ignores them.
    """
    items: list[str] = []
    for entry in requested or []:
        items.extend(part.strip() for part in entry.split(",") if part.strip())
    if not items:
        items = list(default)
    chosen: list[str] = []
    removed: set[str] = set()
    for item in items:
        if item == "*all":
            chosen.extend(ALL_FIELD_IDS)
        elif item == "*navigable":
            chosen.extend(NAVIGABLE_FIELD_IDS)
        elif item.startswith("-"):
            removed.add(item[1:])
        elif item in FIELDS_BY_ID and item not in NON_FIELD_IDS:
            chosen.append(item)
    seen: set[str] = set()
    out = []
    for f in chosen:
        if f not in seen and f not in removed:
            seen.add(f)
            out.append(f)
    return out


def requested_only_ids(requested: Iterable[str] | None) -> bool:
    """True when a search asks for nothing beyond id/key (Jira then allows 5000 a page)."""
    items: list[str] = []
    for entry in requested or []:
        items.extend(part.strip() for part in entry.split(",") if part.strip())
    return all(item in {"id", "key", "issuekey"} for item in items)
