"""The iframe pages against the simulator's demo site: what each viewer sees."""

import re

import pytest

from hierarchies.models import Structure
from jira_sync.models import Tenant
from tests.boards.conftest import BOB, CAROL, CONTRACTOR, NO_GROUP, page_get
from tests.hierarchies.factories import structure_make

pytestmark = pytest.mark.django_db


def _keys(html: str) -> set[str]:
    return set(re.findall(r'data-key="([A-Z]+-\d+)"', html))


def _footer_points(html: str) -> str:
    footer = html.split('data-testid="totals"', 1)[1]
    return str(re.findall(r'sc-col-total sc-num">([^<]*)<', footer)[0])


def test_board_page_renders_top_rows_totals_and_edit_tools_for_an_editor(
    sim_tenant: Tenant, release: Structure
):
    response = page_get(sim_tenant, f"/board/{release.pk}/", BOB)
    html = response.content.decode()
    assert response.status_code == 200
    assert "Release plan" in html
    assert "WEB release" in html  # folder rows, expanded to their epics
    assert 'data-testid="edit-tools"' in html
    assert "/atlassian-connect/all.js" in html
    assert "frame-ancestors" in response["Content-Security-Policy"]
    assert int(_footer_points(html).replace(",", "")) > 0
    assert 'data-testid="jira-banner"' not in html


def test_board_page_for_view_only_user_has_no_edit_tools(
    sim_tenant: Tenant, release: Structure
):
    html = page_get(sim_tenant, f"/board/{release.pk}/", CAROL).content.decode()
    assert 'data-testid="edit-tools"' not in html
    assert 'draggable="true"' not in html
    assert ">View<" in html


def test_contractor_sees_neither_rows_nor_totals_of_restricted_projects(
    sim_tenant: Tenant, release: Structure
):
    bob = page_get(sim_tenant, f"/board/{release.pk}/", BOB).content.decode()
    ken = page_get(sim_tenant, f"/board/{release.pk}/", CONTRACTOR).content.decode()
    assert any(k.startswith("MOB-") for k in _keys(bob))
    assert _keys(ken)
    assert all(k.startswith("WEB-") for k in _keys(ken))
    bob_points = int(_footer_points(bob).replace(",", ""))
    ken_points = int(_footer_points(ken).replace(",", ""))
    assert 0 < ken_points < bob_points


def test_board_page_without_access_is_a_clear_page_not_an_error(sim_tenant: Tenant):
    private = structure_make(sim_tenant, owner=BOB, name="Bob private plan")
    response = page_get(sim_tenant, f"/board/{private.pk}/", NO_GROUP)
    html = response.content.decode()
    assert response.status_code == 404
    assert "We can't find this structure" in html
    assert "Bob private plan" not in html
    missing = page_get(sim_tenant, "/board/999999/", BOB)
    assert missing.status_code == 404
    assert 'data-testid="unavailable"' in missing.content.decode()


def test_board_page_refuses_a_bad_token(sim_tenant: Tenant, release: Structure):
    from django.test import Client

    response = Client().get(f"/board/{release.pk}/?jwt=not-a-token")
    assert response.status_code == 401


def test_structure_list_tabs_and_links(sim_tenant: Tenant, demo: dict[str, Structure]):
    structure_make(sim_tenant, owner=BOB, name="Bob own plan")
    html = page_get(sim_tenant, "/board/", BOB).content.decode()
    assert "Release plan" in html
    assert "Finance close" in html
    assert "Bob own plan" in html
    assert re.search(r'href="/board/\d+/\?jwt=', html)
    mine = page_get(sim_tenant, "/board/", BOB, "tab=mine").content.decode()
    assert "Bob own plan" in mine
    assert "Release plan" not in mine
    shared = page_get(sim_tenant, "/board/", BOB, "tab=shared").content.decode()
    assert "Release plan" in shared
    assert "Bob own plan" not in shared
    search = page_get(sim_tenant, "/board/", BOB, "q=finance").content.decode()
    assert "Finance close" in search
    assert "Release plan" not in search
    favorites = page_get(sim_tenant, "/board/", BOB, "tab=favorites").content.decode()
    assert "No favorites yet" in favorites


def test_in_app_links_open_the_board_with_a_fresh_page_token(
    sim_tenant: Tenant, release: Structure
):
    from django.test import Client

    html = page_get(sim_tenant, "/board/", BOB).content.decode()
    link = re.search(rf'href="(/board/{release.pk}/\?jwt=[^"]+)"', html)
    assert link
    response = Client().get(link.group(1).replace("&amp;", "&"))
    assert response.status_code == 200
    assert "Release plan" in response.content.decode()


def test_project_page_lists_structures_with_the_projects_issues(
    sim_tenant: Tenant, demo: dict[str, Structure]
):
    html = page_get(
        sim_tenant, "/board/project/", BOB, "projectKey=WEB"
    ).content.decode()
    assert "Release plan" in html
    assert "Finance close" not in html
    bad = page_get(sim_tenant, "/board/project/", BOB, "projectKey=x%22y")
    assert bad.status_code == 400


def test_issue_panel_lists_structures_holding_the_issue_only_if_browsable(
    sim_tenant: Tenant, release: Structure, simulator
):
    mob = simulator.issue("MOB-1")
    shown = page_get(
        sim_tenant, "/board/issue-panel/", CAROL, f"issueKey=MOB-1&issueId={mob.id}"
    ).content.decode()
    assert "Release plan" in shown
    hidden = page_get(
        sim_tenant,
        "/board/issue-panel/",
        CONTRACTOR,
        f"issueKey=MOB-1&issueId={mob.id}",
    ).content.decode()
    assert "Release plan" not in hidden
    assert "In no structure" in hidden


def test_generated_structure_shows_group_rows_and_generated_issues(
    sim_tenant: Tenant, demo: dict[str, Structure], settings
):
    settings.CELERY_TASK_ALWAYS_EAGER = True  # the demo: generated within the request
    bugs = demo["Open bugs by status"]
    html = page_get(sim_tenant, f"/board/{bugs.pk}/", BOB).content.decode()
    assert 'data-item-type="group"' in html
    assert 'data-generated="1"' in html
    assert "Bug" in html


def test_seed_demo_is_idempotent(sim_tenant: Tenant, demo: dict[str, Structure]):
    from boards.demo import demo_structures_seed

    assert demo_structures_seed(tenant=sim_tenant) == []
    assert set(demo) == {"Release plan", "Finance close", "Open bugs by status"}
