"""The audit log, its signed checkpoints, temporary database access and alerts.

Audit entries name who did what to which object; they never hold secrets or Jira field
data (``auditing.services.audit_log`` validates ``data``). On PostgreSQL a trigger
rejects UPDATE and DELETE on entries and checkpoints (migration 0003).
"""

from django.conf import settings
from django.db import models

from structure_cloud.fields import EncryptedTextField


class AuditEvent(models.Model):
    seq = models.BigIntegerField(unique=True)
    created_at = models.DateTimeField(db_index=True)
    tenant_key = models.CharField(max_length=255, blank=True, default="", db_index=True)
    actor = models.CharField(max_length=255)
    action = models.CharField(max_length=100, db_index=True)
    target_type = models.CharField(max_length=100, blank=True, default="")
    target_id = models.CharField(max_length=255, blank=True, default="")
    data = models.JSONField(default=dict, blank=True)
    prev_hash = models.CharField(max_length=64)
    entry_hash = models.CharField(max_length=64)
    entry_mac = models.CharField(max_length=64)

    class Meta:
        ordering = ["seq"]
        # The on-commit spike check counts one actor's recent entries.
        indexes = [
            models.Index(fields=["actor", "created_at"], name="auditing_event_actor_at")
        ]

    def __str__(self) -> str:
        return f"#{self.seq} {self.action} by {self.actor}"


class AuditCheckpoint(models.Model):
    """A signed statement "the log had `seq` entries ending in `head_hash`"."""

    created_at = models.DateTimeField()
    seq = models.BigIntegerField()
    head_hash = models.CharField(max_length=64)
    prev_signature = models.CharField(max_length=64, blank=True, default="")
    signature = models.CharField(max_length=64)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"checkpoint @#{self.seq} ({self.created_at:%Y-%m-%d %H:%M})"


class DbAccessRequest(models.Model):
    """A request for temporary database credentials, and the grant it becomes."""

    class Scope(models.TextChoices):
        READ = "read", "Read"
        WRITE = "write", "Read and write"

    class State(models.TextChoices):
        PENDING = "pending", "Pending review"
        DENIED = "denied", "Denied"
        EXPIRED = "expired", "Expired before approval"
        ISSUED = "issued", "Issued (live)"
        ENDED = "ended", "Ended at expiry"
        REVOKED = "revoked", "Revoked early"

    requester = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    reason = models.TextField()
    ticket = models.CharField(max_length=64)
    scope = models.CharField(max_length=8, choices=Scope.choices)
    tenant_key = models.CharField(max_length=255, blank=True, default="")
    ttl_seconds = models.PositiveIntegerField()
    state = models.CharField(
        max_length=8, choices=State.choices, default=State.PENDING, db_index=True
    )
    created_at = models.DateTimeField()
    pending_expires_at = models.DateTimeField()
    role_name = models.CharField(max_length=63, blank=True, default="", db_index=True)
    issued_at = models.DateTimeField(null=True, blank=True)
    access_expires_at = models.DateTimeField(null=True, blank=True)
    # Encrypted at rest, wiped (NULL) once the requester has been shown it.
    password = EncryptedTextField(null=True, blank=True)
    password_shown_at = models.DateTimeField(null=True, blank=True)
    revoke_requested_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    sessions_terminated = models.PositiveIntegerField(default=0)
    post_reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    post_reviewed_at = models.DateTimeField(null=True, blank=True)
    post_review_comment = models.TextField(blank=True, default="")

    class Meta:
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"access #{self.pk} {self.scope} ({self.state})"

    @property
    def is_live(self) -> bool:
        """Issued and not yet cleaned up (the role may exist)."""
        return self.state == self.State.ISSUED


class DbAccessReview(models.Model):
    class Decision(models.TextChoices):
        APPROVE = "approve", "Approve"
        DENY = "deny", "Deny"

    request = models.ForeignKey(
        DbAccessRequest, on_delete=models.PROTECT, related_name="reviews"
    )
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    decision = models.CharField(max_length=8, choices=Decision.choices)
    comment = models.TextField()
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["request", "reviewer"], name="auditing_one_review_per_reviewer"
            )
        ]

    def __str__(self) -> str:
        return f"{self.decision} of #{self.request_id} by {self.reviewer_id}"


class Alert(models.Model):
    class Severity(models.TextChoices):
        INFO = "info", "Info"
        WARNING = "warning", "Warning"
        CRITICAL = "critical", "Critical"

    rule = models.CharField(max_length=64, db_index=True)
    severity = models.CharField(max_length=8, choices=Severity.choices)
    # One alert per rule and subject: rerunning the detector does not duplicate it.
    fingerprint = models.CharField(max_length=255, unique=True)
    summary = models.CharField(max_length=500)
    details = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(db_index=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledge_comment = models.TextField(blank=True, default="")

    class Meta:
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"[{self.severity}] {self.rule}: {self.summary}"
