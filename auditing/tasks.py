"""Celery entry points of the auditing app (beat schedule in settings)."""

from celery import shared_task


@shared_task(name="auditing.tasks.db_access_expire_all")
def db_access_expire_all() -> dict[str, int]:
    """Every minute: expire stale requests, end due grants, drop orphan roles."""
    from auditing.services.db_access import db_access_expire_all as sweep

    result = sweep()
    return {
        "pending_expired": result.pending_expired,
        "grants_ended": result.grants_ended,
        "sessions_terminated": result.sessions_terminated,
        "orphans_dropped": len(result.orphans_dropped),
    }


@shared_task(name="auditing.tasks.db_access_end")
def db_access_end(request_id: int) -> int:
    """End one due grant (idempotent); returns the sessions terminated."""
    from auditing.services.db_access import db_access_end as end

    return end(request_id=request_id).sessions_terminated


@shared_task(name="auditing.tasks.anomalies_detect")
def anomalies_detect() -> int:
    """Every 5 minutes: run the anomaly rules; returns the number of new alerts."""
    from auditing.anomalies import anomalies_detect as detect

    return len(detect())


@shared_task(name="auditing.tasks.audit_checkpoint_write")
def audit_checkpoint_write() -> int:
    """Hourly: sign the head of the audit log, even when idle (a heartbeat)."""
    from auditing.services.audit_log import audit_checkpoint_write as write

    return write().seq
