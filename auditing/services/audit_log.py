"""Appends to the hash-chained audit log, and its signed checkpoints.

Callers record inside their own transaction: the entry commits or rolls back with the
change it describes (fail closed). Appends are serialised by a transaction-scoped
advisory lock on PostgreSQL, so two writers cannot both link to the same head; the
unique ``seq`` is the second line of defence (and the only one on SQLite).

What an entry may hold: identifiers, states, counts, short labels. Never a secret
(keys naming a password, secret, token, API or private key or credential are refused,
word by word: ``accessToken`` is refused, ``tokenCount`` is not), never Jira issue
field data (keys such as ``summary``, ``description``, ``fields`` are refused), and no
long free text: the reason a human typed stays on the access request row, not in the
log that is kept forever.
"""

import json
import logging
import math
import re
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from auditing import chain
from auditing.models import AuditCheckpoint, AuditEvent

logger = logging.getLogger("auditing.checkpoint")

# Arbitrary constant: the advisory lock key that serialises appends to the chain.
CHAIN_LOCK_KEY = 0x5C_A0D1_7106

# Secret words, matched per word of a key (``accessToken`` → access, token): inside one
# word too (``accesstoken``, ``clientsecret``), and across two neighbours (api + key).
SECRET_KEY_RE = re.compile(
    r"password|passwd|passphrase|secret|token|apikey|privatekey|credential"
    r"|authori[sz]ation|jwt|cookie|signature"
)
# Words that only count as secret on their own: "pass" (``db_pass``) but not "bypass".
SECRET_KEY_WORDS = frozenset({"pass", "pwd"})
# A key ending in one of these words describes a secret without holding it
# (``tokenCount``, ``password_changed_at``, ``api_key_id``).
SECRET_METADATA_WORDS = frozenset(
    {
        "count", "total", "num", "number", "id", "ids", "type", "kind", "ttl",
        "expires", "expiry", "expiration", "at", "age", "version", "rotated",
        "changed", "created", "updated", "present", "used", "limit", "scope",
        "scopes", "name", "names", "valid", "verified", "shown", "issued", "revoked",
    }
)  # fmt: skip
_WORD_RE = re.compile(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+|\d+")
ISSUE_FIELD_KEYS = frozenset(
    {"fields", "summary", "description", "comment", "comments", "body", "environment"}
)
SECRET_VALUE_RES = (
    re.compile(r"eyJ[\w-]+\.[\w-]+\.[\w-]*"),  # a JWT
    re.compile(r"://[^/@\s:]+:[^/@\s]+@"),  # a URI with a password
    re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----"),
)
MAX_STRING = 500
MAX_DEPTH = 4
MAX_BYTES = 8192


def _key_words(key: str) -> list[str]:
    return [w.lower() for w in _WORD_RE.findall(key)]


def secret_key_named(key: str) -> bool:
    """Does `key` name a secret? Word by word, so ``tokenCount`` is not one."""
    words = _key_words(key)
    if not words:
        return False
    last = words[-1]
    if last in SECRET_METADATA_WORDS:
        return False
    for meta in SECRET_METADATA_WORDS:
        # One run-together word: "tokencount", "passwordexpires".
        if len(meta) >= 4 and last.endswith(meta) and len(last) > len(meta):
            head = last[: -len(meta)]
            if SECRET_KEY_RE.fullmatch(head) or head in SECRET_KEY_WORDS:
                return False
    pairs = ["".join(words[i : i + 2]) for i in range(len(words))]
    return any(w in SECRET_KEY_WORDS for w in words) or any(
        SECRET_KEY_RE.search(p) for p in pairs
    )


class AuditDataError(ValueError):
    """`data` holds something the audit log must never store."""


def _check_value(value: Any, path: str, depth: int) -> None:
    if depth > MAX_DEPTH:
        raise AuditDataError(f"{path}: nested deeper than {MAX_DEPTH}")
    if value is None or isinstance(value, bool | int):
        return
    if isinstance(value, float):
        if not math.isfinite(value):
            raise AuditDataError(f"{path}: not a finite number")
        return
    if isinstance(value, str):
        if len(value) > MAX_STRING:
            raise AuditDataError(f"{path}: longer than {MAX_STRING} characters")
        if any(r.search(value) for r in SECRET_VALUE_RES):
            raise AuditDataError(f"{path}: looks like a secret")
        return
    if isinstance(value, list | tuple):
        for i, item in enumerate(value):
            _check_value(item, f"{path}[{i}]", depth + 1)
        return
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str):
                raise AuditDataError(f"{path}: keys must be strings")
            if secret_key_named(key):
                raise AuditDataError(f"{path}.{key}: secrets are never logged")
            if key.lower() in ISSUE_FIELD_KEYS:
                raise AuditDataError(f"{path}.{key}: issue field data is never logged")
            _check_value(item, f"{path}.{key}", depth + 1)
        return
    raise AuditDataError(f"{path}: unsupported type {type(value).__name__}")


def audit_data_validate(data: dict[str, Any]) -> None:
    """Refuse secrets, issue field data, long text and non-JSON values in `data`."""
    _check_value(data, "data", 0)
    if len(chain.canonical_bytes(data)) > MAX_BYTES:
        raise AuditDataError(f"data: larger than {MAX_BYTES} bytes")


def _lock_chain() -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [CHAIN_LOCK_KEY])


def audit_event_record(
    *,
    action: str,
    actor: str,
    tenant_key: str = "",
    target_type: str = "",
    target_id: str | int = "",
    data: dict[str, Any] | None = None,
) -> AuditEvent:
    """Append one entry; `action` is `<entity>.<verb>` (``tenant.installed``)."""
    payload = dict(data or {})
    audit_data_validate(payload)
    # Round-trip through JSON so the hash covers exactly what the database returns.
    payload = json.loads(json.dumps(payload))
    # No savepoint of its own (two round trips per entry): inside a caller's
    # transaction, a failed append must roll the caller's change back anyway.
    with transaction.atomic(savepoint=False):
        return _append(
            action=action,
            actor=actor,
            tenant_key=tenant_key,
            target_type=target_type,
            target_id=str(target_id),
            payload=payload,
        )


def _append(
    *,
    action: str,
    actor: str,
    tenant_key: str,
    target_type: str,
    target_id: str,
    payload: dict[str, Any],
) -> AuditEvent:
    _lock_chain()
    head = AuditEvent.objects.order_by("-seq").only("seq", "entry_hash").first()
    seq = head.seq + 1 if head else 1
    prev_hash = head.entry_hash if head else chain.GENESIS_HASH
    created_at = timezone.now()
    entry_hash = chain.entry_hash(
        seq=seq,
        created_at=created_at,
        tenant_key=tenant_key,
        actor=actor,
        action=action,
        target_type=target_type,
        target_id=target_id,
        data=payload,
        prev_hash=prev_hash,
    )
    event = AuditEvent.objects.create(
        seq=seq,
        created_at=created_at,
        action=action,
        actor=actor,
        tenant_key=tenant_key,
        target_type=target_type,
        target_id=target_id,
        data=payload,
        prev_hash=prev_hash,
        entry_hash=entry_hash,
        entry_mac=chain.mac(settings.AUDIT_SIGNING_KEY, entry_hash),
    )
    if seq % settings.AUDIT_CHECKPOINT_EVERY == 0:
        audit_checkpoint_write()
    # Anomaly rules run on the new entry once it commits (never inside this
    # transaction: detection must not be able to roll back what it watches).
    from auditing.anomalies import anomalies_on_entry_recorded

    anomalies_on_entry_recorded(event)
    return event


@transaction.atomic
def audit_checkpoint_write() -> AuditCheckpoint:
    """Sign the current head of the log (also when nothing happened: a heartbeat)."""
    _lock_chain()
    head = AuditEvent.objects.order_by("-seq").only("seq", "entry_hash").first()
    previous = AuditCheckpoint.objects.order_by("-id").first()
    created_at = timezone.now()
    seq = head.seq if head else 0
    head_hash = head.entry_hash if head else chain.GENESIS_HASH
    prev_signature = previous.signature if previous else ""
    signature = chain.mac(
        settings.AUDIT_SIGNING_KEY,
        chain.checkpoint_message(
            seq=seq,
            head_hash=head_hash,
            created_at=created_at,
            prev_signature=prev_signature,
        ),
    )
    checkpoint = AuditCheckpoint.objects.create(
        created_at=created_at,
        seq=seq,
        head_hash=head_hash,
        prev_signature=prev_signature,
        signature=signature,
    )
    line = json.dumps(
        {
            "seq": seq,
            "head_hash": head_hash,
            "created_at": created_at.isoformat(),
            "prev_signature": prev_signature,
            "signature": signature,
        }
    )
    # The copy outside the database: log shipping (and optionally an append-only
    # file) keeps checkpoints a database owner cannot rewrite.
    transaction.on_commit(lambda: _export_checkpoint(line))
    return checkpoint


def _export_checkpoint(line: str) -> None:
    logger.info("audit checkpoint %s", line)
    path: str = settings.AUDIT_CHECKPOINT_FILE
    if path:
        with open(path, "a", encoding="utf-8") as fh:
            fh.write(line + "\n")
