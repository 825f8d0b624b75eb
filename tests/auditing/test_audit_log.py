"""The audit log: chained appends, validation, append-only, checkpoints, concurrency."""

import threading

import pytest
from django.db import DatabaseError, connection, transaction
from django.test import override_settings

from auditing import chain
from auditing.models import AuditCheckpoint, AuditEvent
from auditing.services import AuditDataError, audit_checkpoint_write, audit_event_record
from auditing.verification import audit_log_verify

pytestmark = pytest.mark.django_db


def test_entries_are_chained_and_signed():
    first = audit_event_record(
        action="tenant.installed",
        actor="jira",
        tenant_key="t",
        data={"baseUrl": "https://t.atlassian.net"},
    )
    second = audit_event_record(action="structure.renamed", actor="u1", target_id=7)
    assert (first.seq, second.seq) == (1, 2)
    assert first.prev_hash == chain.GENESIS_HASH
    assert second.prev_hash == first.entry_hash
    second.refresh_from_db()
    assert second.target_id == "7"
    assert audit_log_verify().ok


@pytest.mark.parametrize(
    "data",
    [
        {"password": "x"},
        {"nested": {"sharedSecret": "x"}},
        {"access_token": "x"},
        {"summary": "Customer's issue title"},
        {"fields": {"priority": "High"}},
        {"note": "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.sig"},
        {"uri": "postgresql://role:hunter2@db:5432/app"},
        {"text": "x" * 501},
        {"obj": object()},
    ],
)
def test_secrets_and_issue_data_are_refused_and_nothing_written(data):
    with pytest.raises(AuditDataError):
        audit_event_record(action="x.y", actor="u", data=data)
    assert not AuditEvent.objects.exists()


SECRET_KEYS = [
    "password",
    "userPassword",
    "db_pass",
    "DB-PASSWORD",
    "passwd",
    "accessToken",
    "access_token",
    "accesstoken",
    "AUTH_TOKEN",
    "tokens",
    "tokenValue",
    "apiKey",
    "APIKey",
    "x-api-key",
    "apikey",
    "privateKey",
    "clientSecret",
    "clientsecret",
    "secret_key",
    "credentials",
    "Authorization",
    "set_cookie",
    "jwt",
    "signature",
    "passwordHash",
]
SAFE_KEYS = [
    "tokenCount",
    "token_count",
    "tokencount",
    "password_changed_at",
    "passwordExpires",
    "api_key_id",
    "secretName",
    "signature_valid",
    "tenant_key",
    "client_key",
    "key",
    "bypass",
    "tests_passed",
]


@pytest.mark.parametrize("key", SECRET_KEYS)
def test_keys_naming_a_secret_are_refused_word_by_word(key):
    with pytest.raises(AuditDataError, match="secrets are never logged"):
        audit_event_record(action="x.y", actor="u", data={"nested": {key: "x"}})
    assert not AuditEvent.objects.exists()


def test_keys_describing_a_secret_without_holding_it_are_accepted():
    event = audit_event_record(
        action="x.y", actor="u", data=dict.fromkeys(SAFE_KEYS, 1)
    )
    assert sorted(event.data) == sorted(SAFE_KEYS)


def test_update_and_delete_are_rejected_by_the_database():
    audit_event_record(action="x.y", actor="u")
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AuditEvent.objects.update(actor="someone else")
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AuditEvent.objects.all().delete()
    assert AuditEvent.objects.get().actor == "u"


@override_settings(AUDIT_CHECKPOINT_EVERY=3)
def test_checkpoint_every_n_entries():
    for i in range(7):
        audit_event_record(action="x.y", actor=f"u{i}")
    assert list(AuditCheckpoint.objects.values_list("seq", flat=True)) == [3, 6]
    cps = list(AuditCheckpoint.objects.all())
    assert cps[1].prev_signature == cps[0].signature
    assert audit_log_verify().ok


def test_heartbeat_checkpoint_when_idle_and_export_file(tmp_path, settings):
    settings.AUDIT_CHECKPOINT_FILE = str(tmp_path / "cp.jsonl")
    with transaction.atomic():
        cp = audit_checkpoint_write()
    assert cp.seq == 0
    assert audit_log_verify().ok


def test_fresh_checkpoint_warning_when_none_signed():
    audit_event_record(action="x.y", actor="u")
    assert audit_log_verify().warnings
    audit_checkpoint_write()
    assert not audit_log_verify().warnings


@pytest.mark.django_db(transaction=True)
def test_concurrent_writers_do_not_fork_the_chain():
    errors: list[Exception] = []

    def write(n: int) -> None:
        try:
            for i in range(15):
                audit_event_record(action="x.y", actor=f"w{n}", data={"i": i})
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=write, args=(n,)) for n in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert list(AuditEvent.objects.values_list("seq", flat=True)) == list(range(1, 46))
    assert audit_log_verify().ok
