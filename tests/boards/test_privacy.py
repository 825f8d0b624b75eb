"""The promise the whole board keeps: no Jira field value is ever stored at rest."""

import pytest
from rest_framework.test import APIClient

from boards.demo import demo_structures_seed
from hierarchies.models import Structure
from jira_simulator import SimulatorHandle
from jira_sync.models import Tenant
from tests.boards.conftest import BOB, CONTRACTOR, page_get
from tests.conftest import context_client, database_text_holding

pytestmark = pytest.mark.django_db


def test_a_full_board_workload_stores_no_issue_field_data(
    sim_tenant: Tenant, simulator: SimulatorHandle
):
    demo_structures_seed(tenant=sim_tenant)
    structures = list(Structure.objects.filter(tenant=sim_tenant))
    assert len(structures) == 3
    bob: APIClient = context_client(sim_tenant, BOB)
    for structure in structures:
        for account_id in (BOB, CONTRACTOR):
            page = page_get(sim_tenant, f"/board/{structure.pk}/", account_id)
            assert page.status_code == 200
        for query in ("expandDepth=3", "q=checkout", "q=WEB-1"):
            rows = bob.get(f"/api/v1/boards/{structure.pk}/rows?{query}")
            assert rows.status_code == 200
        effective = bob.get(f"/api/v1/structures/{structure.pk}/forest?effective=1")
        assert effective.status_code == 200
        for kind in ("csv", "xlsx"):
            exported = bob.get(f"/api/v1/boards/{structure.pk}/export?type={kind}")
            assert exported.status_code == 200
    release = next(s for s in structures if s.name == "Release plan")
    added = bob.post(
        f"/api/v1/boards/{release.pk}/items",
        {"version": release.version, "key": "WEB-2"},
        format="json",
    )
    assert added.status_code == 201
    shown = bob.get(f"/api/v1/boards/{release.pk}/rows?expandDepth=3").json()["html"]
    assert simulator.issue("WEB-4").summary in shown  # field data did flow through
    needles = {
        issue.summary
        for issue in (simulator.issue(f"WEB-{n}") for n in range(1, 60))
        if len(issue.summary) >= 8
    }
    assert len(needles) > 40
    # Issue keys too: the database refers to issues by numeric ID only.
    needles |= {f"WEB-{n}" for n in range(1, 60)}
    assert database_text_holding(needles) == []
