"""The install handshake, lifecycle calls and webhooks, against a minimal app on loopback."""

from __future__ import annotations

import time
from typing import Any

import jwt
import pytest
import requests  # noqa: TID251 (the tests play the app and the browser over HTTP)
from atlassian_jwt.url_utils import hash_url

from jira_simulator import datasets
from jira_simulator.connect import ConnectError
from tests.jira_simulator.conftest import ADMIN, BOB, MinimalApp, Received


def token_of(received: Received) -> str:
    assert received.authorization.startswith("JWT ")
    return received.authorization[4:]


def verify_signed_install(sim, received: Received, app: MinimalApp) -> dict[str, Any]:
    """What the app must do: RS256, key by kid from the site's key server, aud, qsh, iss."""
    token = token_of(received)
    header = jwt.get_unverified_header(token)
    assert header["alg"] == "RS256"
    key = requests.get(f"{sim.install_keys_url}/{header['kid']}", timeout=5)
    assert key.status_code == 200
    claims = jwt.decode(
        token,
        key.text,
        algorithms=["RS256"],
        audience=app.base_url,
        options={"require": ["iss", "exp", "iat", "qsh", "aud"]},
    )
    assert claims["qsh"] == hash_url("POST", received.path)
    assert claims["iss"] == received.body["clientKey"]
    return claims


def verify_symmetric(received: Received, secret: str) -> dict[str, Any]:
    token = token_of(received)
    assert jwt.get_unverified_header(token)["alg"] == "HS256"
    claims = jwt.decode(
        token, secret, algorithms=["HS256"], options={"require": ["iss", "exp", "qsh"]}
    )
    assert claims["qsh"] == hash_url(received.method, received.path_qs)
    return claims


def test_install_handshake_is_signed_like_jira_cloud(sim, app):
    inst = sim.install_app(app.base_url)
    (installed,) = app.posts("/connect/installed")
    claims = verify_signed_install(sim, installed, app)
    body = installed.body
    assert body["eventType"] == "installed"
    assert body["key"] == app.key
    assert body["clientKey"] == sim.client_key == claims["iss"]
    assert body["baseUrl"] == sim.base_url
    assert body["productType"] == "jira"
    assert len(body["sharedSecret"]) >= 32
    assert claims["sub"] == ADMIN
    (enabled,) = app.posts("/connect/enabled")
    assert verify_symmetric(enabled, body["sharedSecret"])["iss"] == sim.client_key
    assert [i.to_json() for i in sim.installations()] == [inst.to_json()]
    assert inst.shared_secret == body["sharedSecret"]
    assert inst.app_base_url == app.base_url


def test_reinstall_rotates_the_secret_but_keeps_the_client_key(sim, app):
    first = sim.install_app(app.base_url)
    second = sim.install_app(app.base_url)
    assert first.client_key == second.client_key
    assert first.shared_secret != second.shared_secret
    assert len(sim.installations()) == 1


def test_install_key_server_only_knows_its_own_kid(sim):
    assert (
        requests.get(f"{sim.install_keys_url}/unknown-kid", timeout=5).status_code
        == 404
    )


def test_install_refused_by_the_app_is_reported(sim, app):
    app.refuse_install = True
    with pytest.raises(ConnectError, match="refused the install"):
        sim.install_app(app.base_url)
    assert sim.installations() == []


def test_install_of_unreachable_app_fails_clearly(sim):
    with pytest.raises(ConnectError, match="unreachable"):
        sim.install_app("http://127.0.0.1:9")


def test_install_never_contacts_other_hosts(sim):
    with pytest.raises(ConnectError, match="loopback"):
        sim.install_app("http://example.com")


def test_uninstall_sends_disabled_then_signed_uninstalled(sim, app):
    inst = sim.install_app(app.base_url)
    sim.uninstall_app(inst.app_key)
    assert [r.path for r in app.received][-2:] == [
        "/connect/disabled",
        "/connect/uninstalled",
    ]
    (uninstalled,) = app.posts("/connect/uninstalled")
    verify_signed_install(sim, uninstalled, app)
    assert uninstalled.body["eventType"] == "uninstalled"
    assert sim.installations() == []


def test_installed_app_can_call_the_api_with_its_secret(sim, app):
    inst = sim.install_app(app.base_url)
    path = "/rest/api/3/myself"
    token = jwt.encode(
        {
            "iss": app.key,
            "iat": int(time.time()),
            "exp": int(time.time()) + 60,
            "qsh": hash_url("GET", path),
        },
        inst.shared_secret,
        algorithm="HS256",
    )
    response = requests.get(
        sim.base_url + path, headers={"Authorization": f"JWT {token}"}, timeout=5
    )
    assert response.status_code == 200
    assert response.json()["displayName"] == "Minimal app"


def test_issue_update_fires_signed_webhook_with_changelog(sim, app):
    inst = sim.install_app(app.base_url)
    sim.update_issue(
        "WEB-2",
        fields={"summary": "Renamed by a test", "customfield_10016": 13},
        status="Done",
    )
    (hook,) = app.posts("/hooks/issue")
    claims = verify_symmetric(hook, inst.shared_secret)
    assert claims["iss"] == sim.client_key
    assert hook.path_qs == "/hooks/issue?kind=updated"
    body = hook.body
    assert body["webhookEvent"] == "jira:issue_updated"
    assert isinstance(body["timestamp"], int)
    assert body["issue"]["key"] == "WEB-2"
    assert body["issue"]["fields"]["summary"] == "Renamed by a test"
    assert body["issue"]["fields"]["status"]["name"] == "Done"
    changed = {item["fieldId"] for item in body["changelog"]["items"]}
    assert {"summary", "customfield_10016", "status", "resolution"} <= changed


def test_create_and_delete_fire_issue_and_link_events(sim, app):
    sim.install_app(app.base_url)
    issue = sim.create_issue(
        project="WEB", issuetype="Story", summary="From a webhook test", parent="WEB-1"
    )
    assert issue.key.startswith("WEB-")
    assert issue.parent_id == 10000
    link = sim.add_link("Blocks", issue.key, "WEB-2")
    sim.delete_issue(issue.key)
    events = [
        (r.path_qs, r.body["webhookEvent"])
        for r in app.received
        if r.path.startswith("/hooks/")
    ]
    assert events == [
        ("/hooks/issue?kind=created", "jira:issue_created"),
        ("/hooks/link", "issuelink_created"),
        ("/hooks/link", "issuelink_deleted"),
        ("/hooks/issue?kind=deleted", "jira:issue_deleted"),
    ]
    created_link = app.posts("/hooks/link")[0].body["issueLink"]
    assert created_link["id"] == link.id
    assert created_link["sourceIssueId"] == issue.id
    assert created_link["destinationIssueId"] == 10001
    assert created_link["issueLinkType"]["name"] == "Blocks"
    assert created_link["issueLinkType"]["outwardName"] == "blocks"


def test_remove_link_fires_event_and_updates_issue_links(sim, app, jira):
    sim.install_app(app.base_url)
    link = sim.add_link("Relates", "WEB-5", "MOB-5")
    seen = jira.get("/rest/api/3/issue/WEB-5?fields=issuelinks").json()["fields"][
        "issuelinks"
    ]
    assert str(link.id) in {lk["id"] for lk in seen}
    sim.remove_link(link.id)
    seen = jira.get("/rest/api/3/issue/WEB-5?fields=issuelinks").json()["fields"][
        "issuelinks"
    ]
    assert str(link.id) not in {lk["id"] for lk in seen}
    assert app.posts("/hooks/link")[-1].body["webhookEvent"] == "issuelink_deleted"


def test_data_changes_reject_bad_input_and_change_nothing(sim):
    from jira_simulator.state import DataError

    with pytest.raises(DataError, match="does not exist"):
        sim.update_issue("WEB-9999", fields={"summary": "x"})
    with pytest.raises(DataError, match="status"):
        sim.set_status("WEB-2", "Teleported")
    with pytest.raises(DataError, match="cannot be set"):
        sim.update_issue("WEB-2", fields={"votes": 3})
    with pytest.raises(DataError, match="sub-task needs a parent"):
        sim.create_issue(project="WEB", issuetype="Sub-task", summary="orphan")
    with pytest.raises(DataError, match="cannot have a Epic parent"):
        sim.create_issue(
            project="WEB", issuetype="Sub-task", summary="x", parent="WEB-1"
        )
    with pytest.raises(DataError, match="itself"):
        sim.add_link("Blocks", "WEB-2", "WEB-2")
    original = datasets.build_demo().issue_lookup("WEB-2")
    assert original is not None
    assert sim.issue("WEB-2").summary == original.summary


def test_reset_restores_the_dataset(sim):
    sim.update_issue("WEB-2", fields={"summary": "changed"})
    sim.delete_issue("WEB-3")
    sim.reset()
    assert sim.issue("WEB-2").summary != "changed"
    assert sim.issue("WEB-3").key == "WEB-3"


def test_page_and_context_tokens_for_the_app(sim, app):
    inst = sim.install_app(app.base_url)
    url = sim.page_url(BOB)
    path_qs = url[len(app.base_url) :]
    path_without_jwt, _, token = path_qs.rpartition("&jwt=")
    claims = jwt.decode(token, inst.shared_secret, algorithms=["HS256"])
    assert claims["sub"] == BOB
    assert claims["iss"] == sim.client_key
    assert claims["qsh"] == hash_url("GET", path_without_jwt)
    assert path_qs.startswith("/board/?")
    context = jwt.decode(
        sim.context_jwt(BOB),
        inst.shared_secret,
        algorithms=["HS256"],
        audience=sim.client_key,
    )
    assert context["qsh"] == "context-qsh"
    assert context["sub"] == BOB
    assert 14 * 60 <= context["exp"] - context["iat"] <= 15 * 60
