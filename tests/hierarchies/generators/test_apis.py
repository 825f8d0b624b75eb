"""Generators through the JSON API, against the simulator's demo site."""

from __future__ import annotations

from typing import Any

import pytest
from rest_framework.test import APIClient

from hierarchies.models import GeneratorConfig, Structure
from jira_simulator import SimulatorHandle
from jira_sync.models import Tenant
from tests.conftest import context_client

pytestmark = pytest.mark.django_db

ALICE = "5b10ac8d82e05b22cc7d4a01"  # site admin: WEB and MOB
KEN = "5b10ac8d82e05b22cc7d4a11"  # contractor: WEB only


@pytest.fixture
def alice(sim_tenant: Tenant) -> APIClient:
    return context_client(sim_tenant, ALICE)


@pytest.fixture
def structure_id(alice: APIClient) -> int:
    response = alice.post("/api/v1/structures/", {"name": "Live"}, format="json")
    assert response.status_code == 201
    return int(response.json()["id"])


def add_generator(
    client: APIClient, structure_id: int, kind: str, config: dict[str, Any]
) -> dict[str, Any]:
    """A generator placed last at the top level."""
    forest = client.get(f"/api/v1/structures/{structure_id}/forest").json()
    top = [r["rowId"] for r in forest["rows"] if r["depth"] == 0]
    response = client.post(
        f"/api/v1/structures/{structure_id}/generators",
        {
            "kind": kind,
            "config": config,
            "under": None,
            "after": top[-1] if top else None,
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    return dict(response.json())


def effective(client: APIClient, structure_id: int) -> dict[str, Any]:
    response = client.get(f"/api/v1/structures/{structure_id}/forest?effective=1")
    assert response.status_code == 200, response.json()
    return dict(response.json())


def outline(body: dict[str, Any], sim: SimulatorHandle) -> str:
    lines = []
    for row in body["rows"]:
        if row["itemType"] == "issue":
            text = sim.issue(str(row["itemId"])).key
        elif row["itemType"] == "group":
            text = f"[{row['label']}]"
        else:
            text = f"{row['itemType']}/{row['itemId']}"
        lines.append(
            "  " * row["depth"] + text + (" *" if row.get("generated") else "")
        )
    return "\n".join(lines)


def build(client: APIClient, structure_id: int, *specs: tuple[str, dict[str, Any]]):
    for kind, config in specs:
        add_generator(client, structure_id, kind, config)


# ---- the effective forest ------------------------------------------------------------


def test_effective_forest_marks_generated_rows_and_group_rows(
    alice, structure_id, simulator
):
    folder = alice.post(
        f"/api/v1/structures/{structure_id}/folders",
        {"name": "Notes", "under": None},
        format="json",
    ).json()
    build(
        alice,
        structure_id,
        ("insert.jql", {"jql": "key in (WEB-4, WEB-8)"}),
        ("group.field", {"fieldId": "status"}),
    )
    body = effective(alice, structure_id)
    assert body["complete"] is True
    assert body["message"] is None
    assert (
        body["version"]
        == alice.get(f"/api/v1/structures/{structure_id}/forest").json()["version"]
    )
    assert body["rows"][0] == {
        "rowId": folder["rowId"],
        "depth": 0,
        "itemType": "folder",
        "itemId": folder["id"],
    }
    groups = [r for r in body["rows"] if r["itemType"] == "group"]
    assert groups, body
    assert all(r["generated"] is True and r["rowId"] < 0 for r in groups)
    assert all(isinstance(r["label"], str) for r in groups)
    issues = [r for r in body["rows"] if r["itemType"] == "issue"]
    assert sorted(simulator.issue(str(r["itemId"])).key for r in issues) == [
        "WEB-4",
        "WEB-8",
    ]
    assert all(r["generated"] is True for r in issues)
    # The stored forest is unchanged: only the folder and the generator rows.
    stored = alice.get(f"/api/v1/structures/{structure_id}/forest").json()
    assert [r["itemType"] for r in stored["rows"]] == [
        "folder",
        "generator",
        "generator",
    ]


KIND_CASES: list[tuple[str, list[tuple[str, dict[str, Any]]], str]] = [
    (
        "insert.jql",
        [("insert.jql", {"jql": "key in (WEB-5, WEB-4) ORDER BY key"})],
        "WEB-4 *\nWEB-5 *",
    ),
    (
        "insert.text",
        [("insert.text", {"text": "redesign"})],
        "WEB-2 *\nWEB-1 *\nWEB-3 *",
    ),
    (
        "insert.children",
        [("insert.children", {"issueId": 10003})],  # WEB-4
        "WEB-5 *\nWEB-6 *\nWEB-7 *",
    ),
    (
        "extend.links",
        [
            ("insert.jql", {"jql": "key = WEB-9"}),
            ("extend.links", {"linkTypeId": 10000, "direction": "outward"}),
        ],
        "WEB-9 *\n  WEB-10 *\n    WEB-11 *",
    ),
    (
        "extend.subtasks",
        [("insert.jql", {"jql": "key = WEB-4"}), ("extend.subtasks", {})],
        "WEB-4 *\n  WEB-5 *\n  WEB-6 *\n  WEB-7 *",
    ),
    (
        "extend.children",
        [("insert.jql", {"jql": "key = WEB-4"}), ("extend.children", {"levels": 1})],
        "WEB-4 *\n  WEB-5 *\n  WEB-6 *\n  WEB-7 *",
    ),
    (
        "filter.jql",  # WEB-7 is In Review; WEB-4 stays as the parent of matches
        [
            ("insert.jql", {"jql": "key = WEB-4"}),
            ("extend.subtasks", {}),
            ("filter.jql", {"jql": "status = Done"}),
        ],
        "WEB-4 *\n  WEB-5 *\n  WEB-6 *",
    ),
    (
        "filter.duplicates",  # the inserted WEB-5 is also WEB-4's sub-task
        [
            ("insert.jql", {"jql": "key in (WEB-4, WEB-5) ORDER BY key"}),
            ("extend.subtasks", {}),
            ("filter.duplicates", {}),
        ],
        "WEB-4 *\n  WEB-5 *\n  WEB-6 *\n  WEB-7 *",
    ),
    (
        "group.field",
        [
            ("insert.jql", {"jql": "key in (WEB-4, WEB-8) OR parent = WEB-4"}),
            ("group.field", {"fieldId": "status"}),
        ],
        "[To Do] *\n  WEB-4 *\n[In Progress] *\n  WEB-8 *\n[In Review] *\n"
        "  WEB-7 *\n[Done] *\n  WEB-6 *\n  WEB-5 *",
    ),
    (
        "sort.field",  # priorities: WEB-4 High, WEB-5 Medium, WEB-1 Lowest
        [
            ("insert.jql", {"jql": "key in (WEB-1, WEB-4, WEB-5) ORDER BY key"}),
            ("sort.field", {"fieldId": "priority", "direction": "asc"}),
        ],
        "WEB-4 *\nWEB-5 *\nWEB-1 *",
    ),
    (
        "sort.rank",  # ranks: WEB-2 < WEB-5 < WEB-4
        [
            ("insert.jql", {"jql": "key in (WEB-2, WEB-4, WEB-5) ORDER BY key DESC"}),
            ("sort.rank", {}),
        ],
        "WEB-2 *\nWEB-5 *\nWEB-4 *",
    ),
]


@pytest.mark.parametrize(
    ("specs", "expected"),
    [(specs, expected) for _, specs, expected in KIND_CASES],
    ids=[name for name, _, _ in KIND_CASES],
)
def test_each_kind_through_the_api(alice, structure_id, simulator, specs, expected):
    build(alice, structure_id, *specs)
    assert outline(effective(alice, structure_id), simulator) == expected


# ---- viewers -------------------------------------------------------------------------


def test_two_viewers_see_their_own_effective_forest(
    alice, structure_id, sim_tenant, simulator
):
    build(
        alice,
        structure_id,
        ("insert.jql", {"jql": "key in (WEB-4, MOB-2) ORDER BY key DESC"}),
        ("extend.subtasks", {}),
        ("group.field", {"fieldId": "project"}),
    )
    granted = alice.put(
        f"/api/v1/structures/{structure_id}/permissions",
        {"rules": [{"subject": {"type": "user", "accountId": KEN}, "level": "VIEW"}]},
        format="json",
    )
    assert granted.status_code == 200
    ken = context_client(sim_tenant, KEN)
    assert outline(effective(alice, structure_id), simulator) == (
        "[Mobile App] *\n  MOB-2 *\n"
        "[Web Platform] *\n  WEB-4 *\n    WEB-5 *\n    WEB-6 *\n    WEB-7 *"
    )
    # Ken may not browse MOB: its issue and its now empty group are left out.
    assert outline(effective(ken, structure_id), simulator) == (
        "[Web Platform] *\n  WEB-4 *\n    WEB-5 *\n    WEB-6 *\n    WEB-7 *"
    )
    # Someone without a rule does not learn the structure exists.
    nora = context_client(sim_tenant, "5b10ac8d82e05b22cc7d4a12")
    assert (
        nora.get(f"/api/v1/structures/{structure_id}/forest?effective=1").status_code
        == 404
    )


# ---- configurations Jira refuses -----------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "config", "message"),
    [
        ("insert.jql", {"jql": "project = = WEB"}, "Error in the JQL Query"),
        ("insert.jql", {"jql": "project = NOPE"}, "'NOPE'"),
        ("filter.jql", {"jql": "nosuchfield = 1"}, "nosuchfield"),
        (
            "extend.links",
            {"linkTypeId": 99999, "direction": "outward"},
            "Unknown link type 99999. Link types of this site: 10000 (Blocks)",
        ),
        ("group.field", {"fieldId": "customfield_99999"}, "Unknown field"),
        ("sort.field", {"fieldId": "nope"}, "Unknown field 'nope'"),
        ("insert.children", {"issueId": 99999999}, "Issue 99999999 does not exist"),
    ],
)
def test_bad_configuration_is_rejected_with_the_reason(
    alice, structure_id, kind, config, message
):
    url = f"/api/v1/structures/{structure_id}/generators"
    response = alice.post(url, {"kind": kind, "config": config}, format="json")
    assert response.status_code == 400
    assert message in response.json()["error"]
    assert not GeneratorConfig.objects.filter(structure_id=structure_id).exists()
    assert Structure.objects.get(pk=structure_id).version == 1


def test_changing_a_generator_to_bad_jql_keeps_the_old_configuration(
    alice, structure_id
):
    generator = add_generator(alice, structure_id, "insert.jql", {"jql": "key = WEB-4"})
    url = f"/api/v1/structures/{structure_id}/generators/{generator['id']}"
    response = alice.put(url, {"config": {"jql": "key = = WEB-4"}}, format="json")
    assert response.status_code == 400
    assert "Error in the JQL Query" in response.json()["error"]
    assert alice.get(url).json()["config"] == {"jql": "key = WEB-4"}
    good = alice.put(url, {"config": {"jql": "key = WEB-5"}}, format="json")
    assert good.status_code == 200
    assert good.json()["config"] == {"jql": "key = WEB-5"}


def test_jira_down_is_a_503_not_a_500(alice, structure_id, simulator):
    build(alice, structure_id, ("insert.jql", {"jql": "key = WEB-4"}))
    simulator.set_faults(error_rate=1.0, error_status=503)
    try:
        response = alice.get(f"/api/v1/structures/{structure_id}/forest?effective=1")
        created = alice.post(
            f"/api/v1/structures/{structure_id}/generators",
            {"kind": "insert.jql", "config": {"jql": "key = WEB-5"}},
            format="json",
        )
    finally:
        simulator.clear_faults()
    assert response.status_code == 503
    assert "Jira" in response.json()["error"]
    assert created.status_code == 503
    assert GeneratorConfig.objects.filter(structure_id=structure_id).count() == 1


# ---- progress and budget -------------------------------------------------------------


def test_generation_progress_endpoint(alice, structure_id):
    url = f"/api/v1/structures/{structure_id}/generation"
    assert alice.get(url).json() == {"state": "none"}
    build(
        alice,
        structure_id,
        ("insert.jql", {"jql": "key = WEB-4"}),
        ("extend.subtasks", {}),
    )
    effective(alice, structure_id)
    progress = alice.get(url).json()
    assert progress["state"] == "done"
    assert progress["stage"] == "done"
    assert progress["rows"] == 4
    assert progress["seconds"] >= 0
    assert progress["message"] is None


def test_time_limit_gives_a_partial_forest_with_a_message(
    alice, structure_id, settings
):
    build(
        alice,
        structure_id,
        ("insert.jql", {"jql": "project = WEB"}),
        ("extend.subtasks", {}),
    )
    settings.GENERATOR_TIME_LIMIT_S = 0.0
    body = effective(alice, structure_id)
    assert body["complete"] is False
    assert "time limit of 0 s was reached" in body["message"]
    assert "The generator that used the most time is #" in body["message"]
    progress = alice.get(f"/api/v1/structures/{structure_id}/generation").json()
    assert progress["state"] == "stopped"
    assert progress["message"] == body["message"]


# ---- create, change, delete (moved here from tests/hierarchies/test_apis.py: Jira
# now checks every configuration, so these run against the simulator) -----------------


def test_generators_create_with_row_validate_and_delete(alice, structure_id):
    base = f"/api/v1/structures/{structure_id}/generators"
    forest_url = f"/api/v1/structures/{structure_id}/forest"
    response = alice.post(
        base,
        {
            "kind": "extend.links",
            "config": {"linkTypeId": "10000", "direction": "inward"},
            "under": None,
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["config"] == {"linkTypeId": 10000, "direction": "inward", "levels": 10}
    assert body["rowId"] == 1
    assert alice.get(forest_url).json()["rows"] == [
        {"rowId": 1, "depth": 0, "itemType": "generator", "itemId": body["id"]}
    ]
    bad = alice.post(
        base, {"kind": "sort.field", "config": {"direction": "up"}}, format="json"
    )
    assert bad.status_code == 400
    assert "fieldId" in bad.json()["error"]
    assert (
        alice.post(base, {"kind": "explode", "config": {}}, format="json").status_code
        == 400
    )
    patched = alice.patch(
        f"{base}/{body['id']}",
        {"config": {"linkTypeId": 10003, "levels": 3}},
        format="json",
    )
    assert patched.json()["config"] == {
        "linkTypeId": 10003,
        "direction": "outward",
        "levels": 3,
    }
    assert alice.delete(f"{base}/{body['id']}").status_code == 204
    assert alice.get(forest_url).json()["rows"] == []
    assert alice.get(base).json() == []


@pytest.mark.parametrize(
    ("kind", "config"),
    [
        ("insert.jql", {"jql": "project = WEB"}),
        ("insert.text", {"text": "login bug"}),
        ("insert.children", {"issueId": 10000}),
        ("extend.links", {"linkTypeId": 10003}),
        ("extend.subtasks", {}),
        ("extend.children", {"levels": 2}),
        ("filter.jql", {"jql": "status = Done", "keepFolders": True}),
        ("filter.duplicates", {}),
        ("group.field", {"fieldId": "customfield_10001"}),
        ("sort.field", {"fieldId": "priority", "direction": "desc"}),
        ("sort.rank", {}),
    ],
)
def test_every_generator_kind_is_accepted(alice, structure_id, kind, config):
    response = alice.post(
        f"/api/v1/structures/{structure_id}/generators",
        {"kind": kind, "config": config},
        format="json",
    )
    assert response.status_code == 201, response.json()
    assert response.json()["kind"] == kind


# ---- manual moves of generated rows --------------------------------------------------


def row_of(body: dict[str, Any], sim: SimulatorHandle, key: str) -> dict[str, Any]:
    return next(
        r
        for r in body["rows"]
        if r["itemType"] == "issue" and sim.issue(str(r["itemId"])).key == key
    )


def move(client: APIClient, structure_id: int, version: int, **action: Any):
    return client.post(
        f"/api/v1/structures/{structure_id}/forest",
        {"version": version, "actions": [{"op": "move", **action}]},
        format="json",
    )


def test_moving_a_generated_row_is_stored_as_a_rule_and_undone(
    alice, structure_id, simulator
):
    build(
        alice,
        structure_id,
        ("insert.jql", {"jql": "key in (WEB-4, WEB-8) ORDER BY key"}),
        ("extend.subtasks", {}),
    )
    before = effective(alice, structure_id)
    plain = outline(before, simulator)
    assert plain == "WEB-4 *\n  WEB-5 *\n  WEB-6 *\n  WEB-7 *\nWEB-8 *"
    moved = move(
        alice,
        structure_id,
        before["version"],
        row=row_of(before, simulator, "WEB-7")["rowId"],
        under=row_of(before, simulator, "WEB-8")["rowId"],
        after=None,
    )
    assert moved.status_code == 200, moved.json()
    assert moved.json()["version"] == before["version"] + 1
    after = effective(alice, structure_id)
    assert outline(after, simulator) == (
        "WEB-4 *\n  WEB-5 *\n  WEB-6 *\nWEB-8 *\n  WEB-7 *"
    )
    # The stored rows did not change; the history records the move.
    stored = alice.get(f"/api/v1/structures/{structure_id}/forest").json()
    assert [r["itemType"] for r in stored["rows"]] == ["generator", "generator"]
    history = alice.get(f"/api/v1/structures/{structure_id}/history").json()
    assert history[0]["kind"] == "rule"
    assert history[0]["summary"]["actions"] == {"move": 1}
    undo = alice.post(
        f"/api/v1/structures/{structure_id}/undo",
        {"version": after["version"]},
        format="json",
    )
    assert undo.status_code == 200, undo.json()
    assert outline(effective(alice, structure_id), simulator) == plain


def test_a_moved_row_returns_to_its_generated_place_when_its_anchor_goes(
    alice, structure_id, simulator
):
    generator = add_generator(
        alice, structure_id, "insert.jql", {"jql": "key in (WEB-4, WEB-8) ORDER BY key"}
    )
    add_generator(alice, structure_id, "extend.subtasks", {})
    before = effective(alice, structure_id)
    assert (
        move(
            alice,
            structure_id,
            before["version"],
            row=row_of(before, simulator, "WEB-7")["rowId"],
            under=row_of(before, simulator, "WEB-8")["rowId"],
        ).status_code
        == 200
    )
    assert "WEB-8 *\n  WEB-7 *" in outline(effective(alice, structure_id), simulator)
    # WEB-8 is no longer generated: WEB-7 goes back under WEB-4.
    changed = alice.put(
        f"/api/v1/structures/{structure_id}/generators/{generator['id']}",
        {"config": {"jql": "key = WEB-4"}},
        format="json",
    )
    assert changed.status_code == 200
    assert outline(effective(alice, structure_id), simulator) == (
        "WEB-4 *\n  WEB-5 *\n  WEB-6 *\n  WEB-7 *"
    )


def test_bad_moves_of_generated_rows_change_nothing(alice, structure_id, simulator):
    folder = alice.post(
        f"/api/v1/structures/{structure_id}/folders",
        {"name": "Inbox", "under": None},
        format="json",
    ).json()
    build(
        alice,
        structure_id,
        ("insert.jql", {"jql": "key = WEB-4"}),
        ("extend.subtasks", {}),
    )
    body = effective(alice, structure_id)
    web4 = row_of(body, simulator, "WEB-4")["rowId"]
    web5 = row_of(body, simulator, "WEB-5")["rowId"]
    version = body["version"]
    cases = [
        ({"row": web4, "under": web5}, "under itself"),
        ({"row": -12345, "under": None}, "not a generated issue row"),
        ({"row": web5, "under": None, "after": web4 + 1}, "'after' must be a row"),
        ({"row": web5, "under": 999999}, "no row 999999"),
    ]
    for action, message in cases:
        response = move(alice, structure_id, version, **action)
        assert response.status_code == 400, action
        assert message in response.json()["error"], response.json()
    mixed = alice.post(
        f"/api/v1/structures/{structure_id}/forest",
        {
            "version": version,
            "actions": [
                {"op": "move", "row": web5, "under": folder["rowId"]},
                {"op": "remove", "row": folder["rowId"]},
            ],
        },
        format="json",
    )
    assert mixed.status_code == 400
    assert "request of their own" in mixed.json()["error"]
    stale = move(alice, structure_id, version - 1, row=web5, under=folder["rowId"])
    assert stale.status_code == 409
    assert effective(alice, structure_id)["version"] == version
    assert outline(effective(alice, structure_id), simulator) == outline(
        body, simulator
    )


def test_moving_generated_rows_needs_edit(alice, structure_id, sim_tenant, simulator):
    build(alice, structure_id, ("insert.jql", {"jql": "key in (WEB-4, WEB-8)"}))
    alice.put(
        f"/api/v1/structures/{structure_id}/permissions",
        {"rules": [{"subject": {"type": "user", "accountId": KEN}, "level": "VIEW"}]},
        format="json",
    )
    ken = context_client(sim_tenant, KEN)
    body = effective(ken, structure_id)
    response = move(
        ken,
        structure_id,
        body["version"],
        row=row_of(body, simulator, "WEB-8")["rowId"],
        under=None,
    )
    assert response.status_code == 403
    assert effective(alice, structure_id)["version"] == body["version"]
