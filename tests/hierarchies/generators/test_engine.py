"""The generator engine on plain in-memory data: each kind, the order of operations,
scopes, cycles, duplicates, groupers and sorters, and the budget."""

from __future__ import annotations

import gc
import textwrap
from collections.abc import Sequence
from typing import Any

import pytest

from hierarchies.generators.engine import forest_generate
from hierarchies.generators.types import (
    EffectiveForest,
    GeneratorSpec,
    IssueData,
    IssueLink,
    Progress,
    StaticRow,
)
from tests.hierarchies.generators.fakes import (
    BLOCKS,
    DONE,
    HIGH,
    HIGHEST,
    IN_PROGRESS,
    LOW,
    MEDIUM,
    REVIEW,
    TODO,
    FakeJira,
    issue,
    render,
)

PROJECT = "project = DEMO"


def dataset() -> FakeJira:
    """Epic 100 with stories 101-103 (101 has sub-tasks 201, 202), a loose story 104.

    Blocks links: 101 -> 102 -> 103 -> 101 (a cycle), 104 -> 102.
    """
    issues = [
        issue(100, status=IN_PROGRESS, priority=HIGH, rank="0|a"),
        issue(
            101,
            parent=100,
            subtasks=[201, 202],
            status=TODO,
            priority=MEDIUM,
            labels=["api"],
            blocks=[102],
            rank="0|c",
        ),
        issue(
            102,
            parent=100,
            status=DONE,
            priority=HIGHEST,
            labels=["api", "ui"],
            blocks=[103],
            rank="0|b",
        ),
        issue(
            103, parent=100, status=IN_PROGRESS, priority=LOW, blocks=[101], rank="0|e"
        ),
        issue(
            104, status=REVIEW, priority=HIGH, labels=["ui"], blocks=[102], rank="0|d"
        ),
        issue(105, rank="0|f"),
        issue(201, parent=101, status=DONE, rank="0|g"),
        issue(202, parent=101, status=TODO, priority=HIGHEST, rank="0|h"),
    ]
    data = {i.id: i for i in issues}
    # Jira shows each link on both issues: add the inward side.
    for i in issues:
        for link in i.links:
            other = data[link.issue_id]
            data[other.id] = IssueData(
                id=other.id,
                parent_id=other.parent_id,
                subtask_ids=other.subtask_ids,
                links=(*other.links, IssueLink(BLOCKS, "inward", i.id)),
                rank=other.rank,
                fields=other.fields,
            )
    return FakeJira(
        data=data,
        queries={
            PROJECT: [100, 101, 102, 103, 104],
            "issuetype = Epic": [100],
            "key in (DEMO-1, DEMO-2, DEMO-3)": [101, 102, 103],
            "status = Done": [102, 201],
            'text ~ "login"': [104, 101],
            "issue in (101)": [101],
            "issue in (102)": [102],
            "all": [100, 101, 102, 103, 104, 105],
        },
    )


def gen(row_id: int, depth: int, gen_id: int) -> StaticRow:
    return StaticRow(row_id, depth, "generator", gen_id)


def run(
    rows: Sequence[StaticRow],
    specs: dict[int, tuple[str, dict[str, Any]]],
    jira: FakeJira | None = None,
    **kwargs: Any,
) -> EffectiveForest:
    return forest_generate(
        rows=rows,
        generators={i: GeneratorSpec(i, kind, cfg) for i, (kind, cfg) in specs.items()},
        source=jira or dataset(),
        **kwargs,
    )


def tree(text: str) -> str:
    return textwrap.dedent(text).strip("\n")


# ---- insert ------------------------------------------------------------------


def test_insert_jql_puts_the_query_results_at_the_generator_place() -> None:
    rows = [
        StaticRow(1, 0, "folder", 7),
        StaticRow(2, 1, "issue", 900),
        gen(3, 1, 1),
        StaticRow(4, 1, "issue", 901),
    ]
    forest = run(rows, {1: ("insert.jql", {"jql": "key in (DEMO-1, DEMO-2, DEMO-3)"})})
    assert render(forest) == tree("""
        folder/7
          900
          101 *
          102 *
          103 *
          901
    """)
    assert forest.report.complete


def test_insert_text_searches_jira_text() -> None:
    forest = run([gen(1, 0, 1)], {1: ("insert.text", {"text": "login"})})
    assert render(forest) == "104 *\n101 *"


def test_insert_children_lists_the_children_of_an_issue_in_rank_order() -> None:
    forest = run([gen(1, 0, 1)], {1: ("insert.children", {"issueId": 100})})
    assert render(forest) == "102 *\n101 *\n103 *"


def test_insert_generator_rows_are_left_out_and_rows_stored_under_them_lifted() -> None:
    rows = [gen(1, 0, 1), StaticRow(2, 1, "issue", 900)]
    forest = run(rows, {1: ("insert.jql", {"jql": "issuetype = Epic"})})
    assert render(forest) == "100 *\n900"


def test_insert_bad_jql_is_reported_on_its_generator_and_the_rest_still_runs() -> None:
    rows = [gen(1, 0, 1), gen(2, 0, 2)]
    forest = run(
        rows,
        {
            1: ("insert.jql", {"jql": "projekt = NOPE"}),
            2: ("insert.jql", {"jql": "issuetype = Epic"}),
        },
    )
    assert render(forest) == "100 *"
    bad = forest.report.generators[0]
    assert bad.id == 1
    assert bad.error is not None
    assert "projekt = NOPE" in bad.error


# ---- extend ------------------------------------------------------------------


def test_extend_children_follows_the_parent_field_down_all_levels() -> None:
    rows = [gen(1, 0, 1), gen(2, 0, 2)]
    forest = run(
        rows,
        {1: ("insert.jql", {"jql": "issuetype = Epic"}), 2: ("extend.children", {})},
    )
    assert render(forest) == tree("""
        100 *
          102 *
          101 *
            201 *
            202 *
          103 *
    """)


def test_extend_subtasks_extends_static_issues_too() -> None:
    rows = [StaticRow(1, 0, "issue", 101), gen(2, 0, 2)]
    forest = run(rows, {2: ("extend.subtasks", {})})
    assert render(forest) == "101\n  201 *\n  202 *"


def test_extend_links_outward_stops_at_a_link_cycle() -> None:
    rows = [StaticRow(1, 0, "issue", 101), gen(2, 0, 2)]
    forest = run(
        rows,
        {2: ("extend.links", {"linkTypeId": BLOCKS, "direction": "outward"})},
    )
    assert render(forest) == tree("""
        101
          102 *
            103 *
    """)


def test_extend_links_inward_makes_the_blocking_issues_children() -> None:
    rows = [StaticRow(1, 0, "issue", 102), gen(2, 0, 2)]
    forest = run(
        rows, {2: ("extend.links", {"linkTypeId": BLOCKS, "direction": "inward"})}
    )
    assert render(forest) == tree("""
        102
          101 *
            103 *
          104 *
    """)


def test_extend_levels_limit_how_deep_the_extender_goes() -> None:
    rows = [StaticRow(1, 0, "issue", 101), gen(2, 0, 2)]
    one = run(
        rows,
        {
            2: (
                "extend.links",
                {"linkTypeId": BLOCKS, "direction": "outward", "levels": 1},
            )
        },
    )
    assert render(one) == "101\n  102 *"


def test_extend_of_other_link_types_adds_nothing() -> None:
    rows = [StaticRow(1, 0, "issue", 101), gen(2, 0, 2)]
    forest = run(
        rows, {2: ("extend.links", {"linkTypeId": 10003, "direction": "outward"})}
    )
    assert render(forest) == "101"


def test_extenders_of_one_scope_work_together() -> None:
    rows = [StaticRow(1, 0, "issue", 100), gen(2, 0, 2), gen(3, 0, 3)]
    forest = run(
        rows,
        {
            2: ("extend.children", {"levels": 1}),
            3: (
                "extend.links",
                {"linkTypeId": BLOCKS, "direction": "outward", "levels": 2},
            ),
        },
    )
    # Level 1 (100) gets children and links; level 2 rows only links (levels 2).
    assert render(forest) == tree("""
        100
          102 *
            103 *
          101 *
            102 *
          103 *
            101 *
    """)


def test_extend_fetches_issue_data_in_one_bulk_call_per_level() -> None:
    jira = dataset()
    rows = [gen(1, 0, 1), gen(2, 0, 2)]
    run(rows, {1: ("insert.jql", {"jql": PROJECT}), 2: ("extend.subtasks", {})}, jira)
    # One search, then one bulk fetch per wave: the 5 issues, then the 2 sub-tasks.
    assert jira.calls == ["search", "issues", "issues"]


def test_extend_never_adds_an_issue_twice_under_one_parent() -> None:
    rows = [StaticRow(1, 0, "issue", 101), gen(2, 0, 2), gen(3, 0, 3)]
    forest = run(
        rows, {2: ("extend.subtasks", {}), 3: ("extend.children", {"levels": 1})}
    )
    assert render(forest) == "101\n  201 *\n  202 *"


# ---- scope -------------------------------------------------------------------


def test_generators_act_only_in_their_parents_subtree() -> None:
    rows = [
        StaticRow(1, 0, "folder", 1),
        gen(2, 1, 1),
        gen(3, 1, 2),
        gen(4, 1, 3),
        StaticRow(5, 0, "folder", 2),
        StaticRow(6, 1, "issue", 101),
        StaticRow(7, 1, "issue", 100),
    ]
    forest = run(
        rows,
        {
            1: ("insert.jql", {"jql": "key in (DEMO-1, DEMO-2, DEMO-3)"}),
            2: ("extend.subtasks", {}),
            3: ("sort.field", {"fieldId": "priority", "direction": "asc"}),
        },
    )
    assert render(forest) == tree("""
        folder/1
          102 *
          101 *
            202 *
            201 *
          103 *
        folder/2
          101
          100
    """)


# ---- filter ------------------------------------------------------------------


def test_filter_jql_keeps_matches_and_their_ancestors() -> None:
    rows = [gen(1, 0, 1), gen(2, 0, 2), gen(3, 0, 3)]
    forest = run(
        rows,
        {
            1: ("insert.jql", {"jql": "issuetype = Epic"}),
            2: ("extend.children", {}),
            3: ("filter.jql", {"jql": "status = Done"}),
        },
    )
    assert render(forest) == tree("""
        100 *
          102 *
          101 *
            201 *
    """)
    assert forest.report.generators[2].rows == 2  # 202 and 103 removed


def test_filter_jql_removes_static_rows_and_empty_folders_unless_kept() -> None:
    rows = [
        StaticRow(1, 0, "folder", 1),
        StaticRow(2, 0, "issue", 104),
        StaticRow(3, 0, "issue", 102),
        gen(4, 0, 1),
    ]
    dropped = run(rows, {1: ("filter.jql", {"jql": "status = Done"})})
    assert render(dropped) == "102"
    kept = run(rows, {1: ("filter.jql", {"jql": "status = Done", "keepFolders": True})})
    assert render(kept) == "folder/1\n102"


def test_filter_duplicates_keeps_the_extended_copy() -> None:
    rows = [gen(1, 0, 1), gen(2, 0, 2), gen(3, 0, 3)]
    specs: dict[int, tuple[str, dict[str, Any]]] = {
        1: ("insert.jql", {"jql": PROJECT}),
        2: ("extend.children", {}),
        3: ("filter.duplicates", {}),
    }
    forest = run(rows, specs)
    assert render(forest) == tree("""
        100 *
          102 *
          101 *
            201 *
            202 *
          103 *
        104 *
    """)
    without = run(rows[:2], {k: v for k, v in specs.items() if k != 3})
    assert [r.item_id for r in without.rows if r.depth == 0] == [
        100,
        101,
        102,
        103,
        104,
    ]


def test_filter_duplicates_on_a_link_cycle_keeps_one_copy() -> None:
    rows = [gen(1, 0, 1), gen(2, 0, 2), gen(3, 0, 3)]
    forest = run(
        rows,
        {
            1: ("insert.jql", {"jql": "key in (DEMO-1, DEMO-2, DEMO-3)"}),
            2: ("extend.links", {"linkTypeId": BLOCKS, "direction": "outward"}),
            3: ("filter.duplicates", {}),
        },
    )
    assert render(forest) == "103 *\n  101 *\n    102 *"


# ---- order of operations -----------------------------------------------------


def test_stages_run_in_fixed_order_wherever_the_generators_sit() -> None:
    specs: dict[int, tuple[str, dict[str, Any]]] = {
        1: ("sort.field", {"fieldId": "priority", "direction": "desc"}),
        2: ("filter.jql", {"jql": "status = Done"}),
        3: ("extend.children", {}),
        4: ("insert.jql", {"jql": "issuetype = Epic"}),
    }
    upside_down = run([gen(1, 0, 1), gen(2, 0, 2), gen(3, 0, 3), gen(4, 0, 4)], specs)
    in_order = run([gen(1, 0, 4), gen(2, 0, 3), gen(3, 0, 2), gen(4, 0, 1)], specs)
    # Filter after extend: 201 (Done) keeps 101. Sort desc by priority: 101 (Medium)
    # before 102 (Highest).
    expected = tree("""
        100 *
          101 *
            201 *
          102 *
    """)
    assert render(upside_down) == expected
    assert render(in_order) == expected


# ---- group -------------------------------------------------------------------


def _insert_all(*more: tuple[str, dict[str, Any]]) -> EffectiveForest:
    specs = {
        1: ("insert.jql", {"jql": "all"}),
        **{i + 2: s for i, s in enumerate(more)},
    }
    rows = [gen(i, 0, i) for i in specs]
    return run(rows, specs)


def test_group_by_status_orders_groups_by_category_then_name_empty_last() -> None:
    forest = _insert_all(("group.field", {"fieldId": "status"}))
    assert render(forest) == tree("""
        [To Do] *
          101 *
        [In Progress] *
          100 *
          103 *
        [In Review] *
          104 *
        [Done] *
          102 *
        [No status] *
          105 *
    """)
    group = forest.rows[0]
    assert (group.item_type, group.item_id, group.generated) == (
        "group",
        "status:1",
        True,
    )


def test_group_by_priority_follows_jiras_priority_order() -> None:
    forest = _insert_all(("group.field", {"fieldId": "priority"}))
    assert [r.label for r in forest.rows if r.item_type == "group"] == [
        "Highest",
        "High",
        "Medium",
        "Low",
        "No priority",
    ]


def test_group_by_labels_puts_an_issue_under_each_of_its_labels() -> None:
    forest = _insert_all(("group.field", {"fieldId": "labels"}))
    assert render(forest) == tree("""
        [api] *
          101 *
          102 *
        [ui] *
          102 *
          104 *
        [No labels] *
          100 *
          103 *
          105 *
    """)
    ids = [r.row_id for r in forest.rows]
    assert len(set(ids)) == len(ids)


def test_groupers_nest_top_to_bottom() -> None:
    forest = _insert_all(
        ("group.field", {"fieldId": "status"}), ("group.field", {"fieldId": "priority"})
    )
    assert render(forest) == tree("""
        [To Do] *
          [Medium] *
            101 *
        [In Progress] *
          [High] *
            100 *
          [Low] *
            103 *
        [In Review] *
          [High] *
            104 *
        [Done] *
          [Highest] *
            102 *
        [No status] *
          [No priority] *
            105 *
    """)


def test_group_keeps_folders_first_and_groups_only_its_own_level() -> None:
    rows = [
        StaticRow(1, 0, "folder", 3),
        StaticRow(2, 1, "issue", 102),
        StaticRow(3, 0, "issue", 101),
        StaticRow(4, 0, "issue", 201),
        gen(5, 0, 1),
    ]
    forest = run(rows, {1: ("group.field", {"fieldId": "status"})})
    assert render(forest) == tree("""
        folder/3
          102
        [To Do] *
          101
        [Done] *
          201
    """)


# ---- sort --------------------------------------------------------------------


def test_sort_by_field_both_directions_with_empty_values_last() -> None:
    asc = _insert_all(("sort.field", {"fieldId": "priority", "direction": "asc"}))
    assert render(asc) == "102 *\n100 *\n104 *\n101 *\n103 *\n105 *"
    desc = _insert_all(("sort.field", {"fieldId": "priority", "direction": "desc"}))
    assert render(desc) == "103 *\n101 *\n100 *\n104 *\n102 *\n105 *"


def test_sort_by_rank() -> None:
    forest = _insert_all(("sort.rank", {}))
    assert render(forest) == "100 *\n102 *\n101 *\n104 *\n103 *\n105 *"


def test_sorters_apply_bottom_to_top_so_the_top_one_is_primary() -> None:
    forest = _insert_all(
        ("sort.field", {"fieldId": "status", "direction": "asc"}),
        ("sort.field", {"fieldId": "priority", "direction": "asc"}),
    )
    # By status (category, then name); within In Progress by priority: 100 High, 103 Low.
    assert render(forest) == "101 *\n100 *\n103 *\n104 *\n102 *\n105 *"


def test_group_and_sort_combined_sorts_inside_each_group() -> None:
    forest = _insert_all(
        ("group.field", {"fieldId": "labels"}),
        ("sort.field", {"fieldId": "priority", "direction": "asc"}),
    )
    assert render(forest) == tree("""
        [api] *
          102 *
          101 *
        [ui] *
          102 *
          104 *
        [No labels] *
          100 *
          103 *
          105 *
    """)


def test_sort_reaches_every_level_of_its_scope() -> None:
    rows = [StaticRow(1, 0, "issue", 101), gen(2, 0, 1), gen(3, 0, 2)]
    forest = run(
        rows,
        {
            1: ("extend.subtasks", {}),
            2: ("sort.field", {"fieldId": "priority", "direction": "asc"}),
        },
    )
    assert render(forest) == "101\n  202 *\n  201 *"


# ---- rows ids ------------------------------------------------------------------


def test_row_ids_static_kept_generated_negative_unique_and_stable() -> None:
    rows = [StaticRow(11, 0, "issue", 100), gen(12, 0, 1)]
    specs: dict[int, tuple[str, dict[str, Any]]] = {1: ("extend.children", {})}
    first, second = run(rows, specs), run(rows, specs)
    assert first.rows[0].row_id == 11
    generated = [r.row_id for r in first.rows[1:]]
    assert all(r < 0 for r in generated)
    assert len(set(generated)) == len(generated)
    assert [r.row_id for r in second.rows] == [r.row_id for r in first.rows]


# ---- budget and progress -----------------------------------------------------


def test_time_limit_stops_with_a_partial_result_naming_the_slowest_generator() -> None:
    now = [0.0]
    jira = dataset()

    def tick() -> None:
        now[0] += 10.0

    jira.on_call = tick
    rows = [gen(1, 0, 1), gen(2, 0, 2)]
    forest = run(
        rows,
        {1: ("insert.jql", {"jql": "issuetype = Epic"}), 2: ("extend.children", {})},
        jira,
        time_limit_s=25,
        clock=lambda: now[0],
    )
    assert forest.report.stop_reason == "time_limit"
    # The insert and the first level of the extension made it; then time ran out.
    assert render(forest) == "100 *\n  102 *\n  101 *\n  103 *"
    assert forest.report.message is not None
    assert "time limit of 25 s" in forest.report.message
    assert "#2 (extend.children" in forest.report.message


def test_row_limit_stops_with_a_partial_result_and_a_message() -> None:
    forest = run(
        [StaticRow(1, 0, "issue", 900), gen(2, 0, 1)],
        {1: ("insert.jql", {"jql": PROJECT})},
        row_limit=3,
    )
    assert render(forest) == "900\n100 *\n101 *"
    assert forest.report.stop_reason == "row_limit"
    assert forest.report.message is not None
    assert "limit of 3 rows" in forest.report.message
    assert "#1 (insert.jql" in forest.report.message


def test_progress_is_reported_per_stage() -> None:
    seen: list[Progress] = []
    rows = [gen(1, 0, 1), gen(2, 0, 2)]
    run(
        rows,
        {
            1: ("insert.jql", {"jql": PROJECT}),
            2: ("group.field", {"fieldId": "status"}),
        },
        progress=seen.append,
    )
    stages = [p.stage for p in seen]
    assert stages[0] == "insert"
    assert "group" in stages
    assert stages[-1] == "done"
    assert seen[-1].rows == 9  # 5 issues + 4 groups


def test_no_generators_returns_the_static_forest() -> None:
    rows = [StaticRow(1, 0, "folder", 1), StaticRow(2, 1, "issue", 100)]
    forest = run(rows, {})
    assert render(forest) == "folder/1\n  100"
    assert not any(r.generated for r in forest.rows)


# ---- process state -----------------------------------------------------------


def test_generation_gives_the_garbage_collector_back_as_it_found_it() -> None:
    """The engine pauses the cyclic collector while it runs; the worker process must
    get it back afterwards (or keep it off if it was off), even when a run fails."""
    rows = [gen(1, 0, 1), gen(2, 0, 2)]
    specs: dict[int, tuple[str, dict[str, Any]]] = {
        1: ("insert.jql", {"jql": PROJECT}),
        2: ("extend.links", {"linkTypeId": BLOCKS, "direction": "outward"}),
    }
    assert gc.isenabled()
    assert render(run(rows, specs))
    assert gc.isenabled()

    def fail() -> None:
        raise RuntimeError("Jira went away")

    broken = dataset()
    broken.on_call = fail
    with pytest.raises(RuntimeError):
        run(rows, specs, jira=broken)
    assert gc.isenabled()

    gc.disable()
    try:
        assert render(run(rows, specs))
        assert not gc.isenabled()
    finally:
        gc.enable()
