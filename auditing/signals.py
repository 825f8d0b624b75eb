"""Audit entries for Django logins: the admin is the only session login in this app.

Success, logout and failure are recorded; a failed login never records the password
(Django hands receivers cleansed credentials) and names the account only when it
exists, so a password typed into the username field is never logged.
"""

from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.signals import (
    user_logged_in,
    user_logged_out,
    user_login_failed,
)
from django.dispatch import receiver
from django.http import HttpRequest

from auditing.services.audit_log import audit_event_record

UNKNOWN_ACCOUNT = "unknown-account"


def _where(request: HttpRequest | None) -> dict[str, str]:
    return {"path": request.path[:200]} if request is not None else {}


@receiver(user_logged_in, dispatch_uid="auditing.login")
def _login_recorded(
    sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any
) -> None:
    audit_event_record(
        action="auth.login",
        actor=user.get_username(),
        target_type="auth.user",
        target_id=user.pk,
        data=_where(request),
    )


@receiver(user_logged_out, dispatch_uid="auditing.logout")
def _logout_recorded(
    sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any
) -> None:
    if user is None:  # an anonymous session ended
        return
    audit_event_record(
        action="auth.logout",
        actor=user.get_username(),
        target_type="auth.user",
        target_id=user.pk,
        data=_where(request),
    )


@receiver(user_login_failed, dispatch_uid="auditing.login_failed")
def _login_failure_recorded(
    sender: Any,
    credentials: dict[str, Any],
    request: HttpRequest | None = None,
    **kwargs: Any,
) -> None:
    model = get_user_model()
    username = credentials.get(model.USERNAME_FIELD)
    user = (
        model._default_manager.filter(**{model.USERNAME_FIELD: username}).first()
        if isinstance(username, str) and username
        else None
    )
    audit_event_record(
        action="auth.login_failed",
        actor=user.get_username() if user is not None else UNKNOWN_ACCOUNT,
        target_type="auth.user" if user is not None else "",
        target_id=user.pk if user is not None else "",
        data={**_where(request), "factor": "password"},
    )
