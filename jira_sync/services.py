"""Writes for tenants (the Connect lifecycle) and for the Jira cache (evict, purge, refresh)."""

import logging
import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from auditing.services import audit_event_record
from jira_sync import cache_keys, cache_store, selectors
from jira_sync.client import JiraBadRequest, JiraNotFound
from jira_sync.models import Tenant
from jira_sync.tasks import tenant_cache_purge as tenant_cache_purge_task

logger = logging.getLogger(__name__)


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
    # After commit: a worker must not purge for a rollback, nor before the state
    # change is visible (the selectors stop caching for an uninstalled tenant).
    # Once more when every fetch already in flight has stored what it got.
    tenant_id = tenant.pk

    def purge() -> None:
        tenant_cache_purge_task.delay(tenant_id)
        tenant_cache_purge_task.apply_async(
            (tenant_id,), countdown=settings.JIRA_PURGE_AGAIN_AFTER_S
        )

    transaction.on_commit(purge)
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


# ---- the Jira cache: eviction, purge, refresh ----------------------------------------
#
# Cache-only writes: nothing here touches the database, so no transaction or audit
# event; callers are the webhook view, jira_sync.tasks and management commands.

ISSUE_EVENTS = frozenset(
    {"jira:issue_created", "jira:issue_updated", "jira:issue_deleted"}
)
LINK_EVENTS = frozenset({"issuelink_created", "issuelink_deleted"})
# Changelog fields after which who may browse the issue can differ.
_ACCESS_FIELDS = frozenset({"security", "project", "level"})
_PARENT_FIELDS = frozenset({"parent", "issueparentassociation"})


class WebhookPayloadError(ValueError):
    """A webhook body that does not carry what its event needs."""


def _int_id(value: Any) -> int | None:
    try:
        number = int(str(value))
    except (TypeError, ValueError):
        return None
    return number if number > 0 else None


def issues_evict(
    *, tenant: Tenant, issue_ids: Iterable[int], access_changed: bool = False
) -> None:
    """Forget cached data of these issues (and every cached search result).

    With `access_changed` (security level or project changed, issue deleted) every
    user's cached browse answer for them is dropped too, so nobody keeps seeing an
    issue they lost access to until the entry would have expired.
    """
    ids = sorted({int(i) for i in issue_ids})
    client_key = tenant.client_key
    cache_store.delete_many(
        [cache_keys.issue(client_key, i) for i in ids]
        + [cache_keys.issue_compact(client_key, i) for i in ids]
    )
    cache_store.incr(
        cache_keys.search_generation(client_key),
        ttl=int(settings.JIRA_CACHE_TTLS["search"]) * 2,
    )
    if access_changed:
        for issue_id in ids:
            cache_store.delete_prefix(
                cache_keys.tenant_prefix(client_key) + "user:",
                f":browse:{issue_id}",
            )


def webhook_event_apply(*, tenant: Tenant, event: str, payload: dict[str, Any]) -> bool:
    """Evict what a Jira webhook says changed; False for an event we do not handle.

    Idempotent (webhooks are at-least-once and unordered): it only deletes entries,
    the next read fetches fresh data. Raises `WebhookPayloadError` on a body without
    the IDs its event needs.
    """
    if event in ISSUE_EVENTS:
        issue = payload.get("issue")
        issue_id = _int_id(issue.get("id")) if isinstance(issue, dict) else None
        if issue_id is None:
            raise WebhookPayloadError("issue event without issue.id")
        ids = {issue_id}
        fields = issue.get("fields") if isinstance(issue, dict) else None
        parent = fields.get("parent") if isinstance(fields, dict) else None
        if isinstance(parent, dict) and _int_id(parent.get("id")):
            ids.add(int(parent["id"]))  # its `subtasks` changed
        access_changed = event == "jira:issue_deleted"
        changelog = payload.get("changelog")
        items = changelog.get("items") if isinstance(changelog, dict) else None
        for item in items if isinstance(items, list) else []:
            if not isinstance(item, dict):
                continue
            name = str(item.get("fieldId") or item.get("field") or "").lower()
            if name in _ACCESS_FIELDS:
                access_changed = True
            if name in _PARENT_FIELDS:
                ids |= {
                    i for i in (_int_id(item.get("from")), _int_id(item.get("to"))) if i
                }
        issues_evict(tenant=tenant, issue_ids=ids, access_changed=access_changed)
        return True
    if event in LINK_EVENTS:
        link = payload.get("issueLink")
        ends = (
            {
                _int_id(link.get("sourceIssueId")),
                _int_id(link.get("destinationIssueId")),
            }
            if isinstance(link, dict)
            else set()
        )
        ids = {i for i in ends if i is not None}
        if not ids:
            raise WebhookPayloadError("link event without issueLink issue IDs")
        issues_evict(tenant=tenant, issue_ids=ids)
        return True
    return False


def tenant_cache_purge(*, client_key: str) -> int:
    """Delete every cache entry of a tenant (SCAN by its prefix); the count deleted."""
    return cache_store.delete_prefix(cache_keys.tenant_prefix(client_key))


def _expires_soon(key: str, margin_s: int) -> bool:
    remaining = cache_store.ttl_remaining(key)
    return remaining is None or remaining <= margin_s


def user_permissions_refresh(
    *, tenant: Tenant, account_id: str, margin_s: int | None = None
) -> None:
    """Refetch a user's groups, project roles and cached browse answers.

    Groups and roles are refetched only when they expire within `margin_s` (default:
    two refresh intervals); browse answers, whose TTL is shorter than the interval,
    always. Raises JiraError subclasses when Jira fails.
    """
    if not tenant.is_active:
        return
    margin = margin_s if margin_s is not None else 2 * settings.JIRA_REFRESH_INTERVAL_S
    ttls = settings.JIRA_CACHE_TTLS
    client_key = tenant.client_key
    groups_key = cache_keys.user_groups(client_key, account_id)
    roles_key = cache_keys.user_project_roles(client_key, account_id)
    if _expires_soon(groups_key, margin) or _expires_soon(roles_key, margin):
        groups = selectors.groups_fetch(tenant, account_id)
        actors_key = cache_keys.role_actors(client_key)
        if _expires_soon(actors_key, margin):
            actors = selectors.role_actors_fetch(tenant)
            cache_store.set_many(
                {actors_key: [a.to_cache() for a in actors]}, ttls["project_roles"]
            )
        else:
            actors = selectors.role_actors_get(tenant)
        cache_store.set_many({groups_key: groups}, ttls["groups"])
        cache_store.set_many(
            {roles_key: selectors.project_roles_of(account_id, groups, actors)},
            ttls["project_roles"],
        )
    prefix = cache_keys.user_browse_prefix(client_key, account_id)
    issue_ids = [
        int(key[len(prefix) :])
        for key in cache_store.keys_with_prefix(prefix)
        if key[len(prefix) :].isdigit()
    ]
    if issue_ids:
        granted = selectors.jira_client_for(tenant).permissions_check(
            account_id=account_id, issue_ids=issue_ids
        )
        cache_store.set_many(
            {
                cache_keys.user_browse(client_key, account_id, i): int(i in granted)
                for i in issue_ids
            },
            ttls["browse_permissions"],
        )


def active_users_refresh(*, tenant: Tenant) -> int:
    """Refresh the permission entries of the tenant's users active in the last hour."""
    if not tenant.is_active:
        return 0
    since = time.time() - settings.JIRA_ACTIVE_USER_WINDOW_S
    users = cache_store.active_users_since(tenant.client_key, since)
    for account_id in users:
        try:
            user_permissions_refresh(tenant=tenant, account_id=account_id)
        except (JiraNotFound, JiraBadRequest) as exc:
            # A user deleted from the site: nothing to refresh, the others still are.
            logger.info("refresh skipped for %s: %s", account_id, exc)
    return len(users)
