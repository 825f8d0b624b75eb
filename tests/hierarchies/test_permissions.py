"""Who may do what: the level matrix, subject kinds, and tenant isolation."""

from typing import Any

import pytest

from hierarchies.access import Memberships
from hierarchies.models import Level, Structure
from hierarchies.permissions import Rule, permission_level_resolve
from tests.conftest import context_client
from tests.hierarchies.conftest import (
    BOB,
    GRACE,
    MOB_PROJECT,
    NORA,
    OWNER,
    ROLE_DEVELOPERS,
    add,
    forest_url,
)
from tests.hierarchies.factories import folder_make, generator_make

GUEST = "guest-1"


def level_of(rules, *, account_id=GUEST, groups=(), roles=()) -> Level:
    return permission_level_resolve(
        owner_account_id=OWNER,
        account_id=account_id,
        rules=rules,
        memberships=Memberships(frozenset(groups), frozenset(roles)),
    )


def test_private_by_default_and_owner_always_controls():
    assert level_of([]) == Level.NONE
    assert level_of([], account_id=OWNER) == Level.CONTROL
    assert (
        level_of([Rule("user", Level.VIEW, account_id=OWNER)], account_id=OWNER)
        == Level.CONTROL
    )


def test_each_subject_kind_matches_only_its_members():
    user = Rule("user", Level.EDIT, account_id=GUEST)
    group = Rule("group", Level.AUTOMATE, group_name="devs")
    role = Rule("projectRole", Level.CONTROL, project_id=10, role_id=3)
    everyone = Rule("everyone", Level.VIEW)
    assert level_of([user]) == Level.EDIT
    assert level_of([user], account_id="other") == Level.NONE
    assert level_of([group], groups={"devs"}) == Level.AUTOMATE
    assert level_of([group], groups={"ops"}) == Level.NONE
    assert level_of([role], roles={(10, 3)}) == Level.CONTROL
    assert level_of([role], roles={(10, 4), (11, 3)}) == Level.NONE
    assert level_of([everyone], account_id="") == Level.VIEW


def test_highest_matching_level_wins_and_none_never_lowers():
    rules = [
        Rule("everyone", Level.VIEW),
        Rule("group", Level.EDIT, group_name="devs"),
        Rule("user", Level.NONE, account_id=GUEST),
    ]
    assert level_of(rules, groups={"devs"}) == Level.EDIT
    assert level_of(rules) == Level.VIEW


pytestmark = pytest.mark.django_db


def grant(owner_client, structure, level, subject=None) -> Any:
    subject = subject or {"type": "user", "accountId": GUEST}
    response = owner_client.put(
        f"/api/v1/structures/{structure.pk}/permissions",
        {"rules": [{"subject": subject, "level": level}]},
        format="json",
    )
    assert response.status_code == 200, response.json()
    return response


def attempts(client, structure) -> dict[str, int]:
    """One request per permission boundary; returns status codes by name."""
    base = f"/api/v1/structures/{structure.pk}"
    structure.refresh_from_db()
    folder = folder_make(structure)
    # sort.rank needs no answer from Jira, so the permission boundary is all we test.
    generator = generator_make(structure, kind="sort.rank", config={"direction": "asc"})
    return {
        "read": client.get(forest_url(structure)).status_code,
        "history": client.get(base + "/history").status_code,
        "edit rows": client.post(
            forest_url(structure),
            {"version": structure.version, "actions": [add(1)]},
            format="json",
        ).status_code,
        "rename folder": client.patch(
            f"{base}/folders/{folder.pk}", {"name": "n"}, format="json"
        ).status_code,
        "generator row": client.post(
            forest_url(structure),
            {
                "version": Structure.objects.get(pk=structure.pk).version,
                "actions": [
                    {"op": "add", "item": {"type": "generator", "id": generator.pk}}
                ],
            },
            format="json",
        ).status_code,
        "change generator": client.patch(
            f"{base}/generators/{generator.pk}",
            {"config": {"direction": "desc"}},
            format="json",
        ).status_code,
        "rename": client.patch(base, {"name": "Mine now"}, format="json").status_code,
        "rules": client.get(base + "/permissions").status_code,
    }


@pytest.mark.parametrize(
    ("level", "expected"),
    [
        (
            "NONE",
            dict.fromkeys(
                [
                    "read",
                    "history",
                    "edit rows",
                    "rename folder",
                    "generator row",
                    "change generator",
                    "rename",
                    "rules",
                ],
                404,
            ),
        ),
        (
            "VIEW",
            {
                "read": 200,
                "history": 200,
                "edit rows": 403,
                "rename folder": 403,
                "generator row": 403,
                "change generator": 403,
                "rename": 403,
                "rules": 403,
            },
        ),
        (
            "EDIT",
            {
                "read": 200,
                "history": 200,
                "edit rows": 200,
                "rename folder": 200,
                "generator row": 403,
                "change generator": 403,
                "rename": 403,
                "rules": 403,
            },
        ),
        (
            "AUTOMATE",
            {
                "read": 200,
                "history": 200,
                "edit rows": 200,
                "rename folder": 200,
                "generator row": 200,
                "change generator": 200,
                "rename": 403,
                "rules": 403,
            },
        ),
        (
            "CONTROL",
            {
                "read": 200,
                "history": 200,
                "edit rows": 200,
                "rename folder": 200,
                "generator row": 200,
                "change generator": 200,
                "rename": 200,
                "rules": 200,
            },
        ),
    ],
)
def test_level_matrix(structure, owner_client, level, expected):
    grant(owner_client, structure, level)
    assert attempts(context_client(structure.tenant, GUEST), structure) == expected


def test_moving_a_generator_row_needs_automate(structure, owner_client, client_for):
    generator = generator_make(structure)
    owner_client.post(
        forest_url(structure),
        {
            "version": 1,
            "actions": [
                {"op": "add", "item": {"type": "generator", "id": generator.pk}},
                add(5),
            ],
        },
        format="json",
    )
    grant(owner_client, structure, "EDIT")
    guest = client_for(GUEST)
    moved = guest.post(
        forest_url(structure),
        {"version": 2, "actions": [{"op": "move", "row": 1, "under": 2}]},
        format="json",
    )
    assert moved.status_code == 403
    removed = guest.post(
        forest_url(structure),
        {"version": 2, "actions": [{"op": "remove", "row": 2}]},
        format="json",
    )
    assert removed.status_code == 200
    assert (
        guest.post(
            f"/api/v1/structures/{structure.pk}/undo", {"version": 3}, format="json"
        ).status_code
        == 200
    )


def test_everyone_rule_shares_with_the_whole_site(structure, owner_client, client_for):
    grant(owner_client, structure, "VIEW", {"type": "everyone"})
    listed = client_for("anyone").get("/api/v1/structures/").json()
    assert [(s["id"], s["level"]) for s in listed] == [(structure.pk, "VIEW")]


def test_group_and_role_rules_use_the_viewers_memberships(
    structure, owner_client, client_for
):
    # Jira's answers, from the simulator's demo site: Bob is in web-team; Grace is in
    # web-team and mobile-team, which holds the Developers role of MOB; Nora is in no
    # group and holds no role.
    owner_client.put(
        f"/api/v1/structures/{structure.pk}/permissions",
        {
            "rules": [
                {"subject": {"type": "group", "name": "web-team"}, "level": "EDIT"},
                {
                    "subject": {
                        "type": "projectRole",
                        "projectId": MOB_PROJECT,
                        "roleId": ROLE_DEVELOPERS,
                    },
                    "level": "AUTOMATE",
                },
            ]
        },
        format="json",
    )
    assert (
        client_for(BOB).get(f"/api/v1/structures/{structure.pk}").json()["level"]
        == "EDIT"
    )
    assert (
        client_for(GRACE).get(f"/api/v1/structures/{structure.pk}").json()["level"]
        == "AUTOMATE"
    )
    assert client_for(NORA).get(f"/api/v1/structures/{structure.pk}").status_code == 404
    assert [
        s["level"] for s in client_for(GRACE).get("/api/v1/structures/").json()
    ] == ["AUTOMATE"]


def test_permissions_put_validates_subjects(structure, owner_client):
    url = f"/api/v1/structures/{structure.pk}/permissions"
    for bad in (
        {"rules": [{"subject": {"type": "group"}, "level": "VIEW"}]},
        {"rules": [{"subject": {"type": "robot"}, "level": "VIEW"}]},
        {"rules": [{"subject": {"type": "everyone"}, "level": "ADMIN"}]},
        {"rules": "all"},
    ):
        response = owner_client.put(url, bad, format="json")
        assert response.status_code == 400, bad
    assert owner_client.get(url).json() == {"rules": []}


def test_permissions_round_trip(structure, owner_client):
    rules = [
        {"subject": {"type": "everyone"}, "level": "VIEW"},
        {"subject": {"type": "user", "accountId": "u-9"}, "level": "EDIT"},
        {"subject": {"type": "group", "name": "jira-users"}, "level": "AUTOMATE"},
        {
            "subject": {"type": "projectRole", "projectId": 10000, "roleId": 10002},
            "level": "CONTROL",
        },
    ]
    url = f"/api/v1/structures/{structure.pk}/permissions"
    assert owner_client.put(url, {"rules": rules}, format="json").json() == {
        "rules": rules
    }
    assert owner_client.get(url).json() == {"rules": rules}


def test_viewer_forest_differs_by_browse_rights(
    structure, owner_client, client_for, issue_id
):
    # MOB-45 and its child MOB-46 are behind the "Mobile team only" security level:
    # Alice browses them, Bob does not; both browse MOB-44.
    secured, secured_child, plain = (
        issue_id("MOB-45"),
        issue_id("MOB-46"),
        issue_id("MOB-44"),
    )
    grant(owner_client, structure, "VIEW", {"type": "everyone"})
    owner_client.post(
        forest_url(structure),
        {
            "version": 1,
            "actions": [
                add(secured, tempId=-1),
                add(secured_child, under=-1, tempId=-2),
                add(plain, under=-2),
            ],
        },
        format="json",
    )
    assert (
        client_for(OWNER).get(forest_url(structure)).json()["formula"]
        == f"1:0:{secured},2:1:{secured_child},3:2:{plain}"
    )
    bob = client_for(BOB).get(forest_url(structure)).json()
    assert bob["rows"] == [
        {"rowId": 3, "depth": 0, "itemType": "issue", "itemId": plain}
    ]
    assert str(secured) not in str(bob)
    assert str(secured_child) not in str(bob)


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("get", "", None),
        ("patch", "", {"name": "stolen"}),
        ("delete", "", None),
        ("post", "/archive", {}),
        ("put", "/favorite", None),
        ("get", "/permissions", None),
        (
            "put",
            "/permissions",
            {"rules": [{"subject": {"type": "everyone"}, "level": "CONTROL"}]},
        ),
        ("get", "/forest", None),
        ("post", "/forest", {"version": 1, "actions": [add(1)]}),
        ("get", "/history", None),
        ("post", "/undo", {"version": 1}),
        ("get", "/folders", None),
        ("post", "/folders", {"name": "x"}),
        ("get", "/generators", None),
        ("post", "/generators", {"kind": "sort.rank", "config": {}}),
    ],
)
def test_other_tenant_gets_404_and_changes_nothing(
    structure, other_tenant, method, path, body
):
    # Same accountId as the owner, but on another site: still nothing.
    intruder = context_client(other_tenant, OWNER)
    url = f"/api/v1/structures/{structure.pk}{path}"
    response = (
        getattr(intruder, method)(url, body, format="json")
        if body is not None
        else getattr(intruder, method)(url)
    )
    assert response.status_code == 404
    fresh = Structure.objects.get(pk=structure.pk)
    assert (fresh.name, fresh.version, fresh.archived) == ("Roadmap", 1, False)
    assert not fresh.rules.exists()
    assert not fresh.folders.exists()
    assert not fresh.generators.exists()


def test_other_tenant_cannot_touch_folders_or_generators_by_id(
    structure, tenant, other_tenant
):
    folder = folder_make(structure)
    generator = generator_make(structure)
    from tests.hierarchies.factories import structure_make

    theirs = structure_make(other_tenant, owner="b-owner")
    intruder = context_client(other_tenant, "b-owner")
    base = f"/api/v1/structures/{theirs.pk}"
    assert (
        intruder.patch(
            f"{base}/folders/{folder.pk}", {"name": "x"}, format="json"
        ).status_code
        == 404
    )
    assert intruder.delete(f"{base}/generators/{generator.pk}").status_code == 404
    response = intruder.post(
        forest_url(theirs),
        {
            "version": 1,
            "actions": [{"op": "add", "item": {"type": "folder", "id": folder.pk}}],
        },
        format="json",
    )
    assert response.status_code == 400
    assert "not in this structure" in response.json()["error"]
    folder.refresh_from_db()
    assert folder.name.startswith("Folder")
