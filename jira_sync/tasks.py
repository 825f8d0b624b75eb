"""Celery entry points of jira_sync: load by ID, call a service, retry transient errors."""

import logging

from celery import shared_task

from jira_sync.client import JiraTransientError
from jira_sync.models import Tenant

logger = logging.getLogger(__name__)

MAX_RETRIES = 3


@shared_task(
    autoretry_for=(JiraTransientError,),
    retry_backoff=True,
    retry_backoff_max=60,
    max_retries=MAX_RETRIES,
)
def tenant_cache_purge(tenant_id: int) -> int:
    """Delete every cached Jira entry of a tenant (after uninstall)."""
    from jira_sync import services  # body import: services enqueue this task

    tenant = Tenant.objects.filter(pk=tenant_id).first()
    if tenant is None or tenant.is_active:
        return 0  # gone, or installed again since: its cache is live again
    deleted = services.tenant_cache_purge(client_key=tenant.client_key)
    logger.info("purged %d cache entries of tenant %s", deleted, tenant.client_key)
    return deleted


@shared_task(
    autoretry_for=(JiraTransientError,),
    retry_backoff=True,
    retry_backoff_max=60,
    max_retries=MAX_RETRIES,
)
def active_users_refresh(tenant_id: int) -> int:
    """Refresh groups, roles and browse answers of a tenant's recently active users."""
    from jira_sync import services

    tenant = Tenant.objects.filter(pk=tenant_id).first()
    if tenant is None or not tenant.is_active:
        return 0
    return services.active_users_refresh(tenant=tenant)


@shared_task
def active_users_refresh_all() -> int:
    """Beat entry point: one refresh task per active tenant."""
    tenant_ids = list(
        Tenant.objects.filter(
            state__in=[Tenant.State.INSTALLED, Tenant.State.ENABLED]
        ).values_list("pk", flat=True)
    )
    for tenant_id in tenant_ids:
        active_users_refresh.delay(tenant_id)
    return len(tenant_ids)
