"""Writes of the auditing app. ``audit_event_record`` is the entry point for every app."""

from auditing.services.audit_log import (
    AuditDataError,
    audit_checkpoint_write,
    audit_data_validate,
    audit_event_record,
)

__all__ = [
    "AuditDataError",
    "audit_checkpoint_write",
    "audit_data_validate",
    "audit_event_record",
]
