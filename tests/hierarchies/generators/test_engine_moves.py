"""Manual moves of generated rows: rules relative to the generated content."""

from __future__ import annotations

from hierarchies.generators.types import MoveRule, StaticRow
from tests.hierarchies.generators.fakes import render
from tests.hierarchies.generators.test_engine import gen, run, tree

EPIC_AND_CHILDREN = {
    1: ("insert.jql", {"jql": "issuetype = Epic"}),
    2: ("extend.children", {}),
}


def test_a_moved_row_goes_under_its_anchor_after_its_sibling() -> None:
    rows = [StaticRow(1, 0, "folder", 7), gen(2, 0, 1), gen(3, 0, 2)]
    forest = run(
        rows,
        EPIC_AND_CHILDREN,
        moves=[MoveRule(201, under="issue:102"), MoveRule(103, under="row:1")],
    )
    assert render(forest) == tree("""
        folder/7
          103 *
        100 *
          102 *
            201 *
          101 *
            202 *
    """)


def test_after_places_the_row_behind_a_sibling_and_sorting_does_not_undo_it() -> None:
    specs = {**EPIC_AND_CHILDREN, 3: ("sort.rank", {})}
    rows = [gen(1, 0, 1), gen(2, 0, 2), gen(3, 0, 3)]
    plain = run(rows, specs)
    assert render(plain).splitlines()[1:4] == ["  102 *", "  101 *", "    201 *"]
    moved = run(
        rows, specs, moves=[MoveRule(102, under="issue:100", after="issue:103")]
    )
    assert render(moved) == tree("""
        100 *
          101 *
            201 *
            202 *
          103 *
          102 *
    """)


def test_a_rule_whose_anchor_is_gone_leaves_the_row_in_its_generated_place() -> None:
    rows = [gen(1, 0, 1), gen(2, 0, 2)]
    plain = render(run(rows, EPIC_AND_CHILDREN))
    for rule in (
        MoveRule(201, under="issue:999"),  # the new parent is not generated any more
        MoveRule(201, under="issue:100", after="issue:999"),  # nor the sibling
        MoveRule(201, under="row:42"),  # a static row that was removed
        MoveRule(201, under="issue:100", after="issue:202"),  # not a child of 100
        MoveRule(999, under="issue:100"),  # the moved issue itself is gone
        MoveRule(101, under="issue:201"),  # under its own sub-task: refused
    ):
        assert render(run(rows, EPIC_AND_CHILDREN, moves=[rule])) == plain, rule


def test_a_row_moved_to_the_top_level_first_place_and_into_a_group() -> None:
    rows = [gen(1, 0, 1), gen(2, 0, 2)]
    specs = {
        1: ("insert.jql", {"jql": "key in (DEMO-1, DEMO-2, DEMO-3)"}),
        2: ("group.field", {"fieldId": "status"}),
    }
    assert render(run(rows, specs)) == tree("""
        [To Do] *
          101 *
        [In Progress] *
          103 *
        [Done] *
          102 *
    """)
    moved = run(
        rows,
        specs,
        moves=[
            MoveRule(103, under="", after=""),
            MoveRule(102, under="group:status:1"),
        ],
    )
    assert render(moved) == tree("""
        103 *
        [To Do] *
          102 *
          101 *
        [In Progress] *
        [Done] *
    """)
