"""Writes to the audit log. Callers record inside their own transaction."""

from typing import Any

from auditing.models import AuditEvent


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
    return AuditEvent.objects.create(
        action=action,
        actor=actor,
        tenant_key=tenant_key,
        target_type=target_type,
        target_id=str(target_id),
        data=data or {},
    )
