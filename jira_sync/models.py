"""Tenants: one row per Jira site that installed the app.

Only the install record lives here. The shared secret is encrypted at rest; Jira issue
data never enters the database (it is cached in Redis with expiry, see selectors).
"""

from django.db import models

from structure_cloud.fields import EncryptedTextField


class Tenant(models.Model):
    class State(models.TextChoices):
        INSTALLED = "installed", "Installed"
        ENABLED = "enabled", "Enabled"
        DISABLED = "disabled", "Disabled"
        UNINSTALLED = "uninstalled", "Uninstalled"

    client_key = models.CharField(max_length=255, unique=True)
    base_url = models.URLField(max_length=255)
    display_url = models.URLField(max_length=255, blank=True, default="")
    shared_secret = EncryptedTextField()
    installation_id = models.CharField(max_length=255, blank=True, default="")
    product_type = models.CharField(max_length=32, blank=True, default="jira")
    state = models.CharField(
        max_length=16, choices=State.choices, default=State.INSTALLED
    )
    installed_at = models.DateTimeField()
    uninstalled_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["client_key"]

    def __str__(self) -> str:
        return f"{self.base_url} ({self.state})"

    @property
    def is_active(self) -> bool:
        """Installed and not disabled or uninstalled: pages, API and Jira calls work."""
        return self.state in (self.State.INSTALLED, self.State.ENABLED)
