"""Alerts raised by the anomaly rules: stored once per subject, logged, acknowledged."""

import logging
from typing import Any

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone

from auditing.models import Alert
from auditing.services.audit_log import audit_event_record

logger = logging.getLogger("auditing.alerts")

_LOG_LEVEL = {
    Alert.Severity.INFO: logging.INFO,
    Alert.Severity.WARNING: logging.WARNING,
    Alert.Severity.CRITICAL: logging.ERROR,
}


@transaction.atomic
def alert_raise(
    *,
    rule: str,
    severity: str,
    fingerprint: str,
    summary: str,
    details: dict[str, Any] | None = None,
    tenant_key: str = "",
) -> Alert | None:
    """Store the alert unless this rule already fired for this subject; None then."""
    alert, created = Alert.objects.get_or_create(
        fingerprint=fingerprint[:255],
        defaults={
            "rule": rule,
            "severity": severity,
            "summary": summary[:500],
            "details": details or {},
            "created_at": timezone.now(),
        },
    )
    if not created:
        return None
    audit_event_record(
        action="alert.raised",
        actor="system:anomaly-detector",
        tenant_key=tenant_key,
        target_type="alert",
        target_id=alert.pk,
        data={"rule": rule, "severity": severity},
    )
    transaction.on_commit(
        lambda: logger.log(
            _LOG_LEVEL.get(Alert.Severity(severity), logging.WARNING),
            "anomaly %s [%s]: %s",
            rule,
            severity,
            summary,
        )
    )
    return alert


@transaction.atomic
def alert_acknowledge(*, alert_id: int, user: User, comment: str = "") -> Alert:
    """Mark an alert as seen by an on-call engineer (idempotent)."""
    alert = Alert.objects.select_for_update().get(pk=alert_id)
    if alert.acknowledged_at is not None:
        return alert
    alert.acknowledged_by = user
    alert.acknowledged_at = timezone.now()
    alert.acknowledge_comment = comment.strip()[:1000]
    alert.save(
        update_fields=["acknowledged_by", "acknowledged_at", "acknowledge_comment"]
    )
    audit_event_record(
        action="alert.acknowledged",
        actor=user.get_username(),
        target_type="alert",
        target_id=alert.pk,
        data={"rule": alert.rule},
    )
    return alert
