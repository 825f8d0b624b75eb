"""The hash chain of the audit log: canonical form, entry hash, entry MAC, checkpoints.

Pure functions (no ORM), so the verifier, the writer and the migration that chains
pre-existing rows compute exactly the same bytes.

Canonical form: JSON with sorted keys, no whitespace, UTF-8, of
``{seq, created_at, tenant_key, actor, action, target_type, target_id, data, prev_hash}``
where ``created_at`` is the UTC ISO-8601 timestamp with microseconds.
``entry_hash = SHA-256(canonical)``; ``entry_mac = HMAC-SHA256(AUDIT_SIGNING_KEY,
entry_hash)``, so an entry re-hashed by someone without the key is caught at the first
forged entry. Checkpoints sign ``{seq, head_hash, created_at, prev_signature}``.
"""

import hashlib
import hmac
import json
from datetime import UTC, datetime
from typing import Any

GENESIS_HASH = "0" * 64


def _timestamp(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def canonical_bytes(payload: dict[str, Any]) -> bytes:
    """The one serialisation every hash and signature is computed over."""
    return json.dumps(
        payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False
    ).encode()


def entry_hash(
    *,
    seq: int,
    created_at: datetime,
    tenant_key: str,
    actor: str,
    action: str,
    target_type: str,
    target_id: str,
    data: dict[str, Any],
    prev_hash: str,
) -> str:
    """Hex SHA-256 of the canonical form of one audit entry."""
    payload = {
        "seq": seq,
        "created_at": _timestamp(created_at),
        "tenant_key": tenant_key,
        "actor": actor,
        "action": action,
        "target_type": target_type,
        "target_id": target_id,
        "data": data,
        "prev_hash": prev_hash,
    }
    return hashlib.sha256(canonical_bytes(payload)).hexdigest()


def mac(key: str, message: str) -> str:
    """Hex HMAC-SHA256 of `message` under `key`."""
    return hmac.new(key.encode(), message.encode(), hashlib.sha256).hexdigest()


def mac_matches(key: str, message: str, expected: str) -> bool:
    """Constant-time check of a MAC made by :func:`mac`."""
    return hmac.compare_digest(mac(key, message), expected)


def checkpoint_message(
    *, seq: int, head_hash: str, created_at: datetime, prev_signature: str
) -> str:
    """The string a checkpoint signature covers."""
    return canonical_bytes(
        {
            "seq": seq,
            "head_hash": head_hash,
            "created_at": _timestamp(created_at),
            "prev_signature": prev_signature,
        }
    ).decode()
