"""Plain data the generator engine takes and returns.

The engine is pure: it reads static rows, generator configurations and a `JiraSource`
(anything that answers the few Jira questions generators ask) and returns an effective
forest. No ORM, no cache, no HTTP here: the adapter in `jira_source.py` and the glue in
`selectors.py` bring those.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

ItemType = Literal["issue", "folder", "generator", "group"]
LinkDirection = Literal["outward", "inward"]

# The kinds of issue 7, exactly; the stage is the part before the dot.
GENERATOR_KINDS: tuple[str, ...] = (
    "insert.jql",
    "insert.text",
    "insert.children",
    "extend.links",
    "extend.subtasks",
    "extend.children",
    "filter.jql",
    "filter.duplicates",
    "group.field",
    "sort.field",
    "sort.rank",
)
STAGES: tuple[str, ...] = ("insert", "extend", "filter", "group", "sort")

DEFAULT_EXTEND_LEVELS = 10
MAX_LEVELS = 50  # the forest's own depth limit
DEFAULT_TIME_LIMIT_S = 30.0
DEFAULT_ROW_LIMIT = 200_000

SortValue = int | float | str


@dataclass(frozen=True, slots=True)
class StaticRow:
    """One stored forest row, in pre-order."""

    row_id: int
    depth: int
    item_type: str  # "issue" | "folder" | "generator" (any other type is kept as is)
    item_id: int


@dataclass(frozen=True, slots=True)
class GeneratorSpec:
    """A stored generator configuration; its row is the static row of item
    `{"type": "generator", "id": id}`."""

    id: int
    kind: str
    config: Mapping[str, Any]

    @property
    def stage(self) -> str:
        return self.kind.split(".", 1)[0]


@dataclass(frozen=True, slots=True)
class FieldValue:
    """One value of an issue field, normalised for grouping and sorting.

    `key` identifies the value (status id, accountId, label text); `label` is what a
    group row shows; `order` sorts values the way a user expects (status by category
    then name, priority by Jira's order, text case-insensitively).
    """

    key: str
    label: str
    order: tuple[SortValue, ...]


@dataclass(frozen=True, slots=True)
class IssueLink:
    type_id: int
    direction: LinkDirection  # as seen from the issue holding the link
    issue_id: int  # the other issue


@dataclass(frozen=True, slots=True)
class IssueData:
    id: int
    parent_id: int | None = None
    subtask_ids: tuple[int, ...] = ()
    links: tuple[IssueLink, ...] = ()
    rank: str = ""
    # field id -> values (empty tuple: no value); single-value fields have one value.
    fields: Mapping[str, tuple[FieldValue, ...]] = field(default_factory=dict)


class JiraSource(Protocol):
    """What generators ask Jira, answered with the app's rights. Implementations batch."""

    def search_ids(self, jql: str) -> list[int]:
        """Issue IDs matching `jql`, in the query's order."""
        ...

    def match_ids(self, jql: str, ids: Collection[int]) -> set[int]:
        """The subset of `ids` that match `jql`."""
        ...

    def child_ids(self, parent_ids: Collection[int]) -> dict[int, list[int]]:
        """Children by the Parent field (epic -> story -> sub-task), in rank order."""
        ...

    def issues(
        self, ids: Collection[int], fields: Sequence[str]
    ) -> dict[int, IssueData]:
        """Issue data for `ids`; IDs Jira does not return are simply missing."""
        ...


@dataclass(frozen=True, slots=True)
class MoveRule:
    """A manual move of a generated issue row, relative to the generated content.

    `under` and `after` are item references: ``""`` (top level / first place),
    ``row:<static row id>``, ``issue:<issue id>`` (generated), ``group:<group key>``.
    """

    issue_id: int
    under: str = ""
    after: str = ""


@dataclass(frozen=True, slots=True)
class EffectiveRow:
    row_id: int
    depth: int
    item_type: str
    item_id: int | str
    generated: bool
    label: str | None = None  # group rows only


@dataclass(slots=True)
class GeneratorReport:
    id: int
    kind: str
    seconds: float = 0.0
    rows: int = 0  # rows added (insert, extend, group) or removed (filter)
    error: str | None = None


@dataclass(slots=True)
class GenerationReport:
    generators: list[GeneratorReport]
    seconds: float = 0.0
    rows: int = 0
    stop_reason: Literal["time_limit", "row_limit"] | None = None
    message: str | None = None

    @property
    def complete(self) -> bool:
        return self.stop_reason is None


@dataclass(frozen=True, slots=True)
class EffectiveForest:
    rows: list[EffectiveRow]
    report: GenerationReport


@dataclass(frozen=True, slots=True)
class Progress:
    stage: str
    generator_id: int | None
    rows: int
    seconds: float


ProgressCallback = Callable[[Progress], None]
