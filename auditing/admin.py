"""Admin for on-call engineers: tenants, the audit log, access requests, alerts.

Actions call the same services as the management commands, so the rules (no self
approval, N approvals for write, post-use review by someone else) are the same, and
each action is an audit entry.
"""

from collections.abc import Callable
from typing import Any

from django.contrib import admin, messages
from django.contrib.auth.models import User
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse

from auditing.admin_site import site
from auditing.models import (
    Alert,
    AuditCheckpoint,
    AuditEvent,
    DbAccessRequest,
)
from auditing.selectors import user_is_on_call_engineer
from auditing.services.alerts import alert_acknowledge
from auditing.services.db_access import (
    DbAccessError,
    db_access_post_review,
    db_access_review,
    db_access_revoke,
)
from jira_sync.models import Tenant


def _user(request: HttpRequest) -> User:
    """The on-call engineer (the admin site lets nobody else in)."""
    assert isinstance(request.user, User)  # noqa: S101
    return request.user


class OnCallViewMixin:
    """The site already requires the on-call group and OTP: they may view these."""

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return user_is_on_call_engineer(request.user)

    def has_module_permission(self, request: HttpRequest) -> bool:
        return user_is_on_call_engineer(request.user)


class ReadOnlyAdmin(OnCallViewMixin, admin.ModelAdmin):  # type: ignore[type-arg]
    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Tenant, site=site)
class TenantAdmin(ReadOnlyAdmin):
    # shared_secret is never shown, not even masked.
    fields = [
        "client_key",
        "base_url",
        "display_url",
        "state",
        "product_type",
        "installation_id",
        "installed_at",
        "uninstalled_at",
    ]
    list_display = ["client_key", "base_url", "state", "installed_at"]
    list_filter = ["state"]
    search_fields = ["client_key", "base_url"]


@admin.register(AuditEvent, site=site)
class AuditEventAdmin(ReadOnlyAdmin):
    list_display = ["seq", "created_at", "action", "actor", "tenant_key", "target"]
    list_filter = ["action", "target_type", "created_at"]
    search_fields = ["actor", "action", "tenant_key", "target_id"]
    date_hierarchy = "created_at"
    exclude = ["entry_mac"]

    @admin.display(description="target")
    def target(self, obj: AuditEvent) -> str:
        return f"{obj.target_type} {obj.target_id}".strip()


@admin.register(AuditCheckpoint, site=site)
class AuditCheckpointAdmin(ReadOnlyAdmin):
    list_display = ["id", "created_at", "seq", "head_hash"]


def _with_comment(
    name: str,
    title: str,
    run: Callable[[HttpRequest, Any, str], str | None],
) -> Callable[[Any, HttpRequest, QuerySet[Any]], HttpResponse | None]:
    """An admin action that first asks for a comment, then runs `run` per object."""

    def action(
        modeladmin: Any, request: HttpRequest, queryset: QuerySet[Any]
    ) -> HttpResponse | None:
        comment = request.POST.get("comment", "").strip()
        if "apply" not in request.POST or not comment:
            return TemplateResponse(
                request,
                "admin/auditing/action_comment.html",
                {
                    **modeladmin.admin_site.each_context(request),
                    "title": title,
                    "objects": list(queryset),
                    "action": request.POST.get("action", ""),
                },
            )
        for obj in queryset:
            try:
                done = run(request, obj, comment)
            except DbAccessError as exc:
                modeladmin.message_user(request, f"#{obj.pk}: {exc}", messages.ERROR)
            else:
                if done:
                    modeladmin.message_user(request, done, messages.SUCCESS)
        return None

    action.__name__ = name
    action.short_description = title  # type: ignore[attr-defined]
    return action


def _approve(request: HttpRequest, obj: DbAccessRequest, comment: str) -> str:
    result = db_access_review(
        request_id=obj.pk,
        reviewer=_user(request),
        approve=True,
        comment=comment,
    )
    return f"#{obj.pk}: approved ({result.state})"


def _deny(request: HttpRequest, obj: DbAccessRequest, comment: str) -> str:
    db_access_review(
        request_id=obj.pk,
        reviewer=_user(request),
        approve=False,
        comment=comment,
    )
    return f"#{obj.pk}: denied"


def _post_review(request: HttpRequest, obj: DbAccessRequest, comment: str) -> str:
    db_access_post_review(request_id=obj.pk, reviewer=_user(request), comment=comment)
    return f"#{obj.pk}: reviewed after use"


def _revoke(request: HttpRequest, obj: DbAccessRequest, comment: str) -> str:
    result = db_access_revoke(request_id=obj.pk, actor=_user(request))
    return f"#{obj.pk}: revoked, {result.sessions_terminated} session(s) terminated"


def _acknowledge(request: HttpRequest, obj: Alert, comment: str) -> str:
    alert_acknowledge(alert_id=obj.pk, user=_user(request), comment=comment)
    return f"alert #{obj.pk} acknowledged"


class UnreviewedFilter(admin.SimpleListFilter):
    title = "post-use review"
    parameter_name = "post_review"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [("todo", "Awaiting review"), ("done", "Reviewed")]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        ended = [DbAccessRequest.State.ENDED, DbAccessRequest.State.REVOKED]
        if self.value() == "todo":
            return queryset.filter(state__in=ended, post_reviewed_at__isnull=True)
        if self.value() == "done":
            return queryset.filter(post_reviewed_at__isnull=False)
        return queryset


@admin.register(DbAccessRequest, site=site)
class DbAccessRequestAdmin(ReadOnlyAdmin):
    list_display = [
        "id",
        "requester",
        "scope",
        "tenant_key",
        "ticket",
        "state",
        "created_at",
        "access_expires_at",
        "post_reviewed_at",
    ]
    list_filter = [UnreviewedFilter, "state", "scope"]
    search_fields = ["ticket", "role_name", "tenant_key", "requester__username"]
    exclude = ["password"]
    actions = [
        _with_comment("approve", "Approve", _approve),
        _with_comment("deny", "Deny", _deny),
        _with_comment("revoke", "Revoke now", _revoke),
        _with_comment("post_review", "Review after use", _post_review),
    ]


@admin.register(Alert, site=site)
class AlertAdmin(ReadOnlyAdmin):
    list_display = [
        "id",
        "created_at",
        "severity",
        "rule",
        "summary",
        "acknowledged_at",
    ]
    list_filter = ["severity", "rule", ("acknowledged_at", admin.EmptyFieldListFilter)]
    search_fields = ["summary", "rule"]
    actions = [_with_comment("acknowledge", "Acknowledge", _acknowledge)]
