"""The on-call admin: who gets in, what it shows, and that its actions are audited."""

from typing import Any

import pytest
from django.test import Client
from django_otp import DEVICE_ID_SESSION_KEY  # type: ignore[import-untyped,unused-ignore]
from django_otp.plugins.otp_totp.models import (  # type: ignore[import-untyped,unused-ignore]
    TOTPDevice,
)

from auditing.models import Alert, AuditEvent, DbAccessRequest
from auditing.services.alerts import alert_raise
from auditing.services.db_access import db_access_request_create
from tests.auditing.conftest import engineer_make
from tests.conftest import TENANT_SECRET

pytestmark = pytest.mark.django_db


def _client(user, *, verified: bool = True) -> Client:
    client = Client()
    client.force_login(user)
    if verified:
        device = TOTPDevice.objects.create(user=user, name="phone", confirmed=True)
        session = client.session
        session[DEVICE_ID_SESSION_KEY] = device.persistent_id
        session.save()
    return client


def test_on_call_engineer_with_totp_gets_in(alice):
    assert _client(alice).get("/admin/").status_code == 200


@pytest.mark.parametrize(
    "url",
    ["/admin/", "/admin/auditing/auditevent/", "/admin/auditing/dbaccessrequest/"],
)
def test_without_second_factor_redirects_to_login(alice, url):
    response = _client(alice, verified=False).get(url)
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")


def test_staff_outside_on_call_cannot_use_admin(db):
    outsider = engineer_make("mallory", on_call=False)
    outsider.is_superuser = True
    outsider.save()
    response = _client(outsider).get("/admin/auditing/auditevent/")
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")


def test_anonymous_is_sent_to_login(db):
    response = Client().get("/admin/jira_sync/tenant/")
    assert response.status_code == 302


def test_tenant_page_never_shows_the_shared_secret(alice, tenant):
    client = _client(alice)
    listing = client.get("/admin/jira_sync/tenant/")
    detail = client.get(f"/admin/jira_sync/tenant/{tenant.pk}/change/")
    assert listing.status_code == detail.status_code == 200
    assert b"tenant-a" in detail.content
    assert TENANT_SECRET.encode() not in detail.content
    assert b"shared" not in detail.content.lower()


def test_audit_log_is_read_only_and_filterable(alice):
    from auditing.services import audit_event_record

    event = audit_event_record(action="structure.renamed", actor="u1", tenant_key="t")
    client = _client(alice)
    assert (
        client.get("/admin/auditing/auditevent/?action=structure.renamed").status_code
        == 200
    )
    assert client.get("/admin/auditing/auditevent/add/").status_code == 403
    assert (
        client.post(f"/admin/auditing/auditevent/{event.pk}/delete/").status_code == 403
    )
    response = client.post(
        f"/admin/auditing/auditevent/{event.pk}/change/", {"actor": "x"}
    )
    assert response.status_code == 403
    event.refresh_from_db()
    assert event.actor == "u1"


def _action(
    client: Client, url: str, action: str, ids: list[int], comment: str | None = None
) -> Any:
    data = {"action": action, "_selected_action": [str(i) for i in ids]}
    if comment is not None:
        data |= {"apply": "1", "comment": comment}
    return client.post(url, data)


def test_admin_approve_follows_the_command_rules(alice, bob):
    request = db_access_request_create(
        requester=alice,
        reason="investigate a broken structure",
        ticket="OPS-1",
        scope="read",
        ttl_seconds=1800,
    )
    url = "/admin/auditing/dbaccessrequest/"
    ask = _action(_client(bob), url, "approve", [request.pk])
    assert ask.status_code == 200
    assert b"Comment" in ask.content
    # Alice cannot approve her own request through the admin either.
    _action(_client(alice), url, "approve", [request.pk], "me")
    request.refresh_from_db()
    assert request.state == DbAccessRequest.State.PENDING
    _action(_client(bob), url, "approve", [request.pk], "looks fine")
    request.refresh_from_db()
    assert request.state == DbAccessRequest.State.ISSUED
    reviewed = AuditEvent.objects.get(action="db_access.reviewed")
    assert reviewed.actor == "bob"


def test_admin_unreviewed_queue_and_post_review(alice, bob):
    request = db_access_request_create(
        requester=alice,
        reason="investigate a broken structure",
        ticket="OPS-1",
        scope="read",
        ttl_seconds=1800,
    )
    DbAccessRequest.objects.filter(pk=request.pk).update(
        state=DbAccessRequest.State.ENDED
    )
    client = _client(bob)
    queue = client.get("/admin/auditing/dbaccessrequest/?post_review=todo")
    assert b"OPS-1" in queue.content
    _action(
        client, "/admin/auditing/dbaccessrequest/", "post_review", [request.pk], "ok"
    )
    request.refresh_from_db()
    assert request.post_reviewed_by == bob
    assert (
        b"OPS-1"
        not in client.get("/admin/auditing/dbaccessrequest/?post_review=todo").content
    )


def test_admin_acknowledge_alert(alice):
    alert = alert_raise(
        rule="write_scope", severity="warning", fingerprint="f1", summary="s"
    )
    assert alert is not None
    _action(_client(alice), "/admin/auditing/alert/", "acknowledge", [alert.pk], "seen")
    alert.refresh_from_db()
    assert alert.acknowledged_by == alice
    assert AuditEvent.objects.filter(
        action="alert.acknowledged", actor="alice"
    ).exists()
    assert Alert.objects.count() == 1


def test_admin_changes_are_audited(alice):
    alice.is_superuser = True
    alice.save()
    client = _client(alice)
    response = client.post(
        "/admin/auth/group/add/", {"name": "reviewers", "permissions": []}
    )
    assert response.status_code == 302
    event = AuditEvent.objects.get(action="admin.added")
    assert event.actor == "alice"
    assert event.target_type == "auth.group"


def _login_events() -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (e.action, e.actor, e.data)
        for e in AuditEvent.objects.filter(action__startswith="auth.")
    ]


def _token(device: TOTPDevice) -> str:
    from django_otp.oath import totp  # type: ignore[import-untyped,unused-ignore]

    value = totp(device.bin_key, device.step, device.t0, device.digits, device.drift)
    return f"{value:0{device.digits}d}"


def _login(client: Client, **data: str) -> Any:
    return client.post("/admin/login/", data)


def test_admin_login_with_password_and_totp_is_audited(alice):
    device = TOTPDevice.objects.create(user=alice, name="phone", confirmed=True)
    client = Client()
    response = _login(
        client,
        username="alice",
        password="pw-alice-0123",
        otp_device=device.persistent_id,
        otp_token=_token(device),
    )
    assert response.status_code == 302
    assert client.get("/admin/").status_code == 200
    assert _login_events() == [("auth.login", "alice", {"path": "/admin/login/"})]
    client.post("/admin/logout/")
    assert _login_events()[-1][:2] == ("auth.logout", "alice")


def test_wrong_password_is_audited_without_the_password(alice):
    _login(Client(), username="alice", password="guess-Secr3t")
    # A password typed into the username field is never logged either.
    _login(Client(), username="pw-typed-by-mistake", password="x")
    assert _login_events() == [
        ("auth.login_failed", "alice", {"path": "/admin/login/", "factor": "password"}),
        (
            "auth.login_failed",
            "unknown-account",
            {"path": "/admin/login/", "factor": "password"},
        ),
    ]
    logged = str([(e.actor, e.data) for e in AuditEvent.objects.all()])
    assert "guess-Secr3t" not in logged
    assert "pw-typed-by-mistake" not in logged


def test_wrong_second_factor_is_audited(alice):
    device = TOTPDevice.objects.create(user=alice, name="phone", confirmed=True)
    wrong = f"{(int(_token(device)) + 1) % 10**6:06d}"
    client = Client()
    response = _login(
        client,
        username="alice",
        password="pw-alice-0123",
        otp_device=device.persistent_id,
        otp_token=wrong,
    )
    assert response.status_code == 200  # the form again, not logged in
    assert client.get("/admin/").status_code == 302
    assert _login_events() == [
        (
            "auth.login_failed",
            "alice",
            {"path": "/admin/login/", "factor": "otp", "reason": "invalid_token"},
        )
    ]
    assert wrong not in str([e.data for e in AuditEvent.objects.all()])


def test_refused_admin_approval_is_audited(alice):
    request = db_access_request_create(
        requester=alice,
        reason="investigate a broken structure",
        ticket="OPS-1",
        scope="read",
        ttl_seconds=1800,
    )
    _action(
        _client(alice),
        "/admin/auditing/dbaccessrequest/",
        "approve",
        [request.pk],
        "me",
    )
    refused = AuditEvent.objects.get(action="db_access.review_refused")
    assert refused.actor == "alice"
    assert refused.data["refusal"] == "self_review"
