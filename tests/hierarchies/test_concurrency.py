"""Concurrent editors on real PostgreSQL: nobody overwrites anybody silently."""

import threading
from typing import Any

import pytest
from django.db import connection

from hierarchies import selectors
from hierarchies.models import Structure
from tests.conftest import context_client
from tests.hierarchies.conftest import OWNER, add, forest_url
from tests.hierarchies.factories import structure_make

pytestmark = pytest.mark.django_db(transaction=True)


def in_threads(count, work) -> list[Any]:
    results: list[Any] = [None] * count
    barrier = threading.Barrier(count)

    def run(index):
        try:
            barrier.wait()
            results[index] = work(index)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return results


def test_two_editors_with_the_same_version_one_wins_one_gets_409(sim_tenant, issue_id):
    structure = structure_make(sim_tenant, owner=OWNER)
    url = forest_url(structure)
    items = [issue_id("WEB-2"), issue_id("WEB-3")]

    def edit(index):
        client = context_client(sim_tenant, OWNER)
        response = client.post(
            url, {"version": 1, "actions": [add(items[index])]}, format="json"
        )
        return response.status_code, response.json()

    results = in_threads(2, edit)
    assert sorted(code for code, _ in results) == [200, 409]
    loser = next(body for code, body in results if code == 409)
    assert loser["version"] == 2
    rows = selectors.forest_rows_get(
        structure=Structure.objects.get(pk=structure.pk)
    ).rows
    assert len(rows) == 1


def test_twenty_writers_retrying_on_409_all_land(sim_tenant, issue_id):
    structure = structure_make(sim_tenant, owner=OWNER)
    url = forest_url(structure)
    # Twenty issues the owner may browse: every reader's forest goes through Jira.
    items = [issue_id(f"WEB-{n}") for n in range(101, 121)]

    def edit(index):
        client = context_client(sim_tenant, OWNER)
        for _ in range(200):
            version = client.get(url).json()["version"]
            response = client.post(
                url, {"version": version, "actions": [add(items[index])]}, format="json"
            )
            if response.status_code == 200:
                return response.json()["version"]
            assert response.status_code == 409
        raise AssertionError("writer never got through")

    versions = in_threads(20, edit)
    assert sorted(versions) == list(range(2, 22))
    final = Structure.objects.get(pk=structure.pk)
    assert final.version == 21
    landed = sorted(r.item_id for r in selectors.forest_rows_get(structure=final).rows)
    assert landed == sorted(items)
