"""Reads for auditing: engineers, access requests, alerts, the audit log."""

from django.conf import settings
from django.contrib.auth.models import AnonymousUser, User
from django.db.models import QuerySet

from auditing.models import Alert, AuditEvent, DbAccessRequest


class NotAnEngineer(PermissionError):
    """The user is unknown, inactive, not staff or not in the on-call group."""


def user_is_on_call_engineer(user: User | AnonymousUser) -> bool:
    """Active staff member of the on-call group (the only people allowed in)."""
    return bool(
        user.is_authenticated
        and user.is_active
        and getattr(user, "is_staff", False)
        and user.groups.filter(name=settings.AUDIT_ON_CALL_GROUP).exists()
    )


def engineer_get(*, username: str) -> User:
    """The on-call engineer with this username, or NotAnEngineer."""
    user = User.objects.filter(username=username).first()
    if user is None or not user_is_on_call_engineer(user):
        raise NotAnEngineer(
            f"{username!r} is not an active staff user in the "
            f"{settings.AUDIT_ON_CALL_GROUP!r} group"
        )
    return user


def engineer_username_for_os_user(os_user: str) -> str:
    """The Django username an OS user maps to (AUDIT_ENGINEER_USERNAMES, else same)."""
    return settings.AUDIT_ENGINEER_USERNAMES.get(os_user, os_user)


def db_access_request_get(*, request_id: int) -> DbAccessRequest:
    """One access request, or DbAccessRequest.DoesNotExist."""
    return DbAccessRequest.objects.select_related("requester").get(pk=request_id)


def db_access_requests_unreviewed() -> QuerySet[DbAccessRequest]:
    """Ended grants nobody has reviewed after use yet (the review queue)."""
    return DbAccessRequest.objects.filter(
        state__in=[DbAccessRequest.State.ENDED, DbAccessRequest.State.REVOKED],
        post_reviewed_at__isnull=True,
    ).select_related("requester")


def alerts_open() -> QuerySet[Alert]:
    """Alerts nobody has acknowledged yet."""
    return Alert.objects.filter(acknowledged_at__isnull=True)


def audit_events_for_tenant(*, tenant_key: str) -> QuerySet[AuditEvent]:
    """The audit entries of one tenant, oldest first."""
    return AuditEvent.objects.filter(tenant_key=tenant_key).order_by("seq")
