"""The effective forest of a stored structure: generation, result cache, viewers."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from django.db import connection

from hierarchies import services
from hierarchies.generators import selectors as gen_selectors
from hierarchies.generators.selectors import (
    effective_rows_for_viewer,
    generation_progress_get,
    structure_forest_effective,
    structure_forest_generate,
    structure_forest_generated,
)
from hierarchies.generators.types import EffectiveRow
from hierarchies.models import Structure
from jira_simulator import SimulatorHandle
from jira_sync import cache_keys, cache_store
from jira_sync import selectors as jira_selectors
from jira_sync.models import Tenant

pytestmark = pytest.mark.django_db

ADMIN = "5b10ac8d82e05b22cc7d4a01"
CONTRACTOR = "5b10ac8d82e05b22cc7d4a11"  # sees the WEB project only


def structure_with(tenant: Tenant, *specs: tuple[str, dict[str, Any]]) -> Structure:
    structure = services.structure_create(tenant=tenant, actor=ADMIN, name="Generated")
    after = None
    for kind, config in specs:
        _, written = services.generator_create(
            structure=structure,
            actor=ADMIN,
            kind=kind,
            config=config,
            placement=services.Placement(under=None, after=after),
        )
        assert written is not None
        after = written.row_id
    structure.refresh_from_db()
    return structure


def outline(rows: list[EffectiveRow], sim: SimulatorHandle) -> str:
    lines = []
    for row in rows:
        if row.item_type == "issue":
            text = sim.issue(str(row.item_id)).key
        elif row.item_type == "group":
            text = f"[{row.label}]"
        else:
            text = f"{row.item_type}/{row.item_id}"
        lines.append("  " * row.depth + text + (" *" if row.generated else ""))
    return "\n".join(lines)


def test_effective_forest_of_a_stored_structure(
    sim_tenant: Tenant, simulator: SimulatorHandle
) -> None:
    structure = structure_with(
        sim_tenant,
        ("insert.jql", {"jql": "key = WEB-4"}),
        ("extend.subtasks", {}),
    )
    forest = structure_forest_effective(structure=structure, account_id=ADMIN)
    assert outline(forest.rows, simulator) == "WEB-4 *\n  WEB-5 *\n  WEB-6 *\n  WEB-7 *"
    assert forest.version == structure.version
    assert forest.complete


def test_many_viewers_share_one_generation(sim_tenant: Tenant) -> None:
    structure = structure_with(sim_tenant, ("insert.jql", {"jql": "project = WEB"}))
    runs = {structure_forest_generated(structure=structure).run_id for _ in range(20)}
    assert len(runs) == 1


@pytest.mark.django_db(transaction=True)
def test_concurrent_viewers_wait_for_the_one_generation(sim_tenant: Tenant) -> None:
    structure = structure_with(
        sim_tenant,
        ("insert.jql", {"jql": "project = WEB"}),
        ("extend.subtasks", {}),
        ("group.field", {"fieldId": "status"}),
    )
    runs: list[str] = []
    errors: list[BaseException] = []

    def view() -> None:
        try:
            runs.append(structure_forest_generated(structure=structure).run_id)
        except BaseException as exc:  # surfaced below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=view) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert len(runs) == 8
    assert len(set(runs)) == 1


def test_changes_to_inputs_regenerate(sim_tenant: Tenant) -> None:
    structure = structure_with(sim_tenant, ("insert.jql", {"jql": "key = WEB-4"}))
    first = structure_forest_generated(structure=structure)
    # A Jira webhook bumps the tenant's search generation (jira_sync's eviction).
    cache_store.incr(cache_keys.search_generation(sim_tenant.client_key), 3600)
    second = structure_forest_generated(structure=structure)
    assert second.run_id != first.run_id
    # A generator edit changes the configuration digest.
    generator = structure.generators.get()
    services.generator_update(
        generator=generator, actor=ADMIN, config={"jql": "key in (WEB-4, WEB-5)"}
    )
    third = structure_forest_generated(structure=structure)
    assert [r.item_id for r in third.rows] == [10003, 10004]  # WEB-4, WEB-5


def test_two_viewers_see_only_what_they_may_browse(
    sim_tenant: Tenant, simulator: SimulatorHandle
) -> None:
    structure = structure_with(
        sim_tenant,
        ("insert.jql", {"jql": "key in (WEB-4, MOB-2) ORDER BY key DESC"}),
        ("extend.children", {"levels": 1}),
        ("group.field", {"fieldId": "project"}),
    )
    generated = structure_forest_generated(structure=structure)
    ids = {int(r.item_id) for r in generated.rows if r.item_type == "issue"}

    def seen_by(account_id: str) -> str:
        browsable = jira_selectors.issues_browsable_filter(
            tenant=sim_tenant, account_id=account_id, issue_ids=ids
        )
        return outline(effective_rows_for_viewer(generated.rows, browsable), simulator)

    admin = seen_by(ADMIN)
    contractor = seen_by(CONTRACTOR)
    assert admin == (
        "[Mobile App] *\n  MOB-2 *\n"
        "[Web Platform] *\n  WEB-4 *\n    WEB-5 *\n    WEB-6 *\n    WEB-7 *"
    )
    # The contractor does not see MOB: its issues and their now-empty group go.
    assert (
        contractor
        == "[Web Platform] *\n  WEB-4 *\n    WEB-5 *\n    WEB-6 *\n    WEB-7 *"
    )


def test_viewer_rule_lifts_visible_children_of_hidden_rows() -> None:
    rows = [
        EffectiveRow(-1, 0, "group", "status:1", True, "To Do"),
        EffectiveRow(-2, 1, "issue", 1, True),
        EffectiveRow(-3, 2, "issue", 2, True),
        EffectiveRow(-4, 0, "group", "status:2", True, "Done"),
        EffectiveRow(-5, 1, "issue", 3, True),
        EffectiveRow(7, 0, "folder", 4, False),
    ]
    visible = effective_rows_for_viewer(rows, {2})
    assert [(r.row_id, r.depth) for r in visible] == [(-1, 0), (-3, 1), (7, 0)]


def test_time_limit_gives_a_partial_result_and_a_message(sim_tenant: Tenant) -> None:
    structure = structure_with(
        sim_tenant,
        ("insert.jql", {"jql": "project = WEB"}),
        ("extend.subtasks", {}),
    )
    result = structure_forest_generate(structure=structure, time_limit_s=0.0)
    assert not result.complete
    assert result.message is not None
    assert "time limit of 0 s" in result.message
    progress = generation_progress_get(structure=structure)
    assert progress is not None
    assert progress["state"] == "stopped"
    assert progress["message"] == result.message


def test_progress_reports_the_finished_generation(sim_tenant: Tenant) -> None:
    structure = structure_with(sim_tenant, ("insert.jql", {"jql": "key = WEB-4"}))
    assert generation_progress_get(structure=structure) is None
    generated = structure_forest_generated(structure=structure)
    progress = generation_progress_get(structure=structure)
    assert progress is not None
    assert progress["state"] == "done"
    assert progress["rows"] == 1
    assert progress["runId"] == generated.run_id
    assert gen_selectors.progress_key(structure).endswith(f":{structure.pk}:progress")
