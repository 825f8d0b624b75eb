"""The board in Chromium, inside the simulator's host page (a cross-origin iframe)."""

import re
from typing import Any

import pytest
from playwright.sync_api import FrameLocator, Page, expect

from boards.models import View, ViewLevel
from boards.selectors import ViewAccess
from boards.services import view_permissions_replace
from hierarchies.models import Structure
from hierarchies.selectors import forest_rows_get
from tests.boards.conftest import BOB, CAROL, CONTRACTOR
from tests.e2e.conftest import shot

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

TIMEOUT = 20_000


def open_board(page: Page, site: dict[str, Any], user: str, name: str) -> FrameLocator:
    page.goto(f"{site['host']}/?user={user}")
    frame = page.frame_locator("#app-frame")
    frame.locator("[data-testid=structure-link]", has_text=name).click(timeout=TIMEOUT)
    frame.locator("body[data-board-ready='1']").wait_for(timeout=TIMEOUT)
    return frame


def save_view_as(frame: FrameLocator, name: str) -> None:
    """Save as a new view and wait for the board to show it."""
    frame.locator("[data-testid=view-save-as]").click()
    frame.locator("[data-testid=view-name]").fill(name)
    frame.locator("[data-testid=view-dialog-submit]").click()
    expect(frame.locator("[data-testid=view-select] option:checked")).to_have_text(
        name, timeout=TIMEOUT
    )
    frame.locator("body[data-board-ready='1']").wait_for(timeout=TIMEOUT)


def row(frame: FrameLocator, key: str) -> Any:
    return frame.locator(f"tr.sc-row[data-key='{key}']")


def test_board_loads_in_the_host_iframe_and_expands_and_collapses(
    page: Page, site: dict[str, Any]
):
    frame = open_board(page, site, BOB, "Release plan")
    src = page.locator("#app-frame").get_attribute("src") or ""
    assert src.startswith("http://localhost")
    expect(frame.locator("[data-testid=structure-name]")).to_have_text("Release plan")
    expect(row(frame, "WEB-1")).to_be_visible()
    expect(row(frame, "WEB-2")).to_have_count(0)
    shot(page, "board-loaded")
    row(frame, "WEB-1").locator(".sc-toggle").click()
    expect(row(frame, "WEB-2")).to_be_visible(timeout=TIMEOUT)
    expect(row(frame, "WEB-1").locator(".sc-toggle")).to_have_attribute(
        "aria-expanded", "true"
    )
    shot(page, "board-expanded")
    row(frame, "WEB-1").locator(".sc-toggle").click()
    expect(row(frame, "WEB-2")).to_have_count(0)
    # Keyboard: ArrowRight on the active row expands it again, ArrowLeft collapses.
    row(frame, "WEB-1").click(position={"x": 400, "y": 10})
    page.keyboard.press("ArrowRight")
    expect(row(frame, "WEB-2")).to_be_visible(timeout=TIMEOUT)
    page.keyboard.press("ArrowLeft")
    expect(row(frame, "WEB-2")).to_have_count(0)
    totals = frame.locator("[data-testid=totals]")
    expect(totals).to_contain_text("Total")


def test_expand_to_level_and_quick_filter(page: Page, site: dict[str, Any]):
    frame = open_board(page, site, BOB, "Release plan")
    # The filter searches the whole tree: the story is not loaded before it.
    expect(row(frame, "WEB-8")).to_have_count(0)
    frame.locator("[data-testid=quick-filter]").fill("address autocomplete")
    expect(row(frame, "WEB-8")).to_be_visible(timeout=TIMEOUT)
    expect(row(frame, "WEB-8")).to_have_class(re.compile("is-match"))
    expect(row(frame, "WEB-24")).to_have_count(0)
    expect(row(frame, "WEB-1")).to_be_visible()  # the ancestor stays
    expect(frame.locator("[data-testid=filter-count]")).to_have_text("1 match")
    shot(page, "board-filtered")
    frame.locator("[data-testid=quick-filter]").fill("")
    expect(row(frame, "WEB-24")).to_be_visible(timeout=TIMEOUT)
    expect(row(frame, "WEB-8")).to_have_count(0)
    frame.locator("[data-testid=expand-level]").select_option("99")
    expect(row(frame, "WEB-5")).to_be_visible(timeout=TIMEOUT)  # a sub-task


def test_drag_and_drop_move_persists_after_reload(page: Page, site: dict[str, Any]):
    release: Structure = site["structures"]["Release plan"]
    frame = open_board(page, site, BOB, "Release plan")
    expect(frame.locator("[data-testid=edit-tools]")).to_be_visible()
    row(frame, "WEB-1").locator(".sc-toggle").click()
    expect(row(frame, "WEB-8")).to_be_visible(timeout=TIMEOUT)
    version = Structure.objects.get(pk=release.pk).version
    # Drop story WEB-8 into the middle of epic WEB-24: it becomes WEB-24's first child.
    row(frame, "WEB-8").drag_to(
        row(frame, "WEB-24"), target_position={"x": 300, "y": 18}
    )
    expect(frame.locator("[data-testid=flag]")).to_contain_text(
        "moved", timeout=TIMEOUT
    )
    after = Structure.objects.get(pk=release.pk)
    assert after.version == version + 1
    rows = forest_rows_get(structure=after).rows
    index = {r.item_id: i for i, r in enumerate(rows)}
    epic_24 = site["simulator"].issue("WEB-24").id
    story_8 = site["simulator"].issue("WEB-8").id
    assert index[story_8] == index[epic_24] + 1
    assert rows[index[story_8]].depth == rows[index[epic_24]].depth + 1
    page.reload()
    frame = page.frame_locator("#app-frame")
    frame.locator("[data-testid=structure-link]", has_text="Release plan").click()
    frame.locator("body[data-board-ready='1']").wait_for(timeout=TIMEOUT)
    row(frame, "WEB-24").locator(".sc-toggle").click()
    expect(row(frame, "WEB-8")).to_be_visible(timeout=TIMEOUT)
    assert row(frame, "WEB-8").get_attribute("data-parent") == row(
        frame, "WEB-24"
    ).get_attribute("data-row-id")
    shot(page, "board-after-move")


def test_view_only_user_cannot_move(page: Page, site: dict[str, Any]):
    release: Structure = site["structures"]["Release plan"]
    frame = open_board(page, site, CAROL, "Release plan")
    expect(frame.locator("[data-testid=access-level]")).to_have_text("View")
    expect(frame.locator("[data-testid=edit-tools]")).to_have_count(0)
    expect(frame.locator("tr.sc-row[draggable='true']")).to_have_count(0)
    version = Structure.objects.get(pk=release.pk).version
    row(frame, "MOB-1").drag_to(row(frame, "MOB-20"))
    page.wait_for_timeout(500)
    assert Structure.objects.get(pk=release.pk).version == version
    shot(page, "board-view-only")


def test_contractor_does_not_see_restricted_issues(page: Page, site: dict[str, Any]):
    frame = open_board(page, site, CONTRACTOR, "Release plan")
    frame.locator("[data-testid=expand-level]").select_option("99")
    expect(row(frame, "WEB-5")).to_be_visible(timeout=TIMEOUT)
    keys = frame.locator("tr.sc-row[data-key]").evaluate_all(
        "rows => rows.map(r => r.getAttribute('data-key')).filter(Boolean)"
    )
    assert keys
    assert all(k.startswith("WEB-") for k in keys)
    shot(page, "board-contractor")


def test_key_link_navigates_the_host_to_the_issue(page: Page, site: dict[str, Any]):
    frame = open_board(page, site, BOB, "Release plan")
    frame.locator("a[data-issue-key='WEB-1']").click()
    page.wait_for_url(re.compile(r"/browse/WEB-1$"), timeout=TIMEOUT)
    expect(page.locator("body")).to_contain_text("WEB-1")
    shot(page, "host-issue-page")


def test_issue_view_shows_the_structures_panel_for_what_the_viewer_may_see(
    page: Page, site: dict[str, Any]
):
    page.goto(f"{site['host']}/browse/MOB-1?user={CAROL}")
    panel = page.frame_locator("[data-web-panel] #app-frame")
    expect(panel.locator("[data-testid=hits]")).to_contain_text(
        "Release plan", timeout=TIMEOUT
    )
    shot(page, "host-issue-panel")
    # A structure opens as a full Jira page (AP.navigator.go "addonmodule"), not
    # inside the narrow panel.
    panel.locator("[data-testid=hits] a", has_text="Release plan").click()
    page.wait_for_url(
        re.compile(r"/plugins/servlet/ac/[^/]+/structure-board\?ac\.structureId=\d+$")
    )
    board = page.frame_locator("#app-frame")
    board.locator("body[data-board-ready='1']").wait_for(timeout=TIMEOUT)
    expect(board.locator("h1")).to_have_text("Release plan")
    expect(row(board, "MOB-1")).to_be_visible()
    # WEB-1 is in the Release plan too, but the contractor sees only WEB's rows of it:
    # the panel shows the structure for WEB-1, and MOB-1 is no page for them at all.
    page.goto(f"{site['host']}/browse/WEB-1?user={CONTRACTOR}")
    panel = page.frame_locator("[data-web-panel] #app-frame")
    expect(panel.locator("[data-testid=hits]")).to_contain_text(
        "Release plan", timeout=TIMEOUT
    )
    page.goto(f"{site['host']}/browse/MOB-1?user={CONTRACTOR}")
    expect(page.locator("body")).to_contain_text("do not have permission")
    expect(page.locator("[data-web-panel]")).to_have_count(0)


def test_column_change_is_modified_until_saved_and_stays_after_reload(
    page: Page, site: dict[str, Any]
):
    release: Structure = site["structures"]["Release plan"]
    planning = View.objects.get(structure=release, name="Planning")
    view_permissions_replace(
        view_access=ViewAccess(planning, ViewLevel.MANAGE, []),
        actor="structure-cloud-demo",
        rules=[{"subject_type": "user", "account_id": BOB, "level": 20}],
    )
    frame = open_board(page, site, BOB, "Release plan")
    heads = frame.locator(".sc-board thead th")
    expect(heads).not_to_contain_text(["Type"])
    expect(frame.locator("[data-testid=view-modified]")).to_be_hidden()
    frame.locator("[data-testid=columns-button]").click()
    frame.locator("[data-testid=column-add-kind]").select_option("issuetype")
    frame.locator("[data-testid=column-add]").click()
    expect(heads.last).to_have_text("Type", timeout=TIMEOUT)
    expect(row(frame, "WEB-1").locator("td.sc-col-issuetype")).to_have_text("Epic")
    expect(frame.locator("[data-testid=view-modified]")).to_be_visible()
    shot(page, "board-columns-modified")
    frame.locator("[data-testid=columns-panel] [data-action=columns-close]").click()
    frame.locator("[data-testid=view-save]").click()
    expect(frame.locator("[data-testid=flag]")).to_contain_text(
        "saved", timeout=TIMEOUT
    )
    expect(frame.locator("[data-testid=view-modified]")).to_be_hidden()
    planning.refresh_from_db()
    assert planning.columns[-1]["kind"] == "issuetype"
    page.reload()
    frame = page.frame_locator("#app-frame")
    frame.locator("[data-testid=structure-link]", has_text="Release plan").click()
    frame.locator("body[data-board-ready='1']").wait_for(timeout=TIMEOUT)
    expect(frame.locator(".sc-board thead th").last).to_have_text("Type")
    expect(frame.locator("[data-testid=view-modified]")).to_be_hidden()


def reopen_board(page: Page, site: dict[str, Any], user: str) -> FrameLocator:
    """The host page loaded again (Jira reloads the iframe on many navigations)."""
    return open_board(page, site, user, "Release plan")


def add_type_column(frame: FrameLocator) -> None:
    frame.locator("[data-testid=columns-button]").click()
    frame.locator("[data-testid=column-add-kind]").select_option("issuetype")
    frame.locator("[data-testid=column-add]").click()
    expect(frame.locator(".sc-board thead th").last).to_have_text(
        "Type", timeout=TIMEOUT
    )
    frame.locator("[data-testid=columns-panel] [data-action=columns-close]").click()


def test_unsaved_column_changes_survive_a_reload_until_discarded(
    page: Page, site: dict[str, Any]
):
    frame = open_board(page, site, CAROL, "Release plan")
    add_type_column(frame)
    heads = ".sc-board thead th"

    frame = reopen_board(page, site, CAROL)
    expect(frame.locator(heads).last).to_have_text("Type", timeout=TIMEOUT)
    expect(row(frame, "WEB-1").locator("td.sc-col-issuetype")).to_have_text("Epic")
    expect(frame.locator("[data-testid=view-modified]")).to_be_visible()
    expect(frame.locator("[data-testid=flag]")).to_contain_text("unsaved column")

    # Another user in the same tab gets the view as saved, not Carol's changes.
    frame = reopen_board(page, site, BOB)
    expect(frame.locator(heads)).not_to_contain_text(["Type"])
    expect(frame.locator("[data-testid=view-modified]")).to_be_hidden()

    frame = reopen_board(page, site, CAROL)
    expect(frame.locator("[data-testid=view-modified]")).to_be_visible(timeout=TIMEOUT)
    frame.locator("[data-testid=view-discard]").click()
    expect(frame.locator(heads)).not_to_contain_text(["Type"], timeout=TIMEOUT)
    frame = reopen_board(page, site, CAROL)
    expect(frame.locator(heads)).not_to_contain_text(["Type"])
    expect(frame.locator("[data-testid=view-modified]")).to_be_hidden()


def test_unsaved_changes_are_dropped_when_the_view_was_saved_since(
    page: Page, site: dict[str, Any]
):
    release: Structure = site["structures"]["Release plan"]
    frame = open_board(page, site, CAROL, "Release plan")
    add_type_column(frame)
    planning = View.objects.get(structure=release, name="Planning")
    planning.columns = [c for c in planning.columns if c["kind"] != "assignee"]
    planning.save(update_fields=["columns"])  # someone with Update saved it meanwhile

    frame = reopen_board(page, site, CAROL)
    expect(frame.locator("[data-testid=flag]")).to_contain_text(
        "changed since", timeout=TIMEOUT
    )
    expect(frame.locator(".sc-board thead th")).not_to_contain_text(["Type"])
    expect(frame.locator(".sc-board thead th.sc-col-assignee")).to_have_count(0)
    expect(frame.locator("[data-testid=view-modified]")).to_be_hidden()


def test_use_only_viewer_saves_changes_as_a_new_view(page: Page, site: dict[str, Any]):
    frame = open_board(page, site, CAROL, "Release plan")
    frame.locator("[data-testid=columns-button]").click()
    frame.locator(
        "[data-testid=column-list] li[data-kind=assignee] [data-action=column-remove]"
    ).click()
    expect(frame.locator(".sc-board thead th.sc-col-assignee")).to_have_count(
        0, timeout=TIMEOUT
    )
    expect(frame.locator("[data-testid=view-modified]")).to_be_visible()
    expect(frame.locator("[data-testid=view-save]")).to_be_disabled()
    frame.locator("[data-testid=columns-panel] [data-action=columns-close]").click()
    save_view_as(frame, "Carol without people")
    expect(frame.locator(".sc-board thead th.sc-col-assignee")).to_have_count(0)
    expect(frame.locator("[data-testid=view-modified]")).to_be_hidden()
    mine = View.objects.get(name="Carol without people")
    assert mine.owner_account_id == CAROL
    assert "assignee" not in [c["kind"] for c in mine.columns]
    planning = View.objects.get(structure=mine.structure, name="Planning")
    assert planning.columns != mine.columns
