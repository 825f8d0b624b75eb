"""A generated structure in Chromium with a real Celery worker: the board opens at once
with a "Generating rows…" banner, polls the progress and shows the generated rows when
the worker is done."""

from typing import Any

import pytest
from playwright.sync_api import Page, expect

from structure_cloud.celery import app
from tests.boards.conftest import BOB
from tests.conftest import celery_worker_running
from tests.e2e.conftest import shot
from tests.e2e.test_board_browser import TIMEOUT, open_board

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_board_shows_progress_then_the_generated_rows(page: Page, site: dict[str, Any]):
    app.control.purge()  # this checkout's queue only (CELERY_TASK_DEFAULT_QUEUE)
    frame = open_board(page, site, BOB, "Open bugs by status")
    banner = frame.locator("[data-testid=generation-banner]")
    expect(banner).to_contain_text("Generating rows…")
    expect(frame.locator("tr.sc-row[data-generated='1']")).to_have_count(0)
    shot(page, "board-generating")

    # The worker starts only now: the board has been waiting on the enqueued task.
    with celery_worker_running():
        expect(frame.locator("tr.sc-row[data-item-type='group']").first).to_be_visible(
            timeout=TIMEOUT
        )
        expect(banner).to_have_count(0, timeout=TIMEOUT)
    expect(frame.locator("tr.sc-row[data-generated='1']").first).to_be_visible()
    shot(page, "board-generated")
