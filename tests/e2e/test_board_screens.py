"""The pages a user meets, in Chromium: the list, a board, an empty structure, a board
without access and a narrow (800 px) board. Screenshots go to test-artifacts/."""

from typing import Any

import pytest
from playwright.sync_api import Browser, FrameLocator, Page, expect

from tests.boards.conftest import BOB, CAROL
from tests.conftest import tenant_token
from tests.e2e.conftest import shot
from tests.e2e.test_board_browser import TIMEOUT, open_board
from tests.hierarchies.factories import structure_make

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

NO_SIDEWAYS_SCROLL = (
    "() => document.documentElement.scrollWidth <= window.innerWidth + 1"
)


def frame_fits(page: Page) -> bool:
    inner = page.frame(url=lambda url: "/board/" in url)
    assert inner is not None
    return bool(inner.evaluate(NO_SIDEWAYS_SCROLL))


def test_structure_list_shows_the_structures_with_access(
    page: Page, site: dict[str, Any]
):
    page.goto(f"{site['host']}/?user={BOB}")
    frame = page.frame_locator("#app-frame")
    frame.locator("body[data-list-ready='1']").wait_for(timeout=TIMEOUT)
    links = frame.locator("[data-testid=structure-link]")
    expect(links.first).to_be_visible()
    expect(frame.locator("[data-testid=structure-list]")).to_contain_text(
        "Release plan"
    )
    assert frame_fits(page)
    shot(page, "screen-list")


def test_board_and_its_column_menu(page: Page, site: dict[str, Any]):
    frame = open_board(page, site, BOB, "Release plan")
    expect(frame.locator("[data-testid=totals]")).to_contain_text("Total")
    assert frame_fits(page)
    shot(page, "screen-board")
    frame.locator("[data-testid=columns-button]").click()
    headers = frame.locator(".sc-board thead th").count()
    expect(frame.locator("[data-testid=column-list] li")).to_have_count(headers)
    frame.locator("[data-testid=column-add-kind]").select_option("total")
    expect(frame.locator("[data-testid=column-add-field]")).to_contain_text(
        "Story Points", timeout=TIMEOUT, ignore_case=True
    )
    shot(page, "screen-board-columns")


def test_empty_structure_invites_the_editor_to_fill_it(
    page: Page, site: dict[str, Any]
):
    structure_make(site["tenant"], owner=BOB, name="Empty plan")
    frame: FrameLocator = open_board(page, site, BOB, "Empty plan")
    empty = frame.locator("[data-testid=empty-board]")
    expect(empty).to_contain_text("This structure is empty")
    expect(frame.locator("[data-testid=edit-tools]")).to_be_visible()
    shot(page, "screen-empty")


def test_board_without_access_is_a_clear_page(
    page: Page, site: dict[str, Any], live_server: Any
):
    private = structure_make(site["tenant"], owner=BOB, name="Private plan")
    path = f"/board/{private.pk}/"
    token = tenant_token(site["tenant"], path=path, account_id=CAROL)
    page.goto(f"{live_server.url}{path}?jwt={token}")
    unavailable = page.locator("[data-testid=unavailable]")
    expect(unavailable).to_contain_text("We can't find this structure")
    expect(page.locator("a", has_text="Go to your structures")).to_be_visible()
    shot(page, "screen-no-access")


def test_board_is_usable_800_px_wide(browser: Browser, site: dict[str, Any]):
    context = browser.new_context(viewport={"width": 800, "height": 800})
    page = context.new_page()
    try:
        frame = open_board(page, site, BOB, "Release plan")
        expect(frame.locator("tr.sc-row").first).to_be_visible()
        expect(frame.locator("[data-testid=quick-filter]")).to_be_visible()
        expect(frame.locator("[data-testid=view-save-as]")).to_be_visible()
        shot(page, "screen-board-800")
        assert frame_fits(page)
    finally:
        context.close()
