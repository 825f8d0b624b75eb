"""The engine over jira_sync against the simulator's demo dataset (real HTTP, Redis)."""

from __future__ import annotations

import textwrap
from typing import Any

import pytest

from hierarchies.generators.engine import forest_generate
from hierarchies.generators.jira_source import JiraSyncSource, field_values
from hierarchies.generators.types import EffectiveForest, GeneratorSpec, StaticRow
from jira_simulator import SimulatorHandle
from jira_sync.models import Tenant

pytestmark = pytest.mark.django_db

BLOCKS = 10000


def generate(
    tenant: Tenant,
    *specs: tuple[str, dict[str, Any]],
    rows: list[StaticRow] | None = None,
) -> EffectiveForest:
    static = list(rows or [])
    static += [StaticRow(1000 + i, 0, "generator", i + 1) for i in range(len(specs))]
    return forest_generate(
        rows=static,
        generators={
            i + 1: GeneratorSpec(i + 1, kind, config)
            for i, (kind, config) in enumerate(specs)
        },
        source=JiraSyncSource(tenant=tenant),
    )


def outline(forest: EffectiveForest, sim: SimulatorHandle) -> str:
    keys: dict[int, str] = {}
    lines = []
    for row in forest.rows:
        if row.item_type == "issue":
            issue_id = int(row.item_id)
            if issue_id not in keys:
                keys[issue_id] = sim.issue(str(issue_id)).key
            text = keys[issue_id]
        elif row.item_type == "group":
            text = f"[{row.label}]"
        else:
            text = f"{row.item_type}/{row.item_id}"
        lines.append("  " * row.depth + text)
    return "\n".join(lines)


def tree(text: str) -> str:
    return textwrap.dedent(text).strip("\n")


def test_insert_jql_and_extend_subtasks_on_the_demo(
    sim_tenant: Tenant, simulator: SimulatorHandle
) -> None:
    forest = generate(
        sim_tenant,
        ("insert.jql", {"jql": "key in (WEB-4, WEB-11) ORDER BY key ASC"}),
        ("extend.subtasks", {}),
    )
    assert outline(forest, simulator) == tree("""
        WEB-4
          WEB-5
          WEB-6
          WEB-7
        WEB-11
          WEB-12
          WEB-13
          WEB-14
          WEB-15
    """)
    assert all(r.generated for r in forest.rows)


def test_extend_children_follows_epic_story_subtask(
    sim_tenant: Tenant, simulator: SimulatorHandle
) -> None:
    forest = generate(
        sim_tenant,
        ("insert.jql", {"jql": "key = WEB-24"}),
        ("extend.children", {}),
        ("filter.jql", {"jql": "key in (WEB-27, WEB-28, WEB-29, WEB-25)"}),
    )
    assert outline(forest, simulator) == tree("""
        WEB-24
          WEB-25
          WEB-27
            WEB-29
            WEB-28
    """)  # children in rank order: WEB-29 is ranked above WEB-28


def test_extend_blocks_links_both_directions_and_a_cycle(
    sim_tenant: Tenant, simulator: SimulatorHandle
) -> None:
    outward = ("extend.links", {"linkTypeId": BLOCKS, "direction": "outward"})
    forest = generate(sim_tenant, ("insert.jql", {"jql": "key = WEB-9"}), outward)
    assert outline(forest, simulator) == "WEB-9\n  WEB-10\n    WEB-11"
    inward = ("extend.links", {"linkTypeId": BLOCKS, "direction": "inward"})
    forest = generate(sim_tenant, ("insert.jql", {"jql": "key = WEB-10"}), inward)
    assert outline(forest, simulator) == tree("""
        WEB-10
          WEB-9
          WEB-127
    """)  # WEB-9 and WEB-127 block WEB-10; nothing blocks WEB-9
    simulator.add_link("Blocks", "WEB-11", "WEB-9")  # WEB-9 -> 10 -> 11 -> 9
    forest = generate(sim_tenant, ("insert.jql", {"jql": "key = WEB-9"}), outward)
    assert outline(forest, simulator) == "WEB-9\n  WEB-10\n    WEB-11"


def test_duplicates_filter_on_the_demo(
    sim_tenant: Tenant, simulator: SimulatorHandle
) -> None:
    specs = [
        ("insert.jql", {"jql": "key in (WEB-11, WEB-12, WEB-13) ORDER BY key ASC"}),
        ("extend.subtasks", {}),
        ("filter.duplicates", {}),
    ]
    forest = generate(sim_tenant, *specs)
    assert outline(forest, simulator) == tree("""
        WEB-11
          WEB-12
          WEB-13
          WEB-14
          WEB-15
    """)
    assert len(generate(sim_tenant, *specs[:2]).rows) == 7


def test_group_by_status_and_sort_by_priority_on_the_demo(
    sim_tenant: Tenant, simulator: SimulatorHandle
) -> None:
    forest = generate(
        sim_tenant,
        ("insert.jql", {"jql": "parent = WEB-11"}),
        ("group.field", {"fieldId": "status"}),
        ("sort.field", {"fieldId": "priority", "direction": "asc"}),
    )
    # WEB-12 To Do/Medium, WEB-13 In Progress/Highest, WEB-14 Done/Low,
    # WEB-15 In Progress/Low.
    assert outline(forest, simulator) == tree("""
        [To Do]
          WEB-12
        [In Progress]
          WEB-13
          WEB-15
        [Done]
          WEB-14
    """)


def test_bad_jql_reports_jiras_message_on_the_generator(sim_tenant: Tenant) -> None:
    forest = generate(sim_tenant, ("insert.jql", {"jql": "projekt = WEB"}))
    assert forest.rows == []
    error = forest.report.generators[0].error
    assert error is not None
    assert "projekt" in error


def test_generation_asks_jira_in_bulk_and_a_second_run_is_served_from_cache(
    sim_tenant: Tenant, simulator: SimulatorHandle
) -> None:
    specs = [
        ("insert.jql", {"jql": "project = WEB"}),
        ("extend.subtasks", {}),
        ("group.field", {"fieldId": "status"}),
    ]
    simulator.reset_call_counts()
    first = generate(sim_tenant, *specs)
    calls = simulator.call_counts()
    issues = sum(1 for r in first.rows if r.item_type == "issue")
    assert issues > 100
    bulk = calls.get("POST /rest/api/3/issue/bulkfetch", 0)
    # Never per issue: a handful of bulk calls of up to 100 issues each.
    assert bulk <= 2 * (-(-issues // 100)) + 2
    assert "GET /rest/api/3/issue/{issueIdOrKey}" not in calls
    simulator.reset_call_counts()
    second = generate(sim_tenant, *specs)
    assert second.rows == first.rows
    assert simulator.call_counts().get("POST /rest/api/3/issue/bulkfetch", 0) == 0


def test_field_values_normalise_jira_json() -> None:
    status = field_values(
        "status",
        {"id": "3", "name": "In Progress", "statusCategory": {"key": "indeterminate"}},
    )
    assert status[0].key == "3"
    assert status[0].label == "In Progress"
    assert status[0].order == (1, "In Progress")
    user = field_values("assignee", {"accountId": "abc", "displayName": "Bob Brown"})
    assert (user[0].key, user[0].label) == ("abc", "Bob Brown")
    assert [v.label for v in field_values("labels", ["ux", "q4"])] == ["ux", "q4"]
    assert field_values("customfield_10016", 5.0)[0].order == (5.0,)
    assert field_values("assignee", None) == ()
