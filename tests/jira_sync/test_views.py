"""The Connect lifecycle: signed install, uninstall, enable and disable."""

import json
from typing import Any

import jwt
import pytest
from django.db import connection
from django.test import Client

from auditing.models import AuditEvent
from jira_sync.models import Tenant
from tests.conftest import tenant_token
from tests.jira_sync.conftest import (
    KeyServer,
    install_body,
    install_token,
    rsa_private_key,
)

pytestmark = pytest.mark.django_db


def post_lifecycle(path: str, body: Any, token: str | None) -> Any:
    headers = {"Authorization": f"JWT {token}"} if token else {}
    raw = body if isinstance(body, str) else json.dumps(body)
    return Client().post(path, raw, content_type="application/json", headers=headers)


def test_descriptor_declares_app_lifecycle_scopes_and_modules() -> None:
    response = Client().get("/atlassian-connect.json")
    assert response.status_code == 200
    d = response.json()
    assert d["key"] == "structure-cloud"
    assert d["baseUrl"] == "http://localhost:8000"
    assert d["authentication"] == {"type": "jwt"}
    assert d["lifecycle"] == {
        "installed": "/connect/installed",
        "uninstalled": "/connect/uninstalled",
        "enabled": "/connect/enabled",
        "disabled": "/connect/disabled",
    }
    assert set(d["scopes"]) == {"READ", "WRITE"}
    assert d["apiMigrations"]["signed-install"] is True
    assert d["apiMigrations"]["context-qsh"] is True
    assert d["modules"]["generalPages"][0]["url"] == "/board/"
    assert "{project.key}" in d["modules"]["jiraProjectPages"][0]["url"]
    events = {hook["event"]: hook["url"] for hook in d["modules"]["webhooks"]}
    assert set(events) == {
        "jira:issue_created",
        "jira:issue_updated",
        "jira:issue_deleted",
        "issuelink_created",
        "issuelink_deleted",
    }
    assert all(url.startswith("/connect/webhooks/") for url in events.values())


def test_descriptor_follows_app_settings(settings: Any) -> None:
    settings.APP_BASE_URL = "https://structure.example.com"
    settings.APP_KEY = "com.example.structure"
    d = Client().get("/atlassian-connect.json").json()
    assert (d["key"], d["baseUrl"]) == (
        "com.example.structure",
        "https://structure.example.com",
    )


def test_signed_install_creates_tenant_with_encrypted_secret(signing_key: Any) -> None:
    _, key = signing_key
    response = post_lifecycle("/connect/installed", install_body(), install_token(key))
    assert response.status_code == 204
    tenant = Tenant.objects.get(client_key="tenant-a")
    assert tenant.base_url == "https://tenant-a.atlassian.net"
    assert tenant.display_url == "https://issues.tenant-a.example"
    assert tenant.shared_secret == "fresh-secret-from-jira-0000000000000000"
    assert tenant.state == Tenant.State.INSTALLED
    assert AuditEvent.objects.filter(
        action="tenant.installed", tenant_key="tenant-a"
    ).exists()
    with connection.cursor() as cursor:
        cursor.execute("SELECT shared_secret FROM jira_sync_tenant")
        (stored,) = cursor.fetchone()
    assert "fresh-secret" not in stored
    assert stored != tenant.shared_secret


def test_install_key_is_fetched_once_per_kid(
    signing_key: Any, key_server: KeyServer
) -> None:
    _, key = signing_key
    post_lifecycle("/connect/installed", install_body(), install_token(key))
    post_lifecycle("/connect/installed", install_body(secret="s2"), install_token(key))
    assert key_server.requests == ["/kid-1"]


def test_reinstall_rotates_shared_secret(signing_key: Any) -> None:
    _, key = signing_key
    post_lifecycle(
        "/connect/installed", install_body(secret="first"), install_token(key)
    )
    post_lifecycle(
        "/connect/installed", install_body(secret="second"), install_token(key)
    )
    assert Tenant.objects.get().shared_secret == "second"
    assert AuditEvent.objects.filter(action="tenant.reinstalled").count() == 1


def _refusal_cases(
    key_server: KeyServer, key: Any
) -> dict[str, tuple[Any, str | None]]:
    other_key = rsa_private_key()
    hs256 = jwt.encode(
        {"iss": "tenant-a", "qsh": "x", "exp": 9999999999}, "forged", "HS256"
    )
    return {
        "no token": (install_body(), None),
        "HS256 install": (install_body(), hs256),
        "signed by another key": (install_body(), install_token(other_key)),
        "wrong aud": (install_body(), install_token(key, aud="https://evil.example")),
        "wrong qsh": (install_body(), install_token(key, path="/connect/uninstalled")),
        "iss is not clientKey": (
            install_body(),
            install_token(key, client_key="tenant-z"),
        ),
        "expired": (install_body(), install_token(key, expires_in=-3600)),
        "unknown kid": (install_body(), install_token(key, kid="kid-unknown")),
        "alg none": (
            install_body(),
            jwt.encode({"iss": "tenant-a"}, "", algorithm="none"),
        ),
        "host not allowed": (
            install_body(base_url="https://evil.example.com"),
            install_token(key),
        ),
    }


@pytest.mark.parametrize(
    "case",
    [
        "no token",
        "HS256 install",
        "signed by another key",
        "wrong aud",
        "wrong qsh",
        "iss is not clientKey",
        "expired",
        "unknown kid",
        "alg none",
        "host not allowed",
    ],
)
def test_forged_install_is_refused_and_changes_nothing(
    case: str, signing_key: Any, key_server: KeyServer
) -> None:
    body, token = _refusal_cases(key_server, signing_key[1])[case]
    response = post_lifecycle("/connect/installed", body, token)
    assert response.status_code == 401
    assert response.json()["error"]
    assert not Tenant.objects.exists()
    assert not AuditEvent.objects.exists()


def test_install_refused_when_key_server_is_down(
    signing_key: Any, key_server: KeyServer
) -> None:
    key_server.up = False
    response = post_lifecycle(
        "/connect/installed", install_body(), install_token(signing_key[1])
    )
    assert response.status_code == 401
    assert response.json() == {"error": "signing key could not be fetched"}
    assert not Tenant.objects.exists()


def test_second_install_signed_by_another_key_keeps_the_tenant(
    signing_key: Any, key_server: KeyServer
) -> None:
    kid, key = signing_key
    post_lifecycle(
        "/connect/installed", install_body(secret="genuine"), install_token(key)
    )
    attacker = rsa_private_key()
    response = post_lifecycle(
        "/connect/installed",
        install_body(secret="attacker"),
        install_token(attacker, kid=kid),
    )
    assert response.status_code == 401
    assert Tenant.objects.get().shared_secret == "genuine"


def test_install_with_malformed_body_is_a_400(signing_key: Any) -> None:
    token = install_token(signing_key[1])
    assert post_lifecycle("/connect/installed", "{not json", token).status_code == 400
    response = post_lifecycle("/connect/installed", {"clientKey": "tenant-a"}, token)
    assert response.status_code == 400
    assert "sharedSecret" in response.json()["error"]
    assert not Tenant.objects.exists()


def test_allowed_hosts_setting_admits_the_simulator(
    signing_key: Any, settings: Any
) -> None:
    settings.CONNECT_ALLOWED_HOSTS = ["*.atlassian.net", "localhost"]
    body = install_body(base_url="http://localhost:8001")
    assert (
        post_lifecycle(
            "/connect/installed", body, install_token(signing_key[1])
        ).status_code
        == 204
    )


def test_uninstall_marks_tenant_and_stops_its_tokens(signing_key: Any) -> None:
    _, key = signing_key
    post_lifecycle("/connect/installed", install_body(), install_token(key))
    token = install_token(key, path="/connect/uninstalled")
    response = post_lifecycle("/connect/uninstalled", {"clientKey": "tenant-a"}, token)
    assert response.status_code == 204
    tenant = Tenant.objects.get()
    assert tenant.state == Tenant.State.UNINSTALLED
    page = tenant_token(tenant, path="/board/")
    assert Client().get(f"/board/?jwt={page}").status_code == 401


def test_forged_uninstall_changes_nothing(signing_key: Any) -> None:
    _, key = signing_key
    post_lifecycle("/connect/installed", install_body(), install_token(key))
    forged = install_token(rsa_private_key(), path="/connect/uninstalled")
    assert (
        post_lifecycle(
            "/connect/uninstalled", {"clientKey": "tenant-a"}, forged
        ).status_code
        == 401
    )
    assert Tenant.objects.get().state == Tenant.State.INSTALLED


def test_disable_and_enable_use_the_shared_secret(tenant: Tenant) -> None:
    token = tenant_token(tenant, method="POST", path="/connect/disabled")
    assert post_lifecycle("/connect/disabled", {}, token).status_code == 204
    tenant.refresh_from_db()
    assert tenant.state == Tenant.State.DISABLED
    page = tenant_token(tenant, path="/board/")
    assert Client().get(f"/board/?jwt={page}").json() == {
        "error": "app is disabled on this site"
    }
    token = tenant_token(tenant, method="POST", path="/connect/enabled")
    assert post_lifecycle("/connect/enabled", {}, token).status_code == 204
    tenant.refresh_from_db()
    assert tenant.state == Tenant.State.ENABLED


def test_disable_with_wrong_secret_is_refused(tenant: Tenant) -> None:
    token = tenant_token(
        tenant, method="POST", path="/connect/disabled", secret="wrong"
    )
    assert post_lifecycle("/connect/disabled", {}, token).status_code == 401
    tenant.refresh_from_db()
    assert tenant.state == Tenant.State.INSTALLED
