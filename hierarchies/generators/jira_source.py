"""The engine's `JiraSource` over `jira_sync.selectors`: cached, bulk, the app's rights.

Every question is asked in bulk: issue data through `issues_get` (cache first, misses
in batches of 100), searches through `issue_ids_search` (cached briefly). A filter asks
"which of these IDs match" as `(jql) AND id in (...)` over chunks of IDs, and children
by the Parent field as `parent in (...)`, so no question is ever asked per issue.
Jira's field JSON is normalised here into `FieldValue`s (group key, label, order).
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Mapping, Sequence
from typing import Any

from hierarchies.generators.engine import RANK_FIELD, GeneratorInputError
from hierarchies.generators.types import FieldValue, IssueData, IssueLink, SortValue
from jira_sync import selectors as jira
from jira_sync.client import JiraBadRequest
from jira_sync.models import Tenant
from jira_sync.types import JiraIssue

IDS_PER_QUERY = 1000
DEFAULT_RANK_FIELD_ID = "customfield_10019"
STATUS_CATEGORY_ORDER = {"new": 0, "indeterminate": 1, "done": 2}


def _chunks(ids: Sequence[int], size: int) -> Iterator[Sequence[int]]:
    for start in range(0, len(ids), size):
        yield ids[start : start + size]


class JiraSyncSource:
    """Answers the engine's questions for one tenant, with the app's rights."""

    def __init__(self, *, tenant: Tenant) -> None:
        self.tenant = tenant
        self._rank_field_id: str | None = None

    # -- searches ----------------------------------------------------------------

    def _search(self, jql: str) -> list[int]:
        try:
            return jira.issue_ids_search(tenant=self.tenant, jql=jql)
        except JiraBadRequest as exc:
            raise GeneratorInputError("; ".join(exc.messages) or str(exc)) from exc

    def search_ids(self, jql: str) -> list[int]:
        return self._search(jql)

    def match_ids(self, jql: str, ids: Collection[int]) -> set[int]:
        matched: set[int] = set()
        for chunk in _chunks(sorted(ids), IDS_PER_QUERY):
            listed = ", ".join(str(i) for i in chunk)
            matched.update(self._search(f"({jql}) AND id in ({listed})"))
        return matched

    def child_ids(self, parent_ids: Collection[int]) -> dict[int, list[int]]:
        found: list[int] = []
        for chunk in _chunks(sorted(parent_ids), IDS_PER_QUERY):
            listed = ", ".join(str(i) for i in chunk)
            found += self._search(f"parent in ({listed}) ORDER BY Rank ASC")
        if not found:
            return {}
        parents = jira.issues_get(
            tenant=self.tenant, issue_ids=found, fields=["parent"]
        )
        out: dict[int, list[int]] = {}
        for issue_id in found:
            issue = parents.get(issue_id)
            if issue is not None and issue.parent_id is not None:
                out.setdefault(issue.parent_id, []).append(issue_id)
        return out

    # -- issue data --------------------------------------------------------------

    def rank_field_id(self) -> str:
        if self._rank_field_id is None:
            self._rank_field_id = next(
                (
                    f.id
                    for f in jira.fields_get(tenant=self.tenant)
                    if f.custom and f.name.lower() == "rank"
                ),
                DEFAULT_RANK_FIELD_ID,
            )
        return self._rank_field_id

    def issues(
        self, ids: Collection[int], fields: Sequence[str]
    ) -> dict[int, IssueData]:
        # Read through compact projections (only what generators use, as plain
        # tuples): a warm regeneration reads every issue of the forest again, and
        # the full JSON costs several times more to load and normalise.
        rank_id = self.rank_field_id() if RANK_FIELD in fields else None
        wanted = sorted(
            {(rank_id or "") if f == RANK_FIELD else f for f in fields} - {""}
        )
        compact = jira.issues_projected_get(
            tenant=self.tenant,
            issue_ids=ids,
            fields=wanted,
            projection=COMPACT_FORMAT,
            project=compact_issue,
        )
        decode = _CompactDecoder(fields, rank_id)
        return {i: decode(i, data) for i, data in compact.items()}


# ---- compact projections ---------------------------------------------------------------

COMPACT_FORMAT = "gen1"  # change when compact_issue's output changes
_STRUCTURAL = frozenset({"issuelinks", "subtasks", "parent"})

# (parent id | None, sub-task ids, links as (type id, direction, other id),
#  ((field id, ((key, label, order), ...)), ...)) -- IDs and field values only.
CompactIssue = tuple[
    int | None,
    tuple[int, ...],
    tuple[tuple[int, str, int], ...],
    tuple[tuple[str, tuple[tuple[str, str, tuple[SortValue, ...]], ...]], ...],
]


def compact_issue(issue: JiraIssue, fields: Sequence[str]) -> CompactIssue:
    """What generators need of an issue, as plain tuples (cached by jira_sync)."""
    data = issue_data_from_fields(issue.id, issue.fields, fields=fields)
    return (
        data.parent_id,
        data.subtask_ids,
        tuple((link.type_id, link.direction, link.issue_id) for link in data.links),
        tuple(
            (f, tuple((v.key, v.label, v.order) for v in values))
            for f, values in data.fields.items()
        ),
    )


class _CompactDecoder:
    """CompactIssue -> IssueData; equal values, links and field maps are built once
    per call (most issues share their few field values: status, priority, ...)."""

    def __init__(self, fields: Sequence[str], rank_field_id: str | None) -> None:
        self.fields = [f for f in fields if f != RANK_FIELD and f not in _STRUCTURAL]
        self.rank_field_id = rank_field_id
        self.values: dict[Any, tuple[FieldValue, ...]] = {}
        self.links: dict[tuple[int, str, int], IssueLink] = {}
        # raw field values -> (rank, field map); the map is shared, never mutated.
        self.maps: dict[Any, tuple[str, Mapping[str, tuple[FieldValue, ...]]]] = {}

    def _values(self, raw: Any) -> tuple[FieldValue, ...]:
        found = self.values.get(raw)
        if found is None:
            found = self.values[raw] = tuple(FieldValue(*v) for v in raw)
        return found

    def _link(self, raw: tuple[int, str, int]) -> IssueLink:
        found = self.links.get(raw)
        if found is None:
            found = self.links[raw] = IssueLink(*raw)  # type: ignore[arg-type]
        return found

    def _map(self, raw_values: Any) -> tuple[str, Mapping[str, tuple[FieldValue, ...]]]:
        by_field = dict(raw_values)
        rank = ""
        if self.rank_field_id is not None:
            ranked = by_field.get(self.rank_field_id)
            rank = ranked[0][0] if ranked else ""
        return rank, {f: self._values(by_field.get(f, ())) for f in self.fields}

    def __call__(self, issue_id: int, data: CompactIssue) -> IssueData:
        parent_id, subtasks, links, raw_values = data
        found = self.maps.get(raw_values)
        if found is None:
            found = self.maps[raw_values] = self._map(raw_values)
        return IssueData(
            id=issue_id,
            parent_id=parent_id,
            subtask_ids=subtasks,
            links=tuple(self._link(link) for link in links) if links else (),
            rank=found[0],
            fields=found[1],
        )


# ---- normalising Jira's field JSON ----------------------------------------------------


def issue_data_from_fields(
    issue_id: int,
    raw: Mapping[str, Any],
    *,
    fields: Sequence[str],
    rank_field_id: str | None = None,
) -> IssueData:
    """IssueData from the `fields` object of Jira's issue JSON."""
    parent = raw.get("parent")
    parent_id = _int(parent.get("id")) if isinstance(parent, dict) else None
    subtasks = tuple(
        i for i in (_int(s.get("id")) for s in raw.get("subtasks") or ()) if i
    )
    links: list[IssueLink] = []
    for link in raw.get("issuelinks") or ():
        type_id = _int((link.get("type") or {}).get("id"))
        if type_id is None:
            continue
        for side, direction in (("outwardIssue", "outward"), ("inwardIssue", "inward")):
            other = link.get(side)
            other_id = _int(other.get("id")) if isinstance(other, dict) else None
            if other_id is not None:
                links.append(IssueLink(type_id, direction, other_id))  # type: ignore[arg-type]
    rank = raw.get(rank_field_id) if rank_field_id else None
    values = {
        f: field_values(f, raw.get(f))
        for f in fields
        if f not in (RANK_FIELD, "issuelinks", "subtasks", "parent")
    }
    return IssueData(
        id=issue_id,
        parent_id=parent_id,
        subtask_ids=subtasks,
        links=tuple(links),
        rank=rank if isinstance(rank, str) else "",
        fields=values,
    )


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _name(value: Mapping[str, Any]) -> str:
    for key in ("name", "displayName", "value", "key"):
        if isinstance(value.get(key), str):
            return str(value[key])
    return str(value.get("id", ""))


def field_values(field_id: str, value: Any) -> tuple[FieldValue, ...]:
    """Jira's JSON of one field as group/sort values (empty: no value)."""
    if value is None or value == "" or value == []:
        return ()
    if isinstance(value, list):
        out: list[FieldValue] = []
        for v in value:
            out += field_values(field_id, v)
        return tuple(dict.fromkeys(out))
    if isinstance(value, bool):
        return (
            FieldValue(str(value).lower(), "Yes" if value else "No", (int(value),)),
        )
    if isinstance(value, int | float):
        return (FieldValue(str(value), f"{value:g}", (value,)),)
    if isinstance(value, str):
        return (FieldValue(value, value, (value,)),)
    if not isinstance(value, dict):
        return (FieldValue(str(value), str(value), (str(value),)),)
    label = _name(value)
    key = str(value.get("accountId") or value.get("id") or label)
    order: tuple[SortValue, ...]
    if field_id == "status":
        category = (value.get("statusCategory") or {}).get("key", "")
        order = (STATUS_CATEGORY_ORDER.get(category, 1), label)
    elif field_id == "priority":
        # Jira's default priorities have IDs in their order (1 Highest .. 5 Lowest).
        number = _int(value.get("id"))
        order = (number if number is not None else 1_000_000, label)
    elif field_id == "issuetype":
        level = _int(value.get("hierarchyLevel"))
        order = (-(level if level is not None else 0), label)
    else:
        order = (label,)
    return (FieldValue(key, label, order),)
