"""The simulated site's data: projects, users, permissions, issues and links.

Everything is plain dataclasses held by one `Site`; the REST layer renders them in
Jira's JSON shapes. Numeric ids are ints here and strings on the wire, as in Jira.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass, field

# Project permissions the simulator knows, with Jira's ids, names and types.
PERMISSIONS: dict[str, tuple[str, str, str]] = {
    "ADMINISTER": ("0", "Administer Jira", "GLOBAL"),
    "USER_PICKER": ("27", "Browse users and groups", "GLOBAL"),
    "BROWSE_PROJECTS": ("10", "Browse Projects", "PROJECT"),
    "CREATE_ISSUES": ("11", "Create Issues", "PROJECT"),
    "EDIT_ISSUES": ("12", "Edit Issues", "PROJECT"),
    "ASSIGN_ISSUES": ("13", "Assign Issues", "PROJECT"),
    "RESOLVE_ISSUES": ("14", "Resolve Issues", "PROJECT"),
    "ADD_COMMENTS": ("15", "Add Comments", "PROJECT"),
    "DELETE_ISSUES": ("16", "Delete Issues", "PROJECT"),
    "LINK_ISSUES": ("21", "Link Issues", "PROJECT"),
    "ADMINISTER_PROJECTS": ("23", "Administer Projects", "PROJECT"),
    "SCHEDULE_ISSUES": ("28", "Schedule Issues", "PROJECT"),
    "TRANSITION_ISSUES": ("46", "Transition Issues", "PROJECT"),
}
GLOBAL_PERMISSIONS = frozenset(k for k, v in PERMISSIONS.items() if v[2] == "GLOBAL")
PROJECT_PERMISSIONS = frozenset(k for k, v in PERMISSIONS.items() if v[2] == "PROJECT")

ROLE_ADMINISTRATORS = 10002
ROLE_DEVELOPERS = 10001
ROLE_VIEWERS = 10000
ROLE_ADDONS = (
    10003  # "atlassian-addons-project-access": every Connect app's user holds it
)

# Which role grants which project permission (the default permission scheme).
ROLE_PERMISSIONS: dict[int, frozenset[str]] = {
    ROLE_ADMINISTRATORS: PROJECT_PERMISSIONS,
    ROLE_ADDONS: PROJECT_PERMISSIONS,
    ROLE_DEVELOPERS: frozenset(
        {
            "BROWSE_PROJECTS",
            "CREATE_ISSUES",
            "EDIT_ISSUES",
            "ASSIGN_ISSUES",
            "RESOLVE_ISSUES",
            "ADD_COMMENTS",
            "LINK_ISSUES",
            "SCHEDULE_ISSUES",
            "TRANSITION_ISSUES",
        }
    ),
    ROLE_VIEWERS: frozenset({"BROWSE_PROJECTS", "ADD_COMMENTS"}),
}
ROLE_NAMES = {
    ROLE_ADMINISTRATORS: ("Administrators", "Project administrators"),
    ROLE_DEVELOPERS: ("Developers", "People who work on the project's issues"),
    ROLE_VIEWERS: ("Viewers", "People who can see the project's issues"),
    ROLE_ADDONS: (
        "atlassian-addons-project-access",
        "A project role that represents Connect add-ons declaring access to a project.",
    ),
}


@dataclass(slots=True)
class User:
    account_id: str
    display_name: str
    email: str | None = None
    account_type: str = "atlassian"  # "app" for a Connect app's user
    active: bool = True
    time_zone: str = "Europe/Berlin"
    groups: list[str] = field(default_factory=list)  # group ids


@dataclass(slots=True)
class Group:
    group_id: str
    name: str


@dataclass(slots=True)
class RoleActors:
    """Members of one project role in one project."""

    users: list[str] = field(default_factory=list)  # accountIds
    groups: list[str] = field(default_factory=list)  # group ids


@dataclass(slots=True)
class SecurityLevel:
    id: int
    name: str
    description: str
    roles: list[int] = field(default_factory=list)
    groups: list[str] = field(default_factory=list)
    users: list[str] = field(default_factory=list)
    reporter: bool = False


@dataclass(slots=True)
class Version:
    id: int
    name: str
    released: bool = False
    release_date: str | None = None


@dataclass(slots=True)
class Project:
    id: int
    key: str
    name: str
    lead: str  # accountId
    roles: dict[int, RoleActors] = field(default_factory=dict)
    # Extra browse grants straight to groups, besides the role-based scheme.
    browse_groups: list[str] = field(default_factory=list)
    security_levels: list[SecurityLevel] = field(default_factory=list)
    versions: list[Version] = field(default_factory=list)
    project_type: str = "software"


@dataclass(slots=True, frozen=True)
class IssueType:
    id: int
    name: str
    hierarchy_level: int  # 1 epic, 0 standard, -1 sub-task
    description: str = ""

    @property
    def subtask(self) -> bool:
        return self.hierarchy_level < 0


@dataclass(slots=True, frozen=True)
class StatusCategory:
    id: int
    key: str
    name: str
    color: str


STATUS_CATEGORIES = {
    "new": StatusCategory(2, "new", "To Do", "blue-gray"),
    "indeterminate": StatusCategory(4, "indeterminate", "In Progress", "yellow"),
    "done": StatusCategory(3, "done", "Done", "green"),
}


@dataclass(slots=True, frozen=True)
class Status:
    id: int
    name: str
    category: StatusCategory


@dataclass(slots=True, frozen=True)
class Priority:
    id: int
    name: str


@dataclass(slots=True, frozen=True)
class Resolution:
    id: int
    name: str


@dataclass(slots=True, frozen=True)
class LinkType:
    id: int
    name: str
    inward: str
    outward: str


@dataclass(slots=True, frozen=True)
class Team:
    id: str
    name: str


@dataclass(slots=True)
class Issue:
    id: int
    key: str
    project_id: int
    issuetype_id: int
    summary: str
    status_id: int
    priority_id: int
    reporter: str
    created: dt.datetime
    updated: dt.datetime
    rank: str
    assignee: str | None = None
    description: str | None = None
    resolution_id: int | None = None
    resolution_date: dt.datetime | None = None
    parent_id: int | None = None
    labels: list[str] = field(default_factory=list)
    fix_version_ids: list[int] = field(default_factory=list)
    story_points: float | None = None
    team_id: str | None = None
    original_estimate_s: int | None = None
    remaining_estimate_s: int | None = None
    time_spent_s: int | None = None
    security_level_id: int | None = None
    due_date: dt.date | None = None


@dataclass(slots=True)
class IssueLink:
    id: int
    type_id: int
    outward_id: int  # the issue that "blocks"/"duplicates"/... (source)
    inward_id: int  # the issue that "is blocked by"/... (destination)


@dataclass
class Site:
    """One Jira Cloud site: the dataset plus its indexes."""

    name: str
    title: str
    cloud_id: str
    users: dict[str, User]
    groups: dict[str, Group]
    projects: dict[int, Project]
    issue_types: dict[int, IssueType]
    statuses: dict[int, Status]
    priorities: dict[int, Priority]
    resolutions: dict[int, Resolution]
    link_types: dict[int, LinkType]
    teams: dict[str, Team]
    admin_groups: list[str]  # groups holding the global ADMINISTER permission
    issues: dict[int, Issue] = field(default_factory=dict)
    links: dict[int, IssueLink] = field(default_factory=dict)
    next_issue_id: int = 10000
    next_link_id: int = 10000
    project_counters: dict[int, int] = field(default_factory=dict)
    version: int = 0  # bumped on every data change; search caches key on it
    _by_key: dict[str, int] = field(default_factory=dict)
    _children: dict[int, list[int]] = field(default_factory=dict)
    _links_of: dict[int, list[int]] = field(default_factory=dict)
    _project_by_key: dict[str, int] = field(default_factory=dict)

    # ---- indexes -------------------------------------------------------------

    def reindex(self) -> None:
        self._by_key = {i.key: i.id for i in self.issues.values()}
        self._children = {}
        for issue in self.issues.values():
            if issue.parent_id is not None:
                self._children.setdefault(issue.parent_id, []).append(issue.id)
        self._links_of = {}
        for link in self.links.values():
            self._links_of.setdefault(link.outward_id, []).append(link.id)
            self._links_of.setdefault(link.inward_id, []).append(link.id)
        self._project_by_key = {p.key.upper(): p.id for p in self.projects.values()}
        self.version += 1

    def project_by_key(self, key: str) -> Project | None:
        pid = self._project_by_key.get(key.upper())
        return self.projects.get(pid) if pid is not None else None

    def project_lookup(self, id_or_key: str) -> Project | None:
        if id_or_key.isdigit():
            return self.projects.get(int(id_or_key))
        return self.project_by_key(id_or_key)

    def issue_lookup(self, id_or_key: str) -> Issue | None:
        if id_or_key.isdigit():
            return self.issues.get(int(id_or_key))
        issue_id = self._by_key.get(id_or_key.upper())
        return self.issues.get(issue_id) if issue_id is not None else None

    def children_of(self, issue_id: int) -> list[Issue]:
        return [self.issues[c] for c in self._children.get(issue_id, [])]

    def links_of(self, issue_id: int) -> list[IssueLink]:
        return [self.links[lid] for lid in self._links_of.get(issue_id, [])]

    def status_by_name(self, name: str) -> Status | None:
        return next(
            (s for s in self.statuses.values() if s.name.lower() == name.lower()), None
        )

    def link_type_lookup(self, name_or_id: str) -> LinkType | None:
        for lt in self.link_types.values():
            if str(lt.id) == name_or_id or lt.name.lower() == name_or_id.lower():
                return lt
        return None

    def version_by_id(self, version_id: int) -> Version | None:
        for project in self.projects.values():
            for version in project.versions:
                if version.id == version_id:
                    return version
        return None

    # ---- permissions ---------------------------------------------------------

    def user_groups(self, account_id: str) -> list[Group]:
        user = self.users.get(account_id)
        if user is None:
            return []
        return [self.groups[g] for g in user.groups if g in self.groups]

    def user_roles(self, account_id: str, project: Project) -> set[int]:
        user = self.users.get(account_id)
        if user is None:
            return set()
        if user.account_type == "app":
            return {ROLE_ADDONS}
        groups = set(user.groups)
        return {
            role_id
            for role_id, actors in project.roles.items()
            if account_id in actors.users or groups.intersection(actors.groups)
        }

    def is_admin(self, account_id: str) -> bool:
        user = self.users.get(account_id)
        return user is not None and bool(set(user.groups) & set(self.admin_groups))

    def global_permissions(self, account_id: str) -> set[str]:
        user = self.users.get(account_id)
        if user is None or not user.active:
            return set()
        perms = {"USER_PICKER"} if user.groups or user.account_type == "app" else set()
        if self.is_admin(account_id):
            perms.add("ADMINISTER")
        return perms

    def project_permissions(self, account_id: str, project: Project) -> set[str]:
        user = self.users.get(account_id)
        if user is None or not user.active:
            return set()
        perms: set[str] = set()
        for role_id in self.user_roles(account_id, project):
            perms |= ROLE_PERMISSIONS.get(role_id, frozenset())
        if set(user.groups) & set(project.browse_groups):
            perms.add("BROWSE_PROJECTS")
        return perms

    def can_browse_project(self, account_id: str, project: Project) -> bool:
        return "BROWSE_PROJECTS" in self.project_permissions(account_id, project)

    def can_see_security_level(self, account_id: str, issue: Issue) -> bool:
        if issue.security_level_id is None:
            return True
        project = self.projects[issue.project_id]
        level = next(
            (lv for lv in project.security_levels if lv.id == issue.security_level_id),
            None,
        )
        if level is None:
            return True
        user = self.users.get(account_id)
        if user is None:
            return False
        if account_id in level.users or set(user.groups) & set(level.groups):
            return True
        if level.reporter and issue.reporter == account_id:
            return True
        return bool(self.user_roles(account_id, project) & set(level.roles))

    def issue_permissions(self, account_id: str, issue: Issue) -> set[str]:
        """Project permissions the user holds on one issue (none if it is hidden)."""
        if not self.can_see_security_level(account_id, issue):
            return set()
        perms = self.project_permissions(account_id, self.projects[issue.project_id])
        return perms if "BROWSE_PROJECTS" in perms else set()

    def browsable_projects(self, account_id: str) -> set[int]:
        return {
            p.id
            for p in self.projects.values()
            if self.can_browse_project(account_id, p)
        }

    def can_browse(self, account_id: str, issue: Issue) -> bool:
        project = self.projects[issue.project_id]
        return self.can_browse_project(
            account_id, project
        ) and self.can_see_security_level(account_id, issue)

    def browsable_issues(self, account_id: str) -> Iterator[Issue]:
        projects = self.browsable_projects(account_id)
        level_cache: dict[int, bool] = {}
        for issue in self.issues.values():
            if issue.project_id not in projects:
                continue
            if issue.security_level_id is not None:
                seen = level_cache.get(issue.security_level_id)
                if seen is None or self._level_depends_on_reporter(issue):
                    seen = self.can_see_security_level(account_id, issue)
                    if not self._level_depends_on_reporter(issue):
                        level_cache[issue.security_level_id] = seen
                if not seen:
                    continue
            yield issue

    def _level_depends_on_reporter(self, issue: Issue) -> bool:
        project = self.projects[issue.project_id]
        return any(
            lv.reporter
            for lv in project.security_levels
            if lv.id == issue.security_level_id
        )

    # ---- mutations (the simulator's data-change helpers call these) ------------

    def add_issue(self, issue: Issue) -> None:
        self.issues[issue.id] = issue
        self._by_key[issue.key] = issue.id
        if issue.parent_id is not None:
            self._children.setdefault(issue.parent_id, []).append(issue.id)
        self.next_issue_id = max(self.next_issue_id, issue.id + 1)
        self.version += 1

    def new_issue_key(self, project: Project) -> str:
        number = self.project_counters.get(project.id, 0) + 1
        self.project_counters[project.id] = number
        return f"{project.key}-{number}"

    def remove_issue(self, issue_id: int) -> list[IssueLink]:
        """Delete an issue with its sub-tasks; returns the links that went with them."""
        issue = self.issues.pop(issue_id)
        self._by_key.pop(issue.key, None)
        if issue.parent_id is not None:
            siblings = self._children.get(issue.parent_id, [])
            if issue_id in siblings:
                siblings.remove(issue_id)
        removed: list[IssueLink] = []
        for link in self.links_of(issue_id):
            self.remove_link(link.id)
            removed.append(link)
        for child_id in list(self._children.pop(issue_id, [])):
            child = self.issues.get(child_id)
            if child is None:
                continue
            if self.issue_types[child.issuetype_id].subtask:
                removed.extend(self.remove_issue(child_id))
            else:
                child.parent_id = None
        self.version += 1
        return removed

    def set_parent(self, issue: Issue, parent_id: int | None) -> None:
        if issue.parent_id is not None:
            siblings = self._children.get(issue.parent_id, [])
            if issue.id in siblings:
                siblings.remove(issue.id)
        issue.parent_id = parent_id
        if parent_id is not None:
            self._children.setdefault(parent_id, []).append(issue.id)
        self.version += 1

    def add_link(self, type_id: int, outward_id: int, inward_id: int) -> IssueLink:
        link = IssueLink(self.next_link_id, type_id, outward_id, inward_id)
        self.next_link_id += 1
        self.links[link.id] = link
        self._links_of.setdefault(outward_id, []).append(link.id)
        self._links_of.setdefault(inward_id, []).append(link.id)
        self.version += 1
        return link

    def remove_link(self, link_id: int) -> IssueLink:
        link = self.links.pop(link_id)
        for issue_id in (link.outward_id, link.inward_id):
            ids = self._links_of.get(issue_id, [])
            if link_id in ids:
                ids.remove(link_id)
        self.version += 1
        return link
