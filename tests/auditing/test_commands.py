"""The access commands as an engineer runs them."""

import io

import pytest
from django.core.management import CommandError, call_command

from auditing.models import DbAccessRequest
from tests.auditing.conftest import engineer_make, temp_roles

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("clean_roles"),
]


def _run(*args: str) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def test_request_review_show_expire_flow(monkeypatch):
    engineer_make("alice")
    engineer_make("bob")
    monkeypatch.setattr("getpass.getuser", lambda: "alice")
    out = _run(
        "request_db_access",
        "--reason",
        "investigate OPS-5 ordering",
        "--ticket",
        "OPS-5",
        "--ttl",
        "30m",
    )
    request = DbAccessRequest.objects.get()
    assert f"Request #{request.pk} is pending" in out
    with pytest.raises(CommandError, match="not issued"):
        _run("show_db_access", str(request.pk))
    out = _run(
        "review_db_access",
        str(request.pk),
        "--approve",
        "--comment",
        "ok",
        "--engineer",
        "bob",
    )
    request.refresh_from_db()
    assert request.role_name in out
    assert temp_roles() == [request.role_name]
    with pytest.raises(CommandError, match="only the requester"):
        _run("show_db_access", str(request.pk), "--engineer", "bob")
    out = _run("show_db_access", str(request.pk))
    last = out.strip().splitlines()[-1]
    assert last.startswith(f"postgresql://{request.role_name}:")
    assert "@" in last
    assert last.rsplit("/", 1)[1]
    with pytest.raises(CommandError, match="already shown"):
        _run("show_db_access", str(request.pk))
    out = _run("revoke_db_access", str(request.pk), "--engineer", "bob")
    assert "revoked" in out
    assert temp_roles() == []
    out = _run(
        "review_db_access",
        str(request.pk),
        "--post-use",
        "--comment",
        "fine",
        "--engineer",
        "bob",
    )
    assert "reviewed after use" in out
    assert "grants ended: 0" in _run("expire_db_access")


def test_os_user_mapping_and_non_engineers_refused(monkeypatch, settings):
    engineer_make("alice.smith")
    engineer_make("eve", on_call=False)
    settings.AUDIT_ENGINEER_USERNAMES = {"asmith": "alice.smith"}
    monkeypatch.setattr("getpass.getuser", lambda: "asmith")
    _run(
        "request_db_access",
        "--reason",
        "investigate OPS-5 ordering",
        "--ticket",
        "OPS-5",
    )
    assert DbAccessRequest.objects.get().requester.username == "alice.smith"
    with pytest.raises(CommandError, match="on-call"):
        _run(
            "request_db_access",
            "--engineer",
            "eve",
            "--reason",
            "investigate OPS-5 ordering",
            "--ticket",
            "OPS-5",
        )
    with pytest.raises(CommandError, match="TTL"):
        _run(
            "request_db_access",
            "--reason",
            "investigate OPS-5 ordering",
            "--ticket",
            "OPS-5",
            "--ttl",
            "9h",
        )


def test_detect_anomalies_and_checkpoint_commands(monkeypatch):
    engineer_make("alice")
    monkeypatch.setattr("getpass.getuser", lambda: "alice")
    _run(
        "request_db_access",
        "--reason",
        "investigate OPS-5 ordering",
        "--ticket",
        "OPS-5",
        "--scope",
        "write",
    )
    out = _run("detect_anomalies")
    assert "new alert(s)." in out
    assert "Checkpoint signed" in _run("write_audit_checkpoint")
    assert "OK:" in _run("verify_audit_log", "--require-fresh")
