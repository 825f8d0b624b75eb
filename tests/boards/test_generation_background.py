"""Boards of structures with generators, with a real Celery worker (not eager): the
board answers at once with the stored rows and a "generating" state, one task fills
the result cache, and the board then shows the generated rows."""

from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from django.db import connections

from boards.demo import demo_generated_structure_create
from hierarchies import tasks
from hierarchies.models import Structure
from jira_sync.models import Tenant
from tests.boards.conftest import BOB, CAROL, page_get
from tests.conftest import context_client, wait_until

pytestmark = pytest.mark.django_db(transaction=True)

SEARCH = "POST /rest/api/3/search/jql"


@pytest.fixture
def bugs(sim_tenant: Tenant) -> Structure:
    structure = demo_generated_structure_create(tenant=sim_tenant)
    assert structure is not None
    return structure


@pytest.fixture
def enqueued(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Structure IDs the board enqueued (recorded, not sent: no worker here)."""
    calls: list[int] = []
    monkeypatch.setattr(tasks.structure_generate, "delay", calls.append)
    return calls


def progress(tenant: Tenant, structure: Structure, account_id: str) -> dict[str, Any]:
    response = context_client(tenant, account_id).get(
        f"/api/v1/structures/{structure.pk}/generation"
    )
    assert response.status_code == 200
    return dict(response.json())


def board_html(tenant: Tenant, structure: Structure, account_id: str) -> str:
    response = page_get(tenant, f"/board/{structure.pk}/", account_id)
    assert response.status_code == 200
    return str(response.content.decode())


def test_cold_board_answers_with_stored_rows_and_enqueues_one_generation(
    sim_tenant, simulator, bugs, enqueued
):
    simulator.reset_call_counts()

    def one_request(account_id: str) -> str:
        try:
            return board_html(sim_tenant, bugs, account_id)
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=4) as pool:
        pages = list(pool.map(one_request, [BOB, CAROL, BOB, CAROL, BOB, CAROL]))

    assert enqueued == [bugs.pk]  # six viewers at once: one generation
    for html in pages:
        assert 'data-testid="generation-banner"' in html
        assert "Generating rows… (queued, 0 rows so far)" in html
        assert '"generating": true' in html
        assert 'data-generated="1"' not in html  # the stored rows only, for now
        assert "Open bugs" in html  # the stored folder is there at once
    assert SEARCH not in simulator.call_counts()  # nothing generated in the requests
    state = progress(sim_tenant, bugs, BOB)
    assert state["state"] == "running"
    assert state["stage"] == "queued"
    assert state["rows"] == 0

    rows = context_client(sim_tenant, BOB).get(
        f"/api/v1/boards/{bugs.pk}/rows?expandDepth=3"
    )
    assert rows.status_code == 200
    assert rows.json()["generating"] is True
    assert enqueued == [bugs.pk]  # still the one pending generation


def test_the_worker_generates_and_the_board_then_shows_generated_rows(
    sim_tenant, simulator, bugs, celery_worker
):
    first = board_html(sim_tenant, bugs, BOB)
    assert "Generating rows…" in first
    assert 'data-generated="1"' not in first

    assert wait_until(lambda: progress(sim_tenant, bugs, BOB)["state"] == "done")
    done = progress(sim_tenant, bugs, BOB)
    assert done["stage"] == "done"
    assert done["rows"] > 0
    assert done["message"] is None

    assert wait_until(
        lambda: (
            context_client(sim_tenant, BOB)
            .get(f"/api/v1/boards/{bugs.pk}/rows?expandDepth=3")
            .json()["generating"]
            is False
        )
    )
    rows = context_client(sim_tenant, BOB).get(
        f"/api/v1/boards/{bugs.pk}/rows?expandDepth=3"
    )
    assert 'data-item-type="group"' in rows.json()["html"]
    assert 'data-generated="1"' in rows.json()["html"]
    simulator.reset_call_counts()
    html = board_html(sim_tenant, bugs, CAROL)  # another viewer: from the cache
    assert 'data-generated="1"' in html
    assert "Generating rows…" not in html
    assert 'data-testid="generation-banner"' not in html
    assert SEARCH not in simulator.call_counts()


def test_eager_celery_keeps_generating_within_the_request(
    sim_tenant, simulator, bugs, enqueued, settings
):
    settings.CELERY_TASK_ALWAYS_EAGER = True
    html = board_html(sim_tenant, bugs, BOB)
    assert 'data-generated="1"' in html
    assert "Generating rows…" not in html
    assert enqueued == []
    assert progress(sim_tenant, bugs, BOB)["state"] == "done"


def test_the_effective_forest_api_stays_synchronous(sim_tenant, bugs, enqueued):
    body = (
        context_client(sim_tenant, BOB)
        .get(f"/api/v1/structures/{bugs.pk}/forest?effective=1")
        .json()
    )
    assert body["complete"] is True
    assert any(r.get("generated") for r in body["rows"])
    assert enqueued == []


def test_generate_task_is_idempotent_and_ignores_unknown_structures(
    sim_tenant, simulator, bugs
):
    assert tasks.structure_generate(987654) == 0
    rows = tasks.structure_generate(bugs.pk)
    assert rows > 0
    simulator.reset_call_counts()
    assert tasks.structure_generate(bugs.pk) == rows  # cached: Jira not asked again
    assert SEARCH not in simulator.call_counts()
    html = board_html(sim_tenant, bugs, BOB)
    assert 'data-generated="1"' in html
    assert "Generating rows…" not in html


def test_a_generation_jira_refuses_stops_with_a_message_and_a_refresh_retries(
    sim_tenant, simulator, bugs, enqueued, settings
):
    assert "Generating rows…" in board_html(sim_tenant, bugs, BOB)
    simulator.set_faults(error_rate=1.0, error_status=403)
    try:
        assert tasks.structure_generate(bugs.pk) == 0  # what the worker runs
    finally:
        simulator.clear_faults()

    state = progress(sim_tenant, bugs, BOB)
    assert state["state"] == "stopped"
    assert "Jira answered with an error" in state["message"]
    html = board_html(sim_tenant, bugs, CAROL)  # the board stops waiting and says why
    assert "Jira answered with an error" in html
    assert "data-generation-poll" not in html
    assert 'data-generated="1"' not in html
    assert enqueued == [bugs.pk]

    settings.GENERATOR_FAILED_RETRY_S = 0  # the wait before retrying is over
    simulator.set_faults(error_rate=1.0, error_status=403)
    try:
        tasks.structure_generate(bugs.pk)  # fails again: no marker kept this time
    finally:
        simulator.clear_faults()
    board_html(sim_tenant, bugs, BOB)  # a refresh asks for a new generation
    assert enqueued == [bugs.pk, bugs.pk]
    assert progress(sim_tenant, bugs, BOB)["state"] == "running"
