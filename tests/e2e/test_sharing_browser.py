"""Sharing a structure from its board, in Chromium inside the simulator's host page."""

from typing import Any

import pytest
from playwright.sync_api import Page, expect

from boards.models import View, ViewLevel, ViewPermission
from hierarchies import services
from hierarchies.models import Level, PermissionRule
from jira_simulator import datasets
from tests.e2e.conftest import shot
from tests.e2e.test_board_browser import TIMEOUT, open_board, save_view_as

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

ALICE = datasets.ADMIN
NORA = datasets.NO_GROUP


def test_owner_shares_a_new_structure_with_a_person_found_by_name(
    page: Page, site: dict[str, Any]
):
    structure = services.structure_create(
        tenant=site["tenant"], actor=ALICE, name="Alice's plan"
    )
    frame = open_board(page, site, ALICE, "Alice's plan")
    frame.locator("[data-testid=share-button]").click()
    dialog = frame.locator("[data-testid=share-dialog]")
    expect(dialog.locator("[data-testid=share-owner]")).to_have_text("Alice Adams")
    expect(dialog.locator("[data-testid=share-private]")).to_be_visible()

    search = dialog.locator("[data-testid=share-search]")
    search.fill("nor")
    found = dialog.locator("[data-testid=share-found]")
    expect(found).to_contain_text("Nora Novak", timeout=TIMEOUT)
    search.press("Escape")  # closes the matches, not the dialog
    expect(found).to_be_hidden()
    expect(dialog).to_be_visible()
    search.fill("nora")
    found.locator("button", has_text="Nora Novak").click(timeout=TIMEOUT)
    dialog.locator("[data-testid=share-role]").select_option(label="Developers in WEB")
    rules = dialog.locator("[data-testid=share-rules] li")
    expect(rules).to_have_count(2)
    rules.filter(has_text="Nora Novak").locator("select").select_option("EDIT")
    dialog.locator("button[aria-label='Remove Developers in WEB']").click()
    expect(rules).to_have_count(1)
    shot(page, "share-dialog")
    dialog.locator("[data-testid=share-save]").click()
    expect(frame.locator("[data-testid=flag]")).to_contain_text(
        "Sharing saved: 1 row", timeout=TIMEOUT
    )
    expect(dialog).to_be_hidden()
    saved = PermissionRule.objects.get(structure=structure)
    assert (saved.subject_type, saved.account_id, saved.level) == (
        "user",
        NORA,
        Level.EDIT,
    )

    # Nora, in no group, now finds it and may edit it, but not share it.
    frame = open_board(page, site, NORA, "Alice's plan")
    expect(frame.locator("[data-testid=access-level]")).to_have_text("Edit")
    expect(frame.locator("[data-testid=share-button]")).to_have_count(0)


def test_a_user_below_control_gets_no_share_button(page: Page, site: dict[str, Any]):
    frame = open_board(page, site, datasets.BOB, "Release plan")  # Bob: Edit
    expect(frame.locator("[data-testid=access-level]")).to_have_text("Edit")
    expect(frame.locator("[data-testid=share-button]")).to_have_count(0)


def test_a_view_is_shared_from_its_menu_with_view_levels(
    page: Page, site: dict[str, Any]
):
    frame = open_board(page, site, datasets.CAROL, "Release plan")  # Carol: View
    expect(frame.locator("[data-testid=share-button]")).to_have_count(0)
    save_view_as(frame, "Carol's columns")
    frame.locator("[data-testid=view-menu-button]").click()
    frame.locator("[data-testid=view-share]").click()
    dialog = frame.locator("[data-testid=share-dialog]")
    expect(dialog.locator("[data-testid=share-title]")).to_have_text(
        "Share the view Carol's columns", timeout=TIMEOUT
    )
    dialog.locator("[data-testid=share-search]").fill("bob")
    dialog.locator("[data-testid=share-found] button", has_text="Bob Brown").click(
        timeout=TIMEOUT
    )
    rule = dialog.locator("[data-testid=share-rules] li", has_text="Bob Brown")
    expect(rule.locator("select option")).to_have_text(["Use", "Update", "Manage"])
    rule.locator("select").select_option("UPDATE")
    dialog.locator("[data-testid=share-save]").click()
    expect(frame.locator("[data-testid=flag]")).to_contain_text(
        "Sharing saved: 1 row", timeout=TIMEOUT
    )
    view = View.objects.get(name="Carol's columns")
    shared = ViewPermission.objects.get(view=view)
    assert (shared.account_id, shared.level) == (datasets.BOB, ViewLevel.UPDATE)
