"""Board composition on plain data: which rows show, with which cells and totals."""

from typing import Any

import pytest

from boards.board import (
    ForestData,
    board_totals,
    field_text,
    initials,
    number_text,
    rows_render,
    rows_visible,
    total_cells,
)
from boards.columns import (
    DEFAULT_COLUMNS,
    ColumnsError,
    columns_parse,
    display_fields,
    totals_fields,
)

SP = "customfield_10016"


def _issue(
    key: str,
    summary: str,
    *,
    points: float | None = None,
    done: bool = False,
    category: str = "new",
    assignee: str | None = None,
) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "summary": summary,
        "status": {
            "name": "Done" if done else "To Do",
            "statusCategory": {"key": "done" if done else category},
        },
        "resolution": {"name": "Done"} if done else None,
        "issuetype": {"name": "Story"},
        "priority": {"name": "High"},
        SP: points,
    }
    if assignee:
        fields["assignee"] = {"accountId": "acc-" + assignee, "displayName": assignee}
    return {"key": key, "fields": fields}


# folder "Release 1" → epic 1 → stories 10 (done, 3 SP), 11 (5 SP); epic 2 (13 SP)
FOREST = ForestData(
    version=3,
    row_ids=[100, 101, 102, 103, 104],
    depths=[0, 1, 2, 2, 0],
    item_types=["folder", "issue", "issue", "issue", "issue"],
    item_ids=[7, 1, 10, 11, 2],
    labels={100: "Release 1"},
)
ISSUES = {
    1: _issue("REL-1", "Checkout epic"),
    10: _issue("REL-10", "Pay by card", points=3, done=True),
    11: _issue("REL-11", "Pay by invoice", points=5, assignee="Ada Lovelace"),
    2: _issue("REL-2", "Search epic", points=13),
}
FIELDS = {issue_id: issue["fields"] for issue_id, issue in ISSUES.items()}


def test_default_columns_need_points_and_resolution_for_the_whole_tree():
    columns = columns_parse(DEFAULT_COLUMNS)
    assert totals_fields(columns) == ["customfield_10016", "resolution"]
    assert "status" in display_fields(columns)
    assert "resolution" not in display_fields(columns)


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ([], "non-empty"),
        ([{"kind": "key"}], "summary column"),
        ([{"kind": "summary"}, {"kind": "bogus"}], "unknown column kind"),
        ([{"kind": "summary"}, {"kind": "field"}], "fieldId"),
        ([{"kind": "summary"}, {"kind": "field", "fieldId": "x; drop"}], "fieldId"),
        (
            [{"kind": "summary"}, {"kind": "total", "fieldId": SP, "agg": "median"}],
            "agg",
        ),
        ([{"kind": "summary"}, {"kind": "progress", "mode": "vibes"}], "mode"),
        ([{"kind": "summary"}] * 31, "at most"),
        ("summary", "non-empty list"),
    ],
)
def test_columns_parse_rejects_bad_configurations_with_a_clear_message(raw, message):
    with pytest.raises(ColumnsError, match=message):
        columns_parse(raw)


def test_rows_visible_expands_to_a_level_and_pages():
    totals = board_totals(FOREST, columns_parse(DEFAULT_COLUMNS), FIELDS)
    shape = totals.shape
    assert rows_visible(shape, FOREST.depths, under=None, expand_depth=0) == (
        [0, 4],
        None,
    )
    assert rows_visible(shape, FOREST.depths, under=None, expand_depth=1)[0] == [
        0,
        1,
        4,
    ]
    assert rows_visible(shape, FOREST.depths, under=None, expand_depth=9)[0] == [
        0,
        1,
        2,
        3,
        4,
    ]
    page, next_offset = rows_visible(
        shape, FOREST.depths, under=None, expand_depth=9, limit=2
    )
    assert (page, next_offset) == ([0, 1], 2)
    assert rows_visible(
        shape, FOREST.depths, under=None, expand_depth=9, offset=2, limit=2
    ) == ([2, 3], 4)
    # Expanding epic 1 (index 1, depth 1) one level shows its two stories.
    assert rows_visible(shape, FOREST.depths, under=1, expand_depth=2) == (
        [2, 3],
        None,
    )


def test_rows_render_shows_totals_progress_lozenges_and_folder_names():
    columns = columns_parse(DEFAULT_COLUMNS)
    totals = board_totals(FOREST, columns, FIELDS)
    rows = rows_render(
        FOREST, totals.shape, [0, 1, 2, 3], columns, totals, ISSUES, expand_depth=2
    )
    folder, epic, done, todo = rows
    assert folder.summary == "Release 1"
    assert folder.has_children
    assert folder.expanded
    assert epic.key == "REL-1"
    assert epic.parent_row_id == 100
    by_kind = {c.kind: c for c in epic.cells}
    assert by_kind["total"].text == "8"
    assert by_kind["progress"].percent == 38  # 3 of 8 story points done
    assert {c.kind: c for c in done.cells}["status"].lozenge == "success"
    assignee = {c.kind: c for c in todo.cells}["assignee"]
    assert (assignee.initials, assignee.text) == ("AL", "Ada Lovelace")
    footer = {c.kind: c for c in total_cells(columns, totals)}
    assert footer["total"].text == "21"
    assert footer["progress"].text == "14%"


def test_rows_render_marks_an_issue_whose_data_could_not_be_fetched():
    columns = columns_parse(DEFAULT_COLUMNS)
    totals = board_totals(FOREST, columns, {})
    (row,) = rows_render(FOREST, totals.shape, [2], columns, totals, {}, expand_depth=0)
    assert row.missing
    assert row.summary == "Issue data unavailable"


def test_text_helpers():
    assert initials("Grace Brewster Hopper") == "GH"
    assert initials("") == "?"
    assert initials("Ken Kowalski (contractor)") == "KK"
    assert number_text(3.0) == "3"
    assert number_text(2.5) == "2.5"
    assert number_text(12345.0) == "12,345"
    assert field_text([{"name": "v1"}, {"name": "v2"}]) == "v1, v2"
    assert field_text({"value": "Red"}) == "Red"
    assert field_text(None) == ""
