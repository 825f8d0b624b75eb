"""Verification of the audit log: the chain, the entry MACs and the signed checkpoints.

Reports every problem found, in log order; the first one names the first bad entry.
What each check catches:

* content hash mismatch: an entry edited in place;
* ``prev_hash`` mismatch or a gap in ``seq``: an entry deleted or inserted;
* MAC mismatch: entries re-hashed ("re-chained") by someone without AUDIT_SIGNING_KEY;
* a checkpoint beyond the last entry: a truncated tail;
* a checkpoint whose head hash differs: history rewritten below a signed checkpoint;
* a bad checkpoint signature or a broken checkpoint chain: forged or deleted checkpoints.
"""

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.utils import timezone

from auditing import chain
from auditing.models import AuditCheckpoint, AuditEvent


@dataclass(frozen=True)
class Problem:
    seq: int | None
    kind: str
    message: str


@dataclass
class VerifyReport:
    entries: int = 0
    checkpoints: int = 0
    last_seq: int = 0
    problems: list[Problem] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def first_bad(self) -> Problem | None:
        return self.problems[0] if self.problems else None


@dataclass(frozen=True)
class CheckpointRecord:
    seq: int
    head_hash: str
    created_at: dt.datetime
    prev_signature: str
    signature: str
    source: str


def _entry_problems(
    entries: Iterable[AuditEvent], key: str, report: VerifyReport
) -> dict[int, str]:
    expected_seq = 1
    prev = chain.GENESIS_HASH
    hashes: dict[int, str] = {}
    for event in entries:
        report.entries += 1
        seq = event.seq
        if seq != expected_seq:
            report.problems.append(
                Problem(
                    seq,
                    "gap",
                    f"entry #{seq}: entries #{expected_seq}..#{seq - 1} are missing "
                    "(deleted)"
                    if seq > expected_seq
                    else f"entry #{seq}: out of order after #{expected_seq - 1}",
                )
            )
        recomputed = chain.entry_hash(
            seq=seq,
            created_at=event.created_at,
            tenant_key=event.tenant_key,
            actor=event.actor,
            action=event.action,
            target_type=event.target_type,
            target_id=event.target_id,
            data=event.data,
            prev_hash=event.prev_hash,
        )
        if recomputed != event.entry_hash:
            report.problems.append(
                Problem(seq, "edited", f"entry #{seq}: content does not match its hash")
            )
        elif not chain.mac_matches(key, event.entry_hash, event.entry_mac):
            report.problems.append(
                Problem(
                    seq,
                    "forged",
                    f"entry #{seq}: MAC invalid (written or re-hashed without the key)",
                )
            )
        if event.prev_hash != prev and seq == expected_seq:
            report.problems.append(
                Problem(
                    seq,
                    "unlinked",
                    f"entry #{seq}: does not link to the entry before it "
                    "(an entry was inserted, deleted or edited before it)",
                )
            )
        hashes[seq] = event.entry_hash
        prev = event.entry_hash
        expected_seq = seq + 1
        report.last_seq = seq
    return hashes


def _checkpoint_problems(
    checkpoints: list[CheckpointRecord],
    hashes: dict[int, str],
    key: str,
    report: VerifyReport,
) -> None:
    prev_signature = ""
    for cp in checkpoints:
        report.checkpoints += 1
        message = chain.checkpoint_message(
            seq=cp.seq,
            head_hash=cp.head_hash,
            created_at=cp.created_at,
            prev_signature=cp.prev_signature,
        )
        if not chain.mac_matches(key, message, cp.signature):
            report.problems.append(
                Problem(
                    cp.seq,
                    "checkpoint_forged",
                    f"{cp.source} checkpoint at #{cp.seq}: signature invalid",
                )
            )
            continue
        if cp.source == "database" and cp.prev_signature != prev_signature:
            report.problems.append(
                Problem(
                    cp.seq,
                    "checkpoint_chain",
                    f"checkpoint at #{cp.seq}: does not follow the previous checkpoint "
                    "(a checkpoint was deleted)",
                )
            )
        prev_signature = cp.signature
        if cp.seq == 0:
            continue
        if cp.seq > report.last_seq:
            report.problems.append(
                Problem(
                    report.last_seq + 1,
                    "truncated",
                    f"entry #{report.last_seq + 1}: missing; the log ends at "
                    f"#{report.last_seq} but a signed {cp.source} checkpoint covers "
                    f"#{cp.seq} (tail truncated)",
                )
            )
        elif hashes.get(cp.seq) != cp.head_hash:
            report.problems.append(
                Problem(
                    cp.seq,
                    "checkpoint_mismatch",
                    f"entry #{cp.seq}: differs from the signed {cp.source} checkpoint "
                    "(history rewritten at or before it)",
                )
            )


def checkpoint_records_parse(rows: Iterable[dict[str, Any]]) -> list[CheckpointRecord]:
    """Checkpoints exported as JSON lines (AUDIT_CHECKPOINT_FILE, log shipping)."""
    return [
        CheckpointRecord(
            seq=int(row["seq"]),
            head_hash=str(row["head_hash"]),
            created_at=dt.datetime.fromisoformat(str(row["created_at"])),
            prev_signature=str(row["prev_signature"]),
            signature=str(row["signature"]),
            source="external",
        )
        for row in rows
    ]


def audit_log_verify(
    *, external: list[CheckpointRecord] | None = None, key: str | None = None
) -> VerifyReport:
    """Check the whole chain and every checkpoint; see the module doc for what fails."""
    key = key or settings.AUDIT_SIGNING_KEY
    report = VerifyReport()
    hashes = _entry_problems(
        AuditEvent.objects.order_by("seq").iterator(chunk_size=2000), key, report
    )
    stored = [
        CheckpointRecord(
            seq=cp.seq,
            head_hash=cp.head_hash,
            created_at=cp.created_at,
            prev_signature=cp.prev_signature,
            signature=cp.signature,
            source="database",
        )
        for cp in AuditCheckpoint.objects.order_by("id")
    ]
    _checkpoint_problems(stored + list(external or []), hashes, key, report)
    report.problems.sort(key=lambda p: (p.seq is None, p.seq or 0))
    latest = stored[-1].created_at if stored else None
    max_age = dt.timedelta(seconds=settings.AUDIT_CHECKPOINT_MAX_AGE_S)
    if report.entries and (latest is None or timezone.now() - latest > max_age):
        report.warnings.append(
            "no signed checkpoint in the last "
            f"{settings.AUDIT_CHECKPOINT_MAX_AGE_S // 60} minutes: entries after the "
            "last checkpoint could be truncated without detection (is beat running?)"
        )
    return report
