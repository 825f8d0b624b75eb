"""Column configurations of a view: parsing, validation and what each column needs.

A view stores its columns as JSON, a list of objects with a ``kind``:

* ``summary``, ``key``, ``status``, ``assignee``, ``priority``, ``issuetype``;
* ``field`` with ``fieldId`` (any Jira field by ID, e.g. ``customfield_10016``);
* ``progress`` with ``mode`` (``resolution`` | ``status`` | ``time``) and an optional
  ``weightField`` (a numeric field such as story points; children weigh equally without);
* ``total`` with ``fieldId`` and ``agg`` (``sum`` | ``count`` | ``min`` | ``max`` | ``avg``);
* ``leaves`` (count of leaf rows) and ``issues`` (count of distinct issues).

Every column may carry a ``title``. Only IDs and settings are stored, never Jira data.
"""

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from boards.totals import ProgressMode

STORY_POINTS_FIELD = "customfield_10016"
MAX_COLUMNS = 30
FIELD_ID_RE = re.compile(r"^(?:[a-z][A-Za-z0-9_]{0,63}|customfield_\d{1,12})$")

SIMPLE_KINDS = {
    "summary": "Summary",
    "key": "Key",
    "status": "Status",
    "assignee": "Assignee",
    "priority": "Priority",
    "issuetype": "Type",
    "leaves": "Leaves",
    "issues": "Issues",
}
AGGREGATES = {"sum": "Σ", "count": "Count", "min": "Min", "max": "Max", "avg": "Avg"}
# The Jira fields each simple column shows.
DISPLAY_FIELDS = {
    "summary": ("summary",),
    "key": (),
    "status": ("status",),
    "assignee": ("assignee",),
    "priority": ("priority",),
    "issuetype": ("issuetype",),
}
# The Jira fields each progress mode reads, for the whole tree.
PROGRESS_FIELDS = {
    ProgressMode.RESOLUTION: ("resolution",),
    ProgressMode.STATUS_CATEGORY: ("status",),
    ProgressMode.TIME_TRACKING: ("resolution", "timespent", "timeestimate"),
}


class ColumnsError(ValueError):
    """A column configuration is invalid; the message says which column and why."""


@dataclass(frozen=True)
class Column:
    kind: str
    title: str
    field_id: str = ""
    agg: str = ""
    mode: str = ""
    weight_field: str = ""

    @property
    def is_total(self) -> bool:
        """Computed over the whole tree (not only the rows on screen)."""
        return self.kind in {"total", "progress", "leaves", "issues"}

    @property
    def numeric(self) -> bool:
        return self.kind in {"total", "leaves", "issues", "progress"}

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"kind": self.kind, "title": self.title}
        if self.field_id:
            data["fieldId"] = self.field_id
        if self.agg:
            data["agg"] = self.agg
        if self.mode:
            data["mode"] = self.mode
        if self.kind == "progress":
            data["weightField"] = self.weight_field or None
        return data


def _field_id(raw: dict[str, Any], key: str, where: str, *, required: bool) -> str:
    value = raw.get(key)
    if value in (None, "") and not required:
        return ""
    if not isinstance(value, str) or not FIELD_ID_RE.match(value):
        raise ColumnsError(f"{where}: {key} must be a Jira field ID")
    return value


def _column_parse(raw: Any, index: int) -> Column:
    where = f"columns[{index}]"
    if not isinstance(raw, dict):
        raise ColumnsError(f"{where}: must be an object")
    kind = raw.get("kind")
    title = raw.get("title")
    if title is not None and (not isinstance(title, str) or len(title) > 100):
        raise ColumnsError(f"{where}: title must be text of at most 100 characters")
    if kind in SIMPLE_KINDS:
        return Column(kind=kind, title=title or SIMPLE_KINDS[kind])
    if kind == "field":
        field_id = _field_id(raw, "fieldId", where, required=True)
        return Column(kind=kind, title=title or field_id, field_id=field_id)
    if kind == "total":
        field_id = _field_id(raw, "fieldId", where, required=True)
        agg = raw.get("agg", "sum")
        if agg not in AGGREGATES:
            raise ColumnsError(f"{where}: agg must be one of {', '.join(AGGREGATES)}")
        default_title = f"{AGGREGATES[agg]} {field_id}"
        return Column(
            kind=kind, title=title or default_title, field_id=field_id, agg=agg
        )
    if kind == "progress":
        mode = raw.get("mode", ProgressMode.RESOLUTION.value)
        if mode not in {m.value for m in ProgressMode}:
            modes = ", ".join(m.value for m in ProgressMode)
            raise ColumnsError(f"{where}: mode must be one of {modes}")
        weight = _field_id(raw, "weightField", where, required=False)
        return Column(
            kind=kind, title=title or "Progress", mode=mode, weight_field=weight
        )
    raise ColumnsError(f"{where}: unknown column kind {kind!r}")


def columns_parse(raw: Any) -> list[Column]:
    """Validate a view's column list; raises ColumnsError with a clear message."""
    if not isinstance(raw, list) or not raw:
        raise ColumnsError("columns must be a non-empty list")
    if len(raw) > MAX_COLUMNS:
        raise ColumnsError(f"a view has at most {MAX_COLUMNS} columns")
    columns = [_column_parse(item, i) for i, item in enumerate(raw)]
    if not any(c.kind == "summary" for c in columns):
        raise ColumnsError("a view needs the summary column (it carries the tree)")
    return columns


def columns_json(columns: Sequence[Column]) -> list[dict[str, Any]]:
    return [c.to_json() for c in columns]


DEFAULT_COLUMNS: list[dict[str, Any]] = [
    {"kind": "summary"},
    {"kind": "key"},
    {"kind": "status"},
    {"kind": "assignee"},
    {"kind": "priority"},
    {
        "kind": "total",
        "fieldId": STORY_POINTS_FIELD,
        "agg": "sum",
        "title": "Σ Story points",
    },
    {"kind": "progress", "mode": "resolution", "weightField": STORY_POINTS_FIELD},
]


def display_fields(columns: Sequence[Column]) -> list[str]:
    """Jira fields to fetch for the rows on screen."""
    fields: list[str] = ["summary", "issuetype"]
    for column in columns:
        wanted = DISPLAY_FIELDS.get(column.kind, ())
        if column.kind in {"field", "total"}:
            wanted = (column.field_id,)
        for field_id in wanted:
            if field_id not in fields:
                fields.append(field_id)
    return fields


def totals_fields(columns: Sequence[Column]) -> list[str]:
    """Jira fields to fetch for every issue of the tree (totals and progress)."""
    fields: list[str] = []
    for column in columns:
        wanted: tuple[str, ...] = ()
        if column.kind == "total":
            wanted = (column.field_id,)
        elif column.kind == "progress":
            wanted = PROGRESS_FIELDS[ProgressMode(column.mode)]
            if column.weight_field:
                wanted = (*wanted, column.weight_field)
        for field_id in wanted:
            if field_id not in fields:
                fields.append(field_id)
    return fields
