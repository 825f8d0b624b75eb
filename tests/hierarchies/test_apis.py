"""The forest contract and the structure API, as a client sees them."""

import pytest

from auditing.models import AuditEvent
from hierarchies.models import ForestVersion, Structure
from tests.conftest import context_client
from tests.hierarchies.conftest import OWNER, add, forest_url

pytestmark = pytest.mark.django_db


def test_structure_create_returns_201_and_is_private(owner_client, client_for):
    response = owner_client.post(
        "/api/v1/structures/",
        {"name": "Q3 plan", "description": "all teams"},
        format="json",
    )
    assert response.status_code == 201
    body = response.json()
    assert body["name"] == "Q3 plan"
    assert body["level"] == "CONTROL"
    assert body["version"] == 1
    assert (
        client_for("someone-else").get(f"/api/v1/structures/{body['id']}").status_code
        == 404
    )
    assert [s["id"] for s in owner_client.get("/api/v1/structures/").json()] == [
        body["id"]
    ]
    assert client_for("someone-else").get("/api/v1/structures/").json() == []
    assert AuditEvent.objects.filter(action="structure.created").count() == 1


def test_forest_contract_add_move_remove_and_read(structure, owner_client):
    url = forest_url(structure)
    assert owner_client.get(url).json() == {"version": 1, "rows": [], "formula": ""}
    folder = owner_client.post(
        f"/api/v1/structures/{structure.pk}/folders", {"name": "Later"}, format="json"
    ).json()
    response = owner_client.post(
        url,
        {
            "version": 1,
            "actions": [
                add(10001, tempId=-1),
                add(10002, under=-1, tempId=-2),
                {
                    "op": "add",
                    "item": {"type": "folder", "id": folder["id"]},
                    "under": None,
                    "after": -1,
                    "tempId": -3,
                },
                add(10003, under=-3, tempId=-4),
            ],
        },
        format="json",
    )
    assert response.status_code == 200, response.json()
    assert response.json() == {
        "version": 2,
        "rowIds": {"-1": 1, "-2": 2, "-3": 3, "-4": 4},
    }
    body = owner_client.get(url).json()
    assert body["version"] == 2
    assert body["rows"][0] == {
        "rowId": 1,
        "depth": 0,
        "itemType": "issue",
        "itemId": 10001,
    }
    assert body["formula"] == f"1:0:10001,2:1:10002,3:0:folder/{folder['id']},4:1:10003"

    response = owner_client.post(
        url,
        {
            "version": 2,
            "actions": [
                {"op": "move", "row": 4, "under": 1, "after": 2},
                {"op": "remove", "row": 3},
            ],
        },
        format="json",
    )
    assert response.json() == {"version": 3, "rowIds": {}}
    assert owner_client.get(url).json()["formula"] == "1:0:10001,2:1:10002,4:1:10003"


def test_stale_version_gets_409_with_current_version(structure, owner_client, issue_id):
    url = forest_url(structure)
    first, second = issue_id("WEB-2"), issue_id("WEB-3")
    assert (
        owner_client.post(
            url, {"version": 1, "actions": [add(first)]}, format="json"
        ).status_code
        == 200
    )
    response = owner_client.post(
        url, {"version": 1, "actions": [add(second)]}, format="json"
    )
    assert response.status_code == 409
    assert response.json()["version"] == 2
    assert "error" in response.json()
    assert owner_client.get(url).json()["formula"] == f"1:0:{first}"


def test_archived_structure_is_read_only_until_restored(
    structure, owner_client, issue_id
):
    url = forest_url(structure)
    base = f"/api/v1/structures/{structure.pk}"
    owner_client.post(
        url, {"version": 1, "actions": [add(issue_id("WEB-2"))]}, format="json"
    )
    assert (
        owner_client.post(
            base + "/archive", {"archived": True}, format="json"
        ).status_code
        == 200
    )
    refused = owner_client.post(
        url, {"version": 2, "actions": [add(issue_id("WEB-3"))]}, format="json"
    )
    assert refused.status_code == 400
    assert "archived" in refused.json()["error"]
    assert owner_client.get(url).json()["formula"] == f"1:0:{issue_id('WEB-2')}"
    assert (
        owner_client.post(
            base + "/archive", {"archived": False}, format="json"
        ).status_code
        == 200
    )
    again = owner_client.post(
        url, {"version": 2, "actions": [add(issue_id("WEB-3"))]}, format="json"
    )
    assert again.status_code == 200


def test_history_undo_many_steps_and_past_versions(structure, owner_client, issue_id):
    url = forest_url(structure)
    one, two, three = issue_id("WEB-2"), issue_id("WEB-3"), issue_id("WEB-4")
    for version, item in ((1, one), (2, two), (3, three)):
        owner_client.post(
            url, {"version": version, "actions": [add(item)]}, format="json"
        )
    assert owner_client.get(url).json()["formula"] == f"3:0:{three},2:0:{two},1:0:{one}"
    assert owner_client.get(url + "?version=2").json() == {
        "version": 2,
        "rows": [{"rowId": 1, "depth": 0, "itemType": "issue", "itemId": one}],
        "formula": f"1:0:{one}",
    }
    undo = f"/api/v1/structures/{structure.pk}/undo"
    assert owner_client.post(undo, {"version": 4}, format="json").json() == {
        "version": 5
    }
    assert owner_client.get(url).json()["formula"] == f"2:0:{two},1:0:{one}"
    assert owner_client.post(
        undo, {"version": 5, "steps": 2}, format="json"
    ).json() == {"version": 6}
    assert owner_client.get(url).json()["rows"] == []
    response = owner_client.post(undo, {"version": 6}, format="json")
    assert response.status_code == 400
    assert "nothing to undo" in response.json()["error"]
    history = owner_client.get(f"/api/v1/structures/{structure.pk}/history").json()
    assert [h["kind"] for h in history] == [
        "undo",
        "undo",
        "update",
        "update",
        "update",
        "create",
    ]
    assert [h["undone"] for h in history[2:5]] == [True, True, True]
    assert history[0]["actor"] == OWNER
    # New rows never reuse IDs handed out before the undo.
    owner_client.post(
        url,
        {"version": 6, "actions": [add(issue_id("WEB-9"), tempId=-1)]},
        format="json",
    )
    assert owner_client.get(url).json()["rows"][0]["rowId"] == 4
    assert AuditEvent.objects.filter(action="forest.undone").count() == 2


def test_unknown_past_version_is_404(structure, owner_client):
    assert owner_client.get(forest_url(structure) + "?version=99").status_code == 404
    assert owner_client.get(forest_url(structure) + "?version=x").status_code == 400


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"actions": []}, "version"),
        (
            {
                "version": 1,
                "actions": [{"op": "add", "item": {"type": "epic", "id": 1}}],
            },
            "unknown item type",
        ),
        (
            {"version": 1, "actions": [{"op": "move", "row": 99, "under": None}]},
            "not in this structure",
        ),
        ({"version": 1, "actions": [add(1, under=42)]}, "not in this structure"),
        (
            {
                "version": 1,
                "actions": [{"op": "add", "item": {"type": "folder", "id": 999999}}],
            },
            "folder 999999",
        ),
        ({"version": 1, "actions": [add(1)] * 5001}, "at most 5000 actions"),
        ({"version": 1, "actions": "add"}, "Invalid input"),
    ],
)
def test_bad_forest_input_is_a_clear_400_and_changes_nothing(
    structure, owner_client, body, message
):
    response = owner_client.post(forest_url(structure), body, format="json")
    assert response.status_code == 400
    assert message in str(response.json())
    structure.refresh_from_db()
    assert structure.version == 1
    assert ForestVersion.objects.filter(structure=structure).count() == 1


def test_malformed_json_is_400(structure, owner_client):
    response = owner_client.generic(
        "POST", forest_url(structure), "{not json", content_type="application/json"
    )
    assert response.status_code == 400
    assert "error" in response.json()


def test_oversized_body_is_413(structure, owner_client, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    response = owner_client.post(
        forest_url(structure),
        {"version": 1, "actions": [add(n) for n in range(1, 100)]},
        format="json",
    )
    assert response.status_code == 413
    assert Structure.objects.get().version == 1


def test_moving_a_row_under_its_own_descendant_is_refused(
    structure, owner_client, issue_id
):
    url = forest_url(structure)
    one, two = issue_id("WEB-2"), issue_id("WEB-3")
    owner_client.post(
        url,
        {"version": 1, "actions": [add(one, tempId=-1), add(two, under=-1, tempId=-2)]},
        format="json",
    )
    response = owner_client.post(
        url,
        {"version": 2, "actions": [{"op": "move", "row": 1, "under": 2}]},
        format="json",
    )
    assert response.status_code == 400
    assert "own descendant" in response.json()["error"]
    assert owner_client.get(url).json()["formula"] == f"1:0:{one},2:1:{two}"


def test_batch_is_all_or_nothing(structure, owner_client, issue_id):
    url = forest_url(structure)
    response = owner_client.post(
        url,
        {
            "version": 1,
            "actions": [
                add(issue_id("WEB-2")),
                add(issue_id("WEB-3")),
                {"op": "remove", "row": 77},
            ],
        },
        format="json",
    )
    assert response.status_code == 400
    assert "actions[2]" in response.json()["error"]
    assert owner_client.get(url).json() == {"version": 1, "rows": [], "formula": ""}


def test_depth_limit_through_the_api(structure, owner_client):
    actions = [add(1, tempId=-1)] + [
        add(n + 1, under=-n, tempId=-(n + 1)) for n in range(1, 50)
    ]
    url = forest_url(structure)
    assert (
        owner_client.post(
            url, {"version": 1, "actions": actions}, format="json"
        ).status_code
        == 200
    )
    response = owner_client.post(
        url, {"version": 2, "actions": [add(99, under=50)]}, format="json"
    )
    assert response.status_code == 400
    assert "at most 50 levels" in response.json()["error"]


def test_row_limit_through_the_api(structure, owner_client, monkeypatch, issue_id):
    monkeypatch.setattr("hierarchies.forest.MAX_ROWS", 3)
    response = owner_client.post(
        forest_url(structure),
        {"version": 1, "actions": [add(issue_id(f"WEB-{n}")) for n in range(1, 5)]},
        format="json",
    )
    assert response.status_code == 400
    assert "at most 3 rows" in response.json()["error"]
    assert owner_client.get(forest_url(structure)).json()["rows"] == []


def test_rename_describe_archive_favorite_and_delete(structure, owner_client):
    base = f"/api/v1/structures/{structure.pk}"
    body = owner_client.patch(
        base, {"name": "Renamed", "description": "new"}, format="json"
    ).json()
    assert (body["name"], body["description"]) == ("Renamed", "new")
    assert (
        owner_client.post(base + "/archive", {"archived": True}, format="json").json()[
            "archived"
        ]
        is True
    )
    assert owner_client.get("/api/v1/structures/").json() == []
    assert len(owner_client.get("/api/v1/structures/?archived=true").json()) == 1
    assert owner_client.put(base + "/favorite").json()["favorite"] is True
    assert (
        len(owner_client.get("/api/v1/structures/?archived=all&favorite=1").json()) == 1
    )
    assert owner_client.delete(base + "/favorite").json()["favorite"] is False
    assert owner_client.delete(base).status_code == 204
    assert not Structure.objects.exists()
    assert AuditEvent.objects.filter(action="structure.deleted").exists()


def test_folders_rename_and_delete_removes_their_rows(
    structure, owner_client, issue_id
):
    base = f"/api/v1/structures/{structure.pk}/folders"
    folder = owner_client.post(
        base, {"name": "Inbox", "under": None, "version": 1}, format="json"
    ).json()
    assert folder["rowId"] == 1
    assert folder["version"] == 2
    owner_client.post(
        forest_url(structure),
        {"version": 2, "actions": [add(issue_id("WEB-5"), under=1)]},
        format="json",
    )
    rows = owner_client.get(forest_url(structure)).json()["rows"]
    assert [(r["itemType"], r["depth"]) for r in rows] == [("folder", 0), ("issue", 1)]
    assert (
        owner_client.patch(
            f"{base}/{folder['id']}", {"name": "Done"}, format="json"
        ).json()["name"]
        == "Done"
    )
    assert owner_client.delete(f"{base}/{folder['id']}").status_code == 204
    assert owner_client.get(forest_url(structure)).json()["rows"] == []
    # Undo brings back the issue row but never a row of a deleted folder.
    undo = owner_client.post(
        f"/api/v1/structures/{structure.pk}/undo", {"version": 4}, format="json"
    )
    assert undo.status_code == 200
    assert owner_client.get(forest_url(structure)).json()["rows"] == []


def test_folder_placed_with_stale_version_is_409(structure, owner_client):
    owner_client.post(
        forest_url(structure), {"version": 1, "actions": [add(1)]}, format="json"
    )
    response = owner_client.post(
        f"/api/v1/structures/{structure.pk}/folders",
        {"name": "x", "under": None, "version": 1},
        format="json",
    )
    assert response.status_code == 409
    assert response.json()["version"] == 2


def test_schema_lists_the_forest_endpoints(owner_client):
    response = owner_client.get("/api/v1/schema/?format=json")
    assert response.status_code == 200
    paths = response.json()["paths"]
    assert "/api/v1/structures/{structure_id}/forest" in paths
    assert "post" in paths["/api/v1/structures/"]


def test_unauthenticated_requests_are_refused(structure, api_client):
    assert api_client.get(forest_url(structure)).status_code == 401
    bad = context_client(structure.tenant, "x")
    bad.credentials(HTTP_AUTHORIZATION="JWT nonsense")
    assert bad.get(forest_url(structure)).status_code == 401


def test_empty_batch_changes_nothing_but_still_checks_the_version(
    structure, owner_client
):
    url = forest_url(structure)
    assert owner_client.post(
        url, {"version": 1, "actions": []}, format="json"
    ).json() == {
        "version": 1,
        "rowIds": {},
    }
    owner_client.post(url, {"version": 1, "actions": [add(1)]}, format="json")
    assert (
        owner_client.post(url, {"version": 1, "actions": []}, format="json").status_code
        == 409
    )
