"""Composing a board from plain data: the forest, the columns and issue field values.

No database and no Jira here: the selectors hand in the viewer's forest (hidden issues
already removed) and the issue data they fetched, and get back the rows to render.
Totals and progress are computed once over the whole tree (`board_totals`); only the
rows on screen (`rows_visible`) get their display fields and become `RowView`s.
"""

import hashlib
from collections.abc import Container, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from boards.columns import Column
from boards.totals import (
    ForestShape,
    ProgressFacts,
    ProgressMode,
    aggregate_field,
    forest_shape,
    issue_counts,
    leaf_counts,
    progress_own,
    progress_rollup,
)

IssueFields = Mapping[str, Any]

PAGE_ROWS = 200
MAX_PAGE_ROWS = 1000


@dataclass(frozen=True)
class ForestData:
    """The viewer's forest in pre-order, as parallel lists (cheap for 100k rows).

    `labels` names the non-issue rows by row ID (folder names, group values,
    generator descriptions); `generated` flags rows made by generators.
    """

    version: int
    row_ids: Sequence[int]
    depths: Sequence[int]
    item_types: Sequence[str]
    item_ids: Sequence[int]
    generated: Sequence[bool] = ()
    labels: Mapping[int, str] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.row_ids)

    def issue_ids(self) -> list[int | None]:
        return [
            item_id if item_type == "issue" else None
            for item_type, item_id in zip(self.item_types, self.item_ids, strict=True)
        ]


@dataclass(frozen=True)
class ColumnValues:
    """One totals column: a value per row and one for the whole forest."""

    values: list[float | None]
    total: float | None


class RowIndex(Mapping[int, int]):
    """Row ID to row index, built on first use (the first page of a board needs
    none, so a 100,000-row board does not build a 100,000-entry dict for it)."""

    def __init__(self, row_ids: Sequence[int]) -> None:
        self._row_ids = row_ids
        self._index: dict[int, int] | None = None

    def _map(self) -> dict[int, int]:
        if self._index is None:
            self._index = {row_id: i for i, row_id in enumerate(self._row_ids)}
        return self._index

    def __getitem__(self, row_id: int) -> int:
        return self._map()[row_id]

    def __contains__(self, row_id: object) -> bool:
        return row_id in self._map()

    def __iter__(self) -> Iterator[int]:
        return iter(self._map())

    def __len__(self) -> int:
        return len(self._row_ids)


@dataclass(frozen=True)
class BoardTotals:
    shape: ForestShape
    issue_ids: list[int | None]
    columns: dict[int, ColumnValues]
    index_of_row: Mapping[int, int]


def number(value: Any) -> float | None:
    """A Jira field value as a number, or None (text, objects, empty)."""
    kind = type(value)
    if kind is float:
        return value  # type: ignore[no-any-return]
    if kind is int:
        return float(value)
    if value is None or kind is str or kind is dict:
        return None
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    return None


def progress_facts(fields: IssueFields) -> ProgressFacts:
    status = fields.get("status") or {}
    category = (status.get("statusCategory") or {}).get("key")
    return ProgressFacts(
        resolved=bool(fields.get("resolution")),
        status_category=category if isinstance(category, str) else None,
        time_spent=number(fields.get("timespent")),
        time_remaining=number(fields.get("timeestimate")),
    )


def _column_values(
    column: Column,
    shape: ForestShape,
    issue_ids: list[int | None],
    data: Mapping[int, IssueFields],
    distinct: Sequence[int],
) -> ColumnValues:
    if column.kind == "leaves":
        leaves, total_leaves = leaf_counts(shape)
        return ColumnValues([float(v) for v in leaves], float(total_leaves))
    if column.kind == "issues":
        counts, total_count = issue_counts(shape, issue_ids)
        return ColumnValues([float(v) for v in counts], float(total_count))
    if column.kind == "progress":
        mode = ProgressMode(column.mode)
        own: dict[int, float] = {}
        resolved: set[int] = set()
        weights: dict[int, float] | None = {} if column.weight_field else None
        by_resolution = mode is ProgressMode.RESOLUTION
        for issue_id in distinct:
            fields = data[issue_id]
            if by_resolution:
                # progress_own(RESOLUTION, facts) without building the facts.
                is_resolved = bool(fields.get("resolution"))
                own[issue_id] = 1.0 if is_resolved else 0.0
            else:
                facts = progress_facts(fields)
                is_resolved = facts.resolved
                value = progress_own(mode, facts)
                if value is not None:
                    own[issue_id] = value
            if is_resolved:
                resolved.add(issue_id)
            if weights is not None:
                weight = number(fields.get(column.weight_field))
                if weight is not None:
                    weights[issue_id] = weight
        progress, total = progress_rollup(
            shape, issue_ids, own, weights=weights, resolved=resolved
        )
        return ColumnValues(progress, total)
    values: dict[int, float] = {}
    for issue_id in distinct:
        value = number(data[issue_id].get(column.field_id))
        if value is not None:
            values[issue_id] = value
    agg = aggregate_field(shape, issue_ids, values)
    if column.agg == "count":
        return ColumnValues(
            [float(c) if c else None for c in agg.count], float(agg.total_count)
        )
    if column.agg == "min":
        return ColumnValues(agg.min, agg.total_min)
    if column.agg == "max":
        return ColumnValues(agg.max, agg.total_max)
    if column.agg == "avg":
        return ColumnValues([agg.avg(i) for i in range(len(shape))], agg.total_avg)
    sums: list[float | None] = [
        s if c else None for s, c in zip(agg.sum, agg.count, strict=True)
    ]
    return ColumnValues(sums, agg.total_sum if agg.total_count else None)


def board_totals(
    forest: ForestData, columns: Sequence[Column], data: Mapping[int, IssueFields]
) -> BoardTotals:
    """Every totals and progress column over the whole forest, in one pass each."""
    shape = forest_shape(forest.depths)
    issue_ids = forest.issue_ids()
    distinct = [i for i in dict.fromkeys(issue_ids) if i is not None and i in data]
    per_column = {
        index: _column_values(column, shape, issue_ids, data, distinct)
        for index, column in enumerate(columns)
        if column.is_total
    }
    return BoardTotals(
        shape=shape,
        issue_ids=issue_ids,
        columns=per_column,
        index_of_row=RowIndex(forest.row_ids),
    )


def board_shape(forest: ForestData) -> tuple[ForestShape, Mapping[int, int]]:
    """Shape and row-ID index without totals (for views without totals columns)."""
    return forest_shape(forest.depths), RowIndex(forest.row_ids)


def rows_visible(
    shape: ForestShape,
    depths: Sequence[int],
    *,
    under: int | None,
    expand_depth: int,
    expanded: Container[int] = (),
    offset: int = 0,
    limit: int = PAGE_ROWS,
) -> tuple[list[int], int | None]:
    """Indices of the rows on screen, and the offset of the next page (or None).

    The rows are those below `under` (a row index; None for the whole forest) whose
    ancestors below `under` are all open: at a depth under `expand_depth` ("expand to
    level 2" is ``expand_depth=1``) or in `expanded` (row indices the user opened).
    Cost is the rows skipped plus the rows returned.
    """
    if under is None:
        start, stop = 0, len(shape)
    else:
        start, stop = under + 1, shape.end[under]
    end = shape.end
    found: list[int] = []
    seen = 0
    i = start
    while i < stop:
        if seen >= offset:
            if len(found) == limit:
                return found, seen
            found.append(i)
        seen += 1
        i = i + 1 if depths[i] < expand_depth or i in expanded else end[i]
    return found, None


# --- presentation -------------------------------------------------------------------

AVATAR_COLOURS = ("blue", "green", "purple", "red", "teal", "yellow")
TYPE_SLUGS = {"epic", "story", "task", "bug", "sub-task", "subtask"}
LOZENGES = {"new": "default", "indeterminate": "inprogress", "done": "success"}


def initials(name: str) -> str:
    parts = [p for p in name.replace(".", " ").split() if p[:1].isalpha()]
    if not parts:
        return "?"
    if len(parts) == 1:
        return parts[0][:2].upper()
    return (parts[0][0] + parts[-1][0]).upper()


def avatar_colour(account_id: str) -> str:
    digest = hashlib.sha256(account_id.encode()).digest()
    return AVATAR_COLOURS[digest[0] % len(AVATAR_COLOURS)]


def number_text(value: float | None) -> str:
    if value is None:
        return ""
    if value == int(value) and abs(value) < 1e15:
        return f"{int(value):,}"
    return f"{value:,.2f}".rstrip("0").rstrip(".")


def field_text(value: Any) -> str:
    """A Jira field value as short text (names of objects, lists joined)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, int | float):
        return number_text(float(value))
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        return ", ".join(t for t in (field_text(v) for v in value) if t)
    if isinstance(value, dict):
        for key in ("displayName", "name", "value", "key"):
            if isinstance(value.get(key), str):
                return str(value[key])
    return ""


@dataclass(frozen=True)
class Cell:
    kind: str
    text: str = ""
    lozenge: str = ""
    percent: int | None = None
    initials: str = ""
    colour: str = ""
    icon: str = ""
    value: float | None = None


@dataclass(frozen=True)
class RowView:
    index: int
    row_id: int
    depth: int
    item_type: str
    item_id: int
    has_children: bool
    expanded: bool
    generated: bool
    key: str
    summary: str
    type_name: str
    type_icon: str
    missing: bool
    cells: list[Cell]
    parent_row_id: int | None

    @property
    def indent_px(self) -> int:
        return self.depth * 20

    @property
    def type_slug(self) -> str:
        slug = self.type_name.lower().replace(" ", "-")
        return slug if slug in TYPE_SLUGS else "other"


def _issue_cell(column: Column, key: str, fields: IssueFields) -> Cell:
    kind = column.kind
    if kind == "key":
        return Cell(kind, text=key)
    if kind == "status":
        status = fields.get("status") or {}
        category = (status.get("statusCategory") or {}).get("key", "new")
        return Cell(
            kind,
            text=str(status.get("name", "")),
            lozenge=LOZENGES.get(str(category), "default"),
        )
    if kind == "assignee":
        person = fields.get("assignee") or {}
        name = str(person.get("displayName", ""))
        if not name:
            return Cell(kind, text="Unassigned")
        return Cell(
            kind,
            text=name,
            initials=initials(name),
            colour=avatar_colour(str(person.get("accountId", name))),
        )
    if kind == "priority":
        return Cell(kind, text=field_text(fields.get("priority")))
    if kind == "issuetype":
        return Cell(kind, text=field_text(fields.get("issuetype")))
    if kind == "field":
        raw = fields.get(column.field_id)
        return Cell(kind, text=field_text(raw), value=number(raw))
    return Cell(kind)


def _total_cell(column: Column, value: float | None) -> Cell:
    if column.kind == "progress":
        if value is None:
            return Cell("progress")
        percent = round(value * 100)
        return Cell("progress", text=f"{percent}%", percent=percent, value=value)
    return Cell(column.kind, text=number_text(value), value=value)


def total_cells(columns: Sequence[Column], totals: BoardTotals | None) -> list[Cell]:
    """The footer: the whole forest's totals under their columns."""
    cells = []
    for index, column in enumerate(columns):
        values = totals.columns.get(index) if totals else None
        cells.append(_total_cell(column, values.total) if values else Cell(column.kind))
    return cells


def rows_render(
    forest: ForestData,
    shape: ForestShape,
    indices: Sequence[int],
    columns: Sequence[Column],
    totals: BoardTotals | None,
    issues: Mapping[int, Mapping[str, Any]],
    *,
    expand_depth: int,
    expanded: Container[int] = (),
) -> list[RowView]:
    """`RowView`s of the given rows; `issues` maps issue ID to ``{"key", "fields"}``."""
    views = []
    for i in indices:
        item_type = forest.item_types[i]
        item_id = forest.item_ids[i]
        row_id = forest.row_ids[i]
        issue = issues.get(item_id) if item_type == "issue" else None
        fields: IssueFields = (issue or {}).get("fields") or {}
        key = str((issue or {}).get("key", ""))
        missing = item_type == "issue" and issue is None
        cells = []
        for index, column in enumerate(columns):
            values = totals.columns.get(index) if totals else None
            if values is not None:
                cells.append(_total_cell(column, values.values[i]))
            elif column.kind == "summary" or item_type != "issue":
                cells.append(Cell(column.kind))
            else:
                cells.append(_issue_cell(column, key, fields))
        issuetype = fields.get("issuetype") or {}
        if item_type == "issue":
            summary = str(fields.get("summary", "")) or (
                "Issue data unavailable" if missing else ""
            )
        else:
            summary = forest.labels.get(row_id, "") or item_type.capitalize()
        parent = shape.parent[i]
        has_children = shape.end[i] > i + 1
        views.append(
            RowView(
                index=i,
                row_id=row_id,
                depth=forest.depths[i],
                item_type=item_type,
                item_id=item_id,
                has_children=has_children,
                expanded=has_children
                and (forest.depths[i] < expand_depth or i in expanded),
                generated=bool(forest.generated and forest.generated[i]),
                key=key,
                summary=summary,
                type_name=str(issuetype.get("name", "")),
                type_icon=str(issuetype.get("iconUrl", "")),
                missing=missing,
                cells=cells,
                parent_row_id=forest.row_ids[parent] if parent >= 0 else None,
            )
        )
    return views
