"""The board's JSON API: rows on demand, export, adding items, views and their rights."""

import csv
import io
import json
import re
from collections.abc import Callable
from typing import Any

import pytest
from openpyxl import load_workbook
from rest_framework.test import APIClient

from auditing.models import AuditEvent
from boards.models import View
from hierarchies.models import Structure
from hierarchies.selectors import forest_rows_get
from jira_sync.models import Tenant
from tests.boards.conftest import BOB, CAROL, CONTRACTOR, NO_GROUP

pytestmark = pytest.mark.django_db

Api = Callable[[str], APIClient]


def rows_url(structure: Structure, **params: object) -> str:
    query = "&".join(f"{k}={v}" for k, v in params.items())
    return f"/api/v1/boards/{structure.pk}/rows" + (f"?{query}" if query else "")


def test_rows_expand_one_row_returns_its_children_only(
    api_for: Api, release: Structure
):
    top = api_for(BOB).get(rows_url(release, expandDepth=0)).json()
    folder_ids = re.findall(r'data-row-id="(\d+)"', top["html"])
    assert len(folder_ids) == 2  # the WEB and MOB folders
    assert top["version"] == release.version
    epics = (
        api_for(BOB).get(rows_url(release, under=folder_ids[0], expandDepth=1)).json()
    )
    depths = set(re.findall(r'data-depth="(\d+)"', epics["html"]))
    assert depths == {"1"}
    assert "Total" in epics["footerHtml"]
    assert epics["rowCount"] > 100


def test_rows_pages_further_rows_with_a_more_row(api_for: Api, release: Structure):
    first = api_for(BOB).get(rows_url(release, expandDepth=9, limit=50)).json()
    assert first["nextOffset"] == 50
    assert 'data-action="more"' in first["html"]
    second = (
        api_for(BOB).get(rows_url(release, expandDepth=9, limit=50, offset=50)).json()
    )
    first_ids = set(re.findall(r'data-row-id="(\d+)"', first["html"]))
    second_ids = set(re.findall(r'data-row-id="(\d+)"', second["html"]))
    assert len(second_ids) == 50
    assert not first_ids & second_ids


def test_rows_with_a_stale_version_or_gone_row_get_409(
    api_for: Api, release: Structure
):
    stale = api_for(BOB).get(rows_url(release, version=release.version + 5))
    assert stale.status_code == 409
    assert stale.json()["version"] == release.version
    gone = api_for(BOB).get(rows_url(release, under=987654))
    assert gone.status_code == 409


def test_rows_bad_input_is_a_clear_400(api_for: Api, release: Structure):
    response = api_for(BOB).get(rows_url(release, expandDepth="deep", limit=0))
    assert response.status_code == 400
    assert "error" in response.json()


def test_rows_of_a_structure_the_viewer_cannot_see_are_404(
    api_for: Api, sim_tenant: Tenant
):
    from tests.hierarchies.factories import structure_make

    private = structure_make(sim_tenant, owner=BOB, name="Private")
    assert api_for(NO_GROUP).get(rows_url(private)).status_code == 404


def test_export_csv_has_levels_totals_and_only_visible_issues(
    api_for: Api, release: Structure
):
    response = api_for(CONTRACTOR).get(f"/api/v1/boards/{release.pk}/export?type=csv")
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith(
        'attachment; filename="Release-plan-'
    )
    text = response.content.decode("utf-8-sig")
    table = list(csv.reader(io.StringIO(text)))
    header, body, total = table[0], table[1:-1], table[-1]
    assert header[:3] == ["Level", "Summary", "Key"]
    keys = [row[2] for row in body if row[2]]
    assert keys
    assert all(k.startswith("WEB-") for k in keys)
    assert {row[0] for row in body} >= {"1", "2", "3"}
    assert total[1] == "Total"
    event = AuditEvent.objects.get(action="board.exported")
    assert event.actor == CONTRACTOR
    assert event.data["format"] == "csv"
    assert event.data["rows"] == len(body)


def test_export_xlsx_keeps_the_hierarchy_as_outline_levels(
    api_for: Api, release: Structure
):
    response = api_for(BOB).get(f"/api/v1/boards/{release.pk}/export?type=xlsx")
    assert response.status_code == 200
    sheet: Any = load_workbook(io.BytesIO(response.content)).active
    assert sheet["A1"].value == "Summary"
    levels = {sheet.row_dimensions[r].outline_level for r in range(2, sheet.max_row)}
    assert levels >= {0, 1, 2, 3}
    keys = [sheet.cell(row=r, column=2).value for r in range(2, sheet.max_row)]
    assert any(k and k.startswith("MOB-") for k in keys)
    assert sheet.cell(row=sheet.max_row, column=1).value == "Total"
    linked = next(
        sheet.cell(row=r, column=2)
        for r in range(2, sheet.max_row)
        if sheet.cell(row=r, column=2).value
    )
    assert linked.hyperlink.target.endswith(f"/browse/{linked.value}")


def test_export_bad_format_is_refused(api_for: Api, release: Structure):
    response = api_for(BOB).get(f"/api/v1/boards/{release.pk}/export?type=pdf")
    assert response.status_code == 400
    assert not AuditEvent.objects.filter(action="board.exported").exists()


def test_add_issue_by_key_and_folder_for_editors(api_for: Api, release: Structure):
    url = f"/api/v1/boards/{release.pk}/items"
    added = api_for(BOB).post(
        url, {"version": release.version, "key": "web-2"}, format="json"
    )
    assert added.status_code == 201
    version = added.json()["version"]
    folder = api_for(BOB).post(
        url, {"version": version, "folder": "Inbox"}, format="json"
    )
    assert folder.status_code == 201
    rows = forest_rows_get(structure=Structure.objects.get(pk=release.pk)).rows
    assert rows[0].item_type == 1  # the new folder is first at the top
    stale = api_for(BOB).post(
        url, {"version": version, "folder": "Again"}, format="json"
    )
    assert stale.status_code == 409


def test_add_refused_for_view_only_and_bad_keys(api_for: Api, release: Structure):
    url = f"/api/v1/boards/{release.pk}/items"
    before = Structure.objects.get(pk=release.pk).version
    refused = api_for(CAROL).post(
        url, {"version": before, "key": "WEB-2"}, format="json"
    )
    assert refused.status_code == 403
    bad = api_for(BOB).post(
        url, {"version": before, "key": "DROP TABLE"}, format="json"
    )
    assert bad.status_code == 400
    both = api_for(BOB).post(
        url, {"version": before, "key": "WEB-2", "folder": "x"}, format="json"
    )
    assert both.status_code == 400
    hidden = api_for(BOB).post(url, {"version": before, "key": "FIN-1"}, format="json")
    assert hidden.status_code == 404
    assert Structure.objects.get(pk=release.pk).version == before


VIEW_COLUMNS = [{"kind": "summary"}, {"kind": "key"}, {"kind": "leaves"}]


def test_views_save_as_save_and_share_follow_view_levels(
    api_for: Api, release: Structure
):
    url = f"/api/v1/structures/{release.pk}/views"
    listed = api_for(CAROL).get(url).json()
    assert [v["name"] for v in listed][:1] == ["Planning"]
    assert listed[0]["isDefault"]
    created = api_for(CAROL).post(
        url, {"name": "Mine", "columns": VIEW_COLUMNS}, format="json"
    )
    assert created.status_code == 201
    view_id = created.json()["id"]
    assert created.json()["level"] == "MANAGE"
    assert "Mine" not in [v["name"] for v in api_for(BOB).get(url).json()]
    share = api_for(CAROL).put(
        f"{url}/{view_id}/permissions",
        {"rules": [{"subject": {"type": "user", "accountId": BOB}, "level": "UPDATE"}]},
        format="json",
    )
    assert share.status_code == 200
    assert "Mine" in [v["name"] for v in api_for(BOB).get(url).json()]
    saved = api_for(BOB).put(
        f"{url}/{view_id}", {"columns": VIEW_COLUMNS[:2]}, format="json"
    )
    assert saved.status_code == 200
    renamed = api_for(BOB).put(f"{url}/{view_id}", {"name": "Bob's"}, format="json")
    assert renamed.status_code == 403
    assert View.objects.get(pk=view_id).name == "Mine"
    deleted = api_for(BOB).delete(f"{url}/{view_id}")
    assert deleted.status_code == 403
    assert api_for(CAROL).delete(f"{url}/{view_id}").status_code == 204


@pytest.mark.parametrize(
    ("subject", "message"),
    [
        ({"type": "group"}, "a group subject needs name"),
        ({"type": "projectRole", "projectId": 10000}, "needs roleId"),
        ({"type": "robot"}, "robot"),
    ],
)
def test_view_sharing_refuses_incomplete_subjects(
    api_for: Api, release: Structure, subject: dict[str, Any], message: str
):
    url = f"/api/v1/structures/{release.pk}/views"
    mine = api_for(CAROL).post(
        url, {"name": "Mine", "columns": VIEW_COLUMNS}, format="json"
    )
    share = api_for(CAROL).put(
        f"{url}/{mine.json()['id']}/permissions",
        {"rules": [{"subject": subject, "level": "USE"}]},
        format="json",
    )
    assert share.status_code == 400
    assert message in json.dumps(share.json())
    assert not View.objects.get(pk=mine.json()["id"]).rules.exists()


def test_default_view_needs_edit_and_use_only_cannot_save(
    api_for: Api, release: Structure
):
    url = f"/api/v1/structures/{release.pk}/views"
    planning = next(
        v for v in api_for(CAROL).get(url).json() if v["name"] == "Planning"
    )
    assert planning["level"] == "USE"
    saved = api_for(CAROL).put(
        f"{url}/{planning['id']}", {"columns": VIEW_COLUMNS}, format="json"
    )
    assert saved.status_code == 403
    mine = (
        api_for(CAROL)
        .post(url, {"name": "Carol", "columns": VIEW_COLUMNS}, format="json")
        .json()
    )
    refused = api_for(CAROL).post(f"{url}/{mine['id']}/default")
    assert refused.status_code == 403
    bob_view = (
        api_for(BOB)
        .post(url, {"name": "Bob", "columns": VIEW_COLUMNS}, format="json")
        .json()
    )
    made = api_for(BOB).post(f"{url}/{bob_view['id']}/default")
    assert made.status_code == 200
    assert View.objects.get(is_default=True, structure=release).name == "Bob"


def test_views_reject_bad_columns_with_the_reason(api_for: Api, release: Structure):
    url = f"/api/v1/structures/{release.pk}/views"
    response = api_for(BOB).post(
        url, {"name": "Bad", "columns": [{"kind": "key"}]}, format="json"
    )
    assert response.status_code == 400
    assert "summary" in response.json()["error"]
    assert not View.objects.filter(name="Bad").exists()


def test_rows_use_the_requested_view_columns(api_for: Api, release: Structure):
    url = f"/api/v1/structures/{release.pk}/views"
    status = next(
        v for v in api_for(BOB).get(url).json() if v["name"] == "Status overview"
    )
    html = (
        api_for(BOB)
        .get(rows_url(release, view=status["id"], expandDepth=0))
        .json()["html"]
    )
    assert "sc-col-issues" in html
    assert "sc-col-assignee" in html
