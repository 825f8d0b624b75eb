"""The audit log: one row per data-related operation.

Entries name who did what to which object; they never hold secrets or Jira field data.
"""

from django.db import models


class AuditEvent(models.Model):
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    tenant_key = models.CharField(max_length=255, blank=True, default="", db_index=True)
    actor = models.CharField(max_length=255)
    action = models.CharField(max_length=100, db_index=True)
    target_type = models.CharField(max_length=100, blank=True, default="")
    target_id = models.CharField(max_length=255, blank=True, default="")
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"#{self.pk} {self.action} by {self.actor}"
