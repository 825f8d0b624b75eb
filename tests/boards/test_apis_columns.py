"""Columns on the board: the viewer's unsaved columns (``?columns=``), the field list
of the column menu, links to views, and the view level the page shows."""

import csv
import io
import json
import re
from collections.abc import Callable
from typing import Any

import pytest
from rest_framework.test import APIClient

from auditing.models import AuditEvent
from boards.models import View
from hierarchies.models import Structure
from jira_sync.models import Tenant
from tests.boards.conftest import BOB, CAROL, page_get
from tests.hierarchies.factories import structure_make

pytestmark = pytest.mark.django_db

Api = Callable[[str], APIClient]

LOCAL = [
    {"kind": "summary"},
    {"kind": "issuetype"},
    {"kind": "total", "fieldId": "customfield_10016", "agg": "max"},
    {"kind": "progress", "mode": "status"},
]


def rows(api: APIClient, structure: Structure, **params: Any) -> Any:
    return api.get(f"/api/v1/boards/{structure.pk}/rows", params)


def page_config(html: str) -> dict[str, Any]:
    found = re.search(
        r'<script id="sc-config" type="application/json">(.*?)</script>', html
    )
    assert found
    return dict(json.loads(found.group(1)))


def test_rows_with_unsaved_columns_show_them_and_leave_the_view_alone(
    api_for: Api, release: Structure
):
    planning = View.objects.get(structure=release, name="Planning")
    stored = list(planning.columns)
    data = rows(api_for(BOB), release, columns=json.dumps(LOCAL), expandDepth=1).json()
    assert re.findall(r"<th class=\"sc-col-(\w+)", data["headHtml"]) == [
        "summary",
        "issuetype",
        "total",
        "progress",
    ]
    assert "Max customfield_10016" in data["headHtml"]
    assert "sc-col-assignee" not in data["html"]
    assert "sc-col-issuetype" in data["html"]
    assert data["view"]["id"] == planning.pk
    assert data["view"]["level"] == "USE"
    planning.refresh_from_db()
    assert planning.columns == stored


def test_rows_refuse_bad_unsaved_columns_with_the_reason(
    api_for: Api, release: Structure
):
    no_summary = rows(api_for(BOB), release, columns=json.dumps([{"kind": "key"}]))
    assert no_summary.status_code == 400
    assert "summary" in no_summary.json()["fields"]["columns"][0]
    bad_agg = [{"kind": "summary"}, {"kind": "total", "fieldId": "x", "agg": "median"}]
    refused = rows(api_for(BOB), release, columns=json.dumps(bad_agg))
    assert "agg must be one of" in refused.json()["fields"]["columns"][0]
    not_json = rows(api_for(BOB), release, columns="[{")
    assert not_json.status_code == 400


def test_export_uses_the_unsaved_columns(api_for: Api, release: Structure):
    response = api_for(BOB).get(
        f"/api/v1/boards/{release.pk}/export",
        {"type": "csv", "columns": json.dumps(LOCAL[:2])},
    )
    assert response.status_code == 200
    header = next(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert "Type" in header
    assert "Assignee" not in header
    assert AuditEvent.objects.filter(action="board.exported").exists()


def test_field_list_offers_jira_fields_and_marks_numbers(
    api_for: Api, release: Structure, sim_tenant: Tenant
):
    response = api_for(CAROL).get(f"/api/v1/boards/{release.pk}/fields")
    assert response.status_code == 200
    fields = {f["id"]: f for f in response.json()}
    assert fields["customfield_10016"]["numeric"] is True
    assert fields["summary"]["numeric"] is False
    private = structure_make(sim_tenant, owner=BOB, name="Private")
    hidden = api_for(CAROL).get(f"/api/v1/boards/{private.pk}/fields")
    assert hidden.status_code == 404


def test_link_opens_a_view_the_viewer_may_use_only(api_for: Api, release: Structure):
    created = api_for(CAROL).post(
        f"/api/v1/structures/{release.pk}/views",
        {"name": "Carol's", "columns": LOCAL},
        format="json",
    )
    view_id = created.json()["id"]
    link = api_for(CAROL).get(f"/api/v1/boards/{release.pk}/link", {"view": view_id})
    assert link.status_code == 200
    assert f"view={view_id}" in link.json()["url"]
    assert "jwt=" in link.json()["url"]
    assert (
        api_for(BOB)
        .get(f"/api/v1/boards/{release.pk}/link", {"view": view_id})
        .status_code
        == 404
    )


def test_board_page_tells_the_script_the_viewers_level_on_the_default_view(
    sim_tenant: Tenant, release: Structure, api_for: Api
):
    carol_html = page_get(sim_tenant, f"/board/{release.pk}/", CAROL).content.decode()
    carol = page_config(carol_html)["view"]
    assert (carol["name"], carol["level"], carol["isDefault"]) == (
        "Planning",
        "USE",
        True,
    )
    assert 'data-action="view-rename" disabled' in carol_html
    # Bob (Edit on the structure) saves his own view as the default: he manages it.
    url = f"/api/v1/structures/{release.pk}/views"
    mine = api_for(BOB).post(
        url,
        {"name": "Bob's plan", "columns": LOCAL, "makeDefault": True},
        format="json",
    )
    assert mine.status_code == 201
    bob_html = page_get(sim_tenant, f"/board/{release.pk}/", BOB).content.decode()
    assert page_config(bob_html)["view"]["level"] == "MANAGE"
    assert 'data-action="view-rename">' in bob_html
    assert page_config(
        page_get(sim_tenant, f"/board/{release.pk}/", CAROL).content.decode()
    )["view"] == {**page_config(bob_html)["view"], "level": "USE"}
    shared = api_for(BOB).put(
        f"{url}/{mine.json()['id']}/permissions",
        {
            "rules": [
                {"subject": {"type": "user", "accountId": CAROL}, "level": "UPDATE"}
            ]
        },
        format="json",
    )
    assert shared.status_code == 200
    again = page_get(sim_tenant, f"/board/{release.pk}/", CAROL).content.decode()
    assert page_config(again)["view"]["level"] == "UPDATE"
