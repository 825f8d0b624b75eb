"""Writes for tenants: the Connect lifecycle."""

from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils import timezone

from auditing.services import audit_event_record
from jira_sync.models import Tenant


class InstallPayloadError(ValueError):
    """The lifecycle body is not an install payload we can accept."""


@dataclass(frozen=True)
class InstallPayload:
    client_key: str
    shared_secret: str
    base_url: str
    display_url: str
    installation_id: str
    product_type: str

    @classmethod
    def parse(cls, body: Any) -> "InstallPayload":
        """Validate the JSON body of an `installed` call."""
        if not isinstance(body, dict):
            raise InstallPayloadError("body must be a JSON object")
        missing = [
            k for k in ("clientKey", "sharedSecret", "baseUrl") if not body.get(k)
        ]
        if missing:
            raise InstallPayloadError(f"missing {', '.join(missing)}")
        strings = (
            "clientKey",
            "sharedSecret",
            "baseUrl",
            "displayUrl",
            "installationId",
        )
        if any(not isinstance(body.get(k, ""), str) for k in strings):
            raise InstallPayloadError("install fields must be strings")
        if len(body["sharedSecret"]) > 512 or len(body["clientKey"]) > 255:
            raise InstallPayloadError("install fields too long")
        return cls(
            client_key=body["clientKey"],
            shared_secret=body["sharedSecret"],
            base_url=body["baseUrl"].rstrip("/"),
            display_url=str(body.get("displayUrl") or "").rstrip("/"),
            installation_id=str(body.get("installationId") or ""),
            product_type=str(body.get("productType") or "jira"),
        )


@transaction.atomic
def tenant_install(*, payload: InstallPayload, actor: str) -> Tenant:
    """Create or update the tenant of a verified `installed` call; rotates the secret."""
    tenant = (
        Tenant.objects.select_for_update().filter(client_key=payload.client_key).first()
    )
    reinstall = tenant is not None
    if tenant is None:
        tenant = Tenant(client_key=payload.client_key)
    tenant.base_url = payload.base_url
    tenant.display_url = payload.display_url
    tenant.shared_secret = payload.shared_secret
    tenant.installation_id = payload.installation_id
    tenant.product_type = payload.product_type
    tenant.state = Tenant.State.INSTALLED
    tenant.installed_at = timezone.now()
    tenant.uninstalled_at = None
    tenant.full_clean()
    tenant.save()
    audit_event_record(
        action="tenant.reinstalled" if reinstall else "tenant.installed",
        actor=actor,
        tenant_key=tenant.client_key,
        target_type="tenant",
        target_id=tenant.pk,
        data={"baseUrl": tenant.base_url},
    )
    return tenant


@transaction.atomic
def tenant_uninstall(*, client_key: str, actor: str) -> Tenant | None:
    """Mark the tenant uninstalled: its tokens stop working at once."""
    tenant = Tenant.objects.select_for_update().filter(client_key=client_key).first()
    if tenant is None:
        return None
    if tenant.state != Tenant.State.UNINSTALLED:
        tenant.state = Tenant.State.UNINSTALLED
        tenant.uninstalled_at = timezone.now()
        tenant.save(update_fields=["state", "uninstalled_at", "updated_at"])
        audit_event_record(
            action="tenant.uninstalled",
            actor=actor,
            tenant_key=tenant.client_key,
            target_type="tenant",
            target_id=tenant.pk,
        )
    return tenant


@transaction.atomic
def tenant_set_enabled(*, tenant: Tenant, enabled: bool, actor: str) -> Tenant:
    """Record Jira's `enabled`/`disabled` lifecycle call (idempotent)."""
    state = Tenant.State.ENABLED if enabled else Tenant.State.DISABLED
    if tenant.state != state:
        tenant.state = state
        tenant.save(update_fields=["state", "updated_at"])
        audit_event_record(
            action=f"tenant.{state}",
            actor=actor,
            tenant_key=tenant.client_key,
            target_type="tenant",
            target_id=tenant.pk,
        )
    return tenant
