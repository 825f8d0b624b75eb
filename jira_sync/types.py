"""Typed results of Jira reads: what `JiraClient` returns and the selectors hand out.

Plain frozen dataclasses built from Jira's JSON. The cache stores the JSON-like
`to_cache()` form (dicts and lists), never pickled classes, so a code change cannot
make old cache entries unreadable; bump the key version when the payload shape changes.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


def _int_or_none(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


@dataclass(frozen=True)
class JiraIssue:
    """One issue with the fields that were asked for (Jira's JSON for each field).

    `fetched` names every field that was requested, so a field Jira left out (empty)
    is known to be empty rather than unknown.
    """

    id: int
    key: str
    fields: Mapping[str, Any]
    fetched: frozenset[str] = frozenset()

    @classmethod
    def from_json(cls, data: Mapping[str, Any], fetched: frozenset[str]) -> "JiraIssue":
        return cls(
            id=int(data["id"]),
            key=str(data.get("key") or ""),
            fields=dict(data.get("fields") or {}),
            fetched=fetched,
        )

    @classmethod
    def from_cache(cls, data: Mapping[str, Any]) -> "JiraIssue":
        return cls(
            id=int(data["id"]),
            key=str(data["key"]),
            fields=dict(data["fields"]),
            fetched=frozenset(data["fetched"]),
        )

    def to_cache(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "key": self.key,
            "fields": dict(self.fields),
            "fetched": sorted(self.fetched),
        }

    def covers(self, fields: frozenset[str]) -> bool:
        """Were all of `fields` fetched for this entry?"""
        return fields <= self.fetched

    @property
    def summary(self) -> str:
        return str(self.fields.get("summary") or "")

    @property
    def project_id(self) -> int | None:
        project = self.fields.get("project")
        return _int_or_none(project.get("id")) if isinstance(project, dict) else None

    @property
    def parent_id(self) -> int | None:
        parent = self.fields.get("parent")
        return _int_or_none(parent.get("id")) if isinstance(parent, dict) else None


@dataclass(frozen=True)
class JiraField:
    """A field of the site (`GET /rest/api/3/field`)."""

    id: str
    name: str
    custom: bool
    schema_type: str = ""
    clause_names: tuple[str, ...] = ()

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> "JiraField":
        schema = data.get("schema") or {}
        return cls(
            id=str(data["id"]),
            name=str(data.get("name") or data["id"]),
            custom=bool(data.get("custom", False)),
            schema_type=str(schema.get("type") or ""),
            clause_names=tuple(str(c) for c in data.get("clauseNames") or ()),
        )

    def to_cache(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "custom": self.custom,
            "schema": {"type": self.schema_type},
            "clauseNames": list(self.clause_names),
        }


@dataclass(frozen=True)
class JiraLinkType:
    """An issue link type (`GET /rest/api/3/issueLinkType`)."""

    id: int
    name: str
    inward: str
    outward: str

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> "JiraLinkType":
        return cls(
            id=int(data["id"]),
            name=str(data.get("name") or ""),
            inward=str(data.get("inward") or ""),
            outward=str(data.get("outward") or ""),
        )

    def to_cache(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "inward": self.inward,
            "outward": self.outward,
        }


@dataclass(frozen=True)
class JiraGroup:
    """A group a user belongs to (`GET /rest/api/3/user/groups`)."""

    name: str
    group_id: str = ""


@dataclass(frozen=True)
class JiraProject:
    """A project's identifiers (`POST /rest/api/3/permissions/project`)."""

    id: int
    key: str


@dataclass(frozen=True)
class JiraRoleActors:
    """Who holds one project role in one project: accountIds and group names."""

    project_id: int
    role_id: int
    account_ids: frozenset[str] = frozenset()
    group_names: frozenset[str] = frozenset()
    group_ids: frozenset[str] = frozenset()
    role_name: str = ""  # for people: "Developers"
    project_key: str = ""

    def to_cache(self) -> list[Any]:
        return [
            self.project_id,
            self.role_id,
            sorted(self.account_ids),
            sorted(self.group_names),
            sorted(self.group_ids),
            self.role_name,
            self.project_key,
        ]

    @classmethod
    def from_cache(cls, data: list[Any]) -> "JiraRoleActors":
        project_id, role_id, accounts, names, ids = data[:5]
        role_name, project_key = [*data[5:7], "", ""][:2]  # older entries lack them
        return cls(
            project_id=int(project_id),
            role_id=int(role_id),
            account_ids=frozenset(accounts),
            group_names=frozenset(names),
            group_ids=frozenset(ids),
            role_name=str(role_name),
            project_key=str(project_key),
        )


@dataclass(frozen=True)
class JiraUser:
    """A user (`GET /rest/api/3/myself`)."""

    account_id: str
    account_type: str
    display_name: str
    active: bool


@dataclass(frozen=True)
class JqlParseResult:
    """One query of `POST /rest/api/3/jql/parse`: its errors, empty when valid."""

    query: str
    errors: tuple[str, ...] = ()
    structure: Mapping[str, Any] = field(default_factory=dict)

    @property
    def valid(self) -> bool:
        return not self.errors


@dataclass(frozen=True)
class UserMemberships:
    """What structure permission rules match on: a user's groups and project roles.

    `groups` holds group names; `project_roles` holds (projectId, roleId) pairs the
    user is an actor of, directly or through one of their groups.
    """

    groups: frozenset[str]
    project_roles: frozenset[tuple[int, int]]
