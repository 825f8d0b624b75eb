"""The admin site for on-call engineers: staff, the on-call group and a TOTP device."""

from typing import TYPE_CHECKING, Any

from django.contrib import admin
from django.contrib.admin.options import BaseModelAdmin
from django.core.exceptions import ValidationError
from django.db.models import Model, QuerySet
from django.http import HttpRequest
from django_otp.admin import OTPAdminAuthenticationForm, OTPAdminSite

from auditing.selectors import user_is_on_call_engineer
from auditing.services.audit_log import audit_event_record


def _label(obj: Model | type[Model]) -> str:
    return obj._meta.label_lower


if TYPE_CHECKING:
    _Base = BaseModelAdmin[Any]
else:
    _Base = object


class AuditedModelAdminMixin(_Base):
    """Every add, change and delete through the admin is also an audit entry."""

    def _record(self, request: HttpRequest, verb: str, obj: Model) -> None:
        audit_event_record(
            action=f"admin.{verb}",
            actor=request.user.get_username(),
            target_type=_label(obj),
            target_id=str(obj.pk),
        )

    def log_addition(self, request: HttpRequest, obj: Model, message: Any) -> Any:
        self._record(request, "added", obj)
        return super().log_addition(request, obj, message)  # type: ignore[misc]

    def log_change(self, request: HttpRequest, obj: Model, message: Any) -> Any:
        self._record(request, "changed", obj)
        return super().log_change(request, obj, message)  # type: ignore[misc]

    def log_deletions(self, request: HttpRequest, queryset: QuerySet[Any]) -> Any:
        for obj in queryset:
            self._record(request, "deleted", obj)
        return super().log_deletions(request, queryset)  # type: ignore[misc]


class AuditedOTPAuthenticationForm(OTPAdminAuthenticationForm):  # type: ignore[misc]
    """The admin login form; a refused second factor is an audit entry.

    The password was right (django-otp checks the token only after it), so this names
    the account; the token itself is never recorded.
    """

    def clean_otp(self, user: Any) -> None:
        try:
            super().clean_otp(user)
        except ValidationError as exc:
            # "challenge_message" re-shows the form to enter a token: not a failure.
            if user is not None and exc.code != "challenge_message":
                audit_event_record(
                    action="auth.login_failed",
                    actor=user.get_username(),
                    target_type="auth.user",
                    target_id=user.pk,
                    data={
                        "path": self.request.path[:200] if self.request else "",
                        "factor": "otp",
                        "reason": exc.code or "not_allowed",
                    },
                )
            raise


class OnCallAdminSite(OTPAdminSite):  # type: ignore[misc]
    login_form = AuditedOTPAuthenticationForm
    site_header = "Structure Cloud on-call admin"
    site_title = "Structure Cloud admin"

    def has_permission(self, request: HttpRequest) -> bool:
        """Staff, verified second factor (OTPAdminSite) and the on-call group."""
        return super().has_permission(request) and user_is_on_call_engineer(
            request.user
        )

    def register(
        self, model_or_iterable: Any, admin_class: Any = None, **options: Any
    ) -> None:
        """Register with auditing of add/change/delete mixed into the ModelAdmin."""
        base = admin_class or admin.ModelAdmin
        if not issubclass(base, AuditedModelAdminMixin):
            base = type(f"Audited{base.__name__}", (AuditedModelAdminMixin, base), {})
        super().register(model_or_iterable, base, **options)

    def adopt(self, other: admin.AdminSite) -> None:
        """Take over what other apps registered on the default site (users, devices)."""
        for model, model_admin in other._registry.items():
            if not self.is_registered(model):
                self.register(model, type(model_admin))


site = OnCallAdminSite(name="admin")
