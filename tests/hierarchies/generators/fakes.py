"""An in-memory JiraSource for the engine's unit tests: plain data, no mocks."""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field

from hierarchies.generators.engine import GeneratorInputError
from hierarchies.generators.types import (
    EffectiveForest,
    FieldValue,
    IssueData,
    IssueLink,
)

BLOCKS = 10000
RELATES = 10003

TODO = FieldValue("1", "To Do", (0, "To Do"))
IN_PROGRESS = FieldValue("3", "In Progress", (1, "In Progress"))
REVIEW = FieldValue("4", "In Review", (1, "In Review"))
DONE = FieldValue("5", "Done", (2, "Done"))
HIGHEST = FieldValue("1", "Highest", (1,))
HIGH = FieldValue("2", "High", (2,))
MEDIUM = FieldValue("3", "Medium", (3,))
LOW = FieldValue("4", "Low", (4,))


def label(text: str) -> FieldValue:
    return FieldValue(text, text, (text,))


def issue(
    issue_id: int,
    *,
    parent: int | None = None,
    subtasks: Sequence[int] = (),
    blocks: Sequence[int] = (),
    blocked_by: Sequence[int] = (),
    status: FieldValue | None = None,
    priority: FieldValue | None = None,
    labels: Sequence[str] = (),
    rank: str = "",
    points: float | None = None,
) -> IssueData:
    links = tuple(IssueLink(BLOCKS, "outward", i) for i in blocks) + tuple(
        IssueLink(BLOCKS, "inward", i) for i in blocked_by
    )
    fields: dict[str, tuple[FieldValue, ...]] = {
        "status": (status,) if status else (),
        "priority": (priority,) if priority else (),
        "labels": tuple(label(t) for t in labels),
    }
    if points is not None:
        fields["customfield_10016"] = (FieldValue(str(points), str(points), (points,)),)
    return IssueData(
        id=issue_id,
        parent_id=parent,
        subtask_ids=tuple(subtasks),
        links=links,
        rank=rank or f"0|i{issue_id:05d}:",
        fields=fields,
    )


@dataclass
class FakeJira:
    data: dict[int, IssueData]
    queries: dict[str, list[int]] = field(default_factory=dict)
    calls: list[str] = field(default_factory=list)
    on_call: Callable[[], None] | None = None

    def _call(self, name: str) -> None:
        self.calls.append(name)
        if self.on_call is not None:
            self.on_call()

    def _query(self, jql: str) -> list[int]:
        if jql not in self.queries:
            raise GeneratorInputError(f"Error in the JQL Query: {jql!r} is not known.")
        return list(self.queries[jql])

    def search_ids(self, jql: str) -> list[int]:
        self._call("search")
        return self._query(jql)

    def match_ids(self, jql: str, ids: Collection[int]) -> set[int]:
        self._call("match")
        return set(self._query(jql)) & set(ids)

    def child_ids(self, parent_ids: Collection[int]) -> dict[int, list[int]]:
        self._call("children")
        wanted = set(parent_ids)
        out: dict[int, list[int]] = {}
        for issue_data in sorted(self.data.values(), key=lambda d: d.rank):
            if issue_data.parent_id in wanted:
                out.setdefault(issue_data.parent_id, []).append(issue_data.id)
        return out

    def issues(
        self, ids: Collection[int], fields: Sequence[str]
    ) -> dict[int, IssueData]:
        self._call("issues")
        return {i: self.data[i] for i in ids if i in self.data}


def render(forest: EffectiveForest) -> str:
    """The forest as an indented outline: `*` marks generated rows."""
    lines = []
    for row in forest.rows:
        if row.item_type == "issue":
            text = str(row.item_id)
        elif row.item_type == "group":
            text = f"[{row.label}]"
        else:
            text = f"{row.item_type}/{row.item_id}"
        lines.append("  " * row.depth + text + (" *" if row.generated else ""))
    return "\n".join(lines)
