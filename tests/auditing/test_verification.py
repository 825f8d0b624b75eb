"""verify_audit_log names the first bad entry after each kind of tampering.

Tampering is done as the database owner would: with triggers switched off
(session_replication_role = replica), which the append-only trigger cannot stop.
"""

import json
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from auditing import chain
from auditing.models import AuditEvent
from auditing.services import audit_checkpoint_write, audit_event_record
from auditing.verification import Problem, VerifyReport, audit_log_verify

pytestmark = pytest.mark.django_db


def _log(n: int = 6, checkpoint: bool = True) -> None:
    for i in range(n):
        audit_event_record(
            action="structure.renamed", actor=f"u{i}", tenant_key="t", data={"n": i}
        )
    if checkpoint:
        audit_checkpoint_write()


def _as_owner(sql: str, params: list[Any] | None = None) -> None:
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL session_replication_role = replica")
        cursor.execute(sql, params)
        cursor.execute("SET LOCAL session_replication_role = origin")


def _rechain_from(seq: int, key: str = "attacker-guess") -> None:
    """Recompute hashes (and MACs with a wrong key) from `seq` on: a forger's repair."""
    prev = (
        AuditEvent.objects.get(seq=seq - 1).entry_hash
        if seq > 1
        else chain.GENESIS_HASH
    )
    for e in AuditEvent.objects.filter(seq__gte=seq).order_by("seq"):
        h = chain.entry_hash(
            seq=e.seq,
            created_at=e.created_at,
            tenant_key=e.tenant_key,
            actor=e.actor,
            action=e.action,
            target_type=e.target_type,
            target_id=e.target_id,
            data=e.data,
            prev_hash=prev,
        )
        _as_owner(
            "UPDATE auditing_auditevent SET prev_hash=%s, entry_hash=%s, entry_mac=%s WHERE id=%s",
            [prev, h, chain.mac(key, h), e.pk],
        )
        prev = h


def _fb(report: VerifyReport) -> Problem:
    assert report.first_bad is not None
    return report.first_bad


def _first_bad() -> int | None:
    report = audit_log_verify()
    return _fb(report).seq if report.first_bad else None


def test_clean_log_verifies():
    _log()
    call_command("verify_audit_log")
    assert _first_bad() is None


def test_edited_entry_is_named():
    _log()
    _as_owner("UPDATE auditing_auditevent SET actor = 'innocent' WHERE seq = 3")
    report = audit_log_verify()
    assert _fb(report).seq == 3
    assert _fb(report).kind == "edited"


def test_deleted_entry_is_named():
    _log()
    _as_owner("DELETE FROM auditing_auditevent WHERE seq = 4")
    report = audit_log_verify()
    assert _fb(report).seq == 5
    assert "#4" in _fb(report).message


def test_truncated_tail_is_caught_by_the_checkpoint():
    _log(6)
    _as_owner("DELETE FROM auditing_auditevent WHERE seq >= 5")
    report = audit_log_verify()
    assert _fb(report).kind == "truncated"
    assert _fb(report).seq == 5


def test_rechained_forgery_without_the_key_is_named():
    _log()
    _as_owner("UPDATE auditing_auditevent SET data = '{\"n\": 99}' WHERE seq = 2")
    _rechain_from(2)
    report = audit_log_verify()
    assert _fb(report).seq == 2
    assert _fb(report).kind == "forged"


def test_inserted_entry_is_named():
    _log(checkpoint=False)
    # Make room at #3 and slip a forged entry in.
    for seq in range(6, 2, -1):
        _as_owner("UPDATE auditing_auditevent SET seq = seq + 1 WHERE seq = %s", [seq])
    e = AuditEvent.objects.get(seq=2)
    _as_owner(
        "INSERT INTO auditing_auditevent (seq, created_at, tenant_key, actor, action, "
        "target_type, target_id, data, prev_hash, entry_hash, entry_mac) "
        "VALUES (3, now(), 't', 'ghost', 'structure.renamed', '', '', '{}', %s, 'x', 'y')",
        [e.entry_hash],
    )
    assert _first_bad() == 3


def test_tail_forged_with_new_checkpoint_without_key_is_caught():
    _log()
    _as_owner("DELETE FROM auditing_auditevent WHERE seq = 6")
    _as_owner(
        "UPDATE auditing_auditcheckpoint SET seq = 5, head_hash = "
        "(SELECT entry_hash FROM auditing_auditevent WHERE seq = 5), signature = 'f00'"
    )
    report = audit_log_verify()
    assert _fb(report).kind == "checkpoint_forged"


def test_external_checkpoints_catch_a_deleted_database_checkpoint(tmp_path, settings):
    path = tmp_path / "checkpoints.jsonl"
    settings.AUDIT_CHECKPOINT_FILE = str(path)
    _log(4)
    # on_commit does not fire inside the test transaction: export by hand.
    from auditing.models import AuditCheckpoint

    cp = AuditCheckpoint.objects.get()
    path.write_text(
        json.dumps(
            {
                "seq": cp.seq,
                "head_hash": cp.head_hash,
                "created_at": cp.created_at.isoformat(),
                "prev_signature": cp.prev_signature,
                "signature": cp.signature,
            }
        )
        + "\n"
    )
    _as_owner("DELETE FROM auditing_auditcheckpoint")
    _as_owner("DELETE FROM auditing_auditevent WHERE seq = 4")
    call_command("verify_audit_log")  # the database alone cannot tell
    with pytest.raises(CommandError, match="first bad entry: #4"):
        call_command("verify_audit_log", "--external", str(path))


def test_command_reports_first_bad_entry():
    _log()
    _as_owner(
        "UPDATE auditing_auditevent SET action = 'nothing.happened' WHERE seq = 2"
    )
    with pytest.raises(CommandError, match="first bad entry: #2"):
        call_command("verify_audit_log")
