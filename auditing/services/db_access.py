"""Temporary database credentials: request, review, issue, reveal once, end, sweep.

Every step changes state and writes its audit entry in one transaction; issuing also
creates the PostgreSQL role in that transaction, so a failing audit write leaves no role
behind (fail closed). Ending is split on purpose (Vault's gap): NOLOGIN is committed
first, then open sessions are terminated, then the role is dropped with the state
change; each step is idempotent and the beat task retries every minute.
"""

import datetime as dt
import logging
import re
import secrets
from dataclasses import dataclass
from urllib.parse import quote

from django.conf import settings
from django.contrib.auth.models import User
from django.db import connection, transaction
from django.utils import timezone

from auditing.models import DbAccessRequest, DbAccessReview
from auditing.selectors import user_is_on_call_engineer
from auditing.services import db_roles
from auditing.services.audit_log import audit_event_record
from jira_sync.models import Tenant

logger = logging.getLogger(__name__)

TICKET_RE = re.compile(r"^[A-Z][A-Z0-9]+-\d+$")
TTL_RE = re.compile(r"^(\d+)\s*([smh]?)$")
REAPER = "system:db-access-reaper"


class DbAccessError(Exception):
    """A refused step, with a message for the engineer and a short code for the log."""

    def __init__(self, message: str, *, code: str = "refused") -> None:
        super().__init__(message)
        self.code = code


def ttl_parse(value: str) -> int:
    """``30m`` / ``2h`` / ``90s`` / ``600`` → seconds."""
    match = TTL_RE.match(value.strip().lower())
    if not match:
        raise DbAccessError(f"TTL {value!r}: use a number with s, m or h (e.g. 30m)")
    number, unit = int(match.group(1)), match.group(2) or "s"
    return number * {"s": 1, "m": 60, "h": 3600}[unit]


def _audit(
    request: DbAccessRequest, action: str, actor: str, **data: str | int | None
) -> None:
    audit_event_record(
        action=f"db_access.{action}",
        actor=actor,
        tenant_key=request.tenant_key,
        target_type="db_access_request",
        target_id=request.pk,
        data={"scope": request.scope, "state": request.state, **data},
    )


def _locked(request_id: int) -> DbAccessRequest:
    try:
        return (
            DbAccessRequest.objects.select_for_update()
            .select_related("requester")
            .get(pk=request_id)
        )
    except DbAccessRequest.DoesNotExist as exc:
        raise DbAccessError(
            f"access request #{request_id} does not exist", code="not_found"
        ) from exc


@transaction.atomic
def db_access_request_create(
    *,
    requester: User,
    reason: str,
    ticket: str,
    scope: str,
    ttl_seconds: int,
    tenant_key: str = "",
    os_user: str = "",
) -> DbAccessRequest:
    """A pending request; reviewers have AUDIT_DB_ACCESS_PENDING_TTL_S to decide."""
    if connection.vendor != "postgresql":
        raise DbAccessError("temporary credentials need PostgreSQL")
    reason = reason.strip()
    if len(reason) < 10:
        raise DbAccessError("give a reason of at least 10 characters")
    if not TICKET_RE.match(ticket):
        raise DbAccessError(f"ticket {ticket!r}: expected a key such as OPS-123")
    if scope not in DbAccessRequest.Scope.values:
        raise DbAccessError(f"scope {scope!r}: expected read or write")
    cap = settings.AUDIT_DB_ACCESS_MAX_TTL_S
    if not 60 <= ttl_seconds <= cap:
        raise DbAccessError(f"TTL must be between 1 minute and {cap // 60} minutes")
    if tenant_key and not Tenant.objects.filter(client_key=tenant_key).exists():
        raise DbAccessError(f"no tenant with client key {tenant_key!r}")
    now = timezone.now()
    request = DbAccessRequest(
        requester=requester,
        reason=reason,
        ticket=ticket,
        scope=scope,
        tenant_key=tenant_key,
        ttl_seconds=ttl_seconds,
        created_at=now,
        pending_expires_at=now
        + dt.timedelta(seconds=settings.AUDIT_DB_ACCESS_PENDING_TTL_S),
    )
    request.full_clean()
    request.save()
    _audit(
        request,
        "requested",
        requester.get_username(),
        ticket=ticket,
        ttl_seconds=ttl_seconds,
        os_user=os_user,
    )
    # The request rules run when this entry commits (auditing.anomalies).
    return request


def _issue(request: DbAccessRequest, actor: str) -> None:
    now = timezone.now()
    request.role_name = db_roles.role_name_for(
        username=request.requester.get_username(),
        request_id=request.pk,
        suffix=secrets.token_hex(3),
    )
    password = secrets.token_urlsafe(32)
    request.access_expires_at = now + dt.timedelta(seconds=request.ttl_seconds)
    request.issued_at = now
    request.state = DbAccessRequest.State.ISSUED
    request.password = password
    db_roles.role_create(
        name=request.role_name,
        password=password,
        valid_until=request.access_expires_at,
        scope=request.scope,
    )
    request.save()
    _audit(
        request,
        "issued",
        actor,
        role=request.role_name,
        valid_until=request.access_expires_at.isoformat(),
        connection_limit=settings.AUDIT_DB_ACCESS_CONNECTION_LIMIT,
    )


def _refusal_record(
    *, request_id: int, actor: User, step: str, error: DbAccessError, **data: str
) -> None:
    """Audit a refused step after its transaction rolled back, in a transaction of its
    own (the refused change is gone; the attempt must not be). Never masks the refusal.
    """
    try:
        tenant_key = (
            DbAccessRequest.objects.filter(pk=request_id)
            .values_list("tenant_key", flat=True)
            .first()
        )
        audit_event_record(
            action=f"db_access.{step}_refused",
            actor=actor.get_username(),
            tenant_key=tenant_key or "",
            target_type="db_access_request",
            target_id=request_id,
            data={"refusal": error.code, **data},
        )
    except Exception:
        logger.exception("could not audit the refused %s of #%s", step, request_id)


def db_access_review(
    *, request_id: int, reviewer: User, approve: bool, comment: str
) -> DbAccessRequest:
    """Approve or deny; the last required approval issues the role in this transaction.

    A refused review (self-approval, a reviewer not on call, a request already decided
    or expired, a second review) rolls back and is then audited as
    ``db_access.review_refused``.
    """
    try:
        return _review(
            request_id=request_id, reviewer=reviewer, approve=approve, comment=comment
        )
    except DbAccessError as exc:
        _refusal_record(
            request_id=request_id,
            actor=reviewer,
            step="review",
            error=exc,
            decision="approve" if approve else "deny",
        )
        raise


@transaction.atomic
def _review(
    *, request_id: int, reviewer: User, approve: bool, comment: str
) -> DbAccessRequest:
    request = _locked(request_id)
    if request.state != DbAccessRequest.State.PENDING:
        raise DbAccessError(
            f"request #{request.pk} is {request.state}, not pending",
            code="already_decided",
        )
    if request.pending_expires_at <= timezone.now():
        raise DbAccessError(
            f"request #{request.pk} expired before it was reviewed",
            code="pending_expired",
        )
    if request.requester_id == reviewer.pk:
        raise DbAccessError("you cannot review your own request", code="self_review")
    if not user_is_on_call_engineer(reviewer):
        raise DbAccessError(
            "only on-call engineers can review requests", code="not_on_call"
        )
    if not comment.strip():
        raise DbAccessError("a review needs a comment", code="no_comment")
    if request.reviews.filter(reviewer_id=reviewer.pk).exists():
        raise DbAccessError(
            "you have already reviewed this request", code="already_reviewed"
        )
    decision = (
        DbAccessReview.Decision.APPROVE if approve else DbAccessReview.Decision.DENY
    )
    DbAccessReview.objects.create(
        request=request,
        reviewer=reviewer,
        decision=decision,
        comment=comment.strip(),
        created_at=timezone.now(),
    )
    actor = reviewer.get_username()
    approvals = request.reviews.filter(decision=DbAccessReview.Decision.APPROVE).count()
    needed = settings.AUDIT_DB_ACCESS_APPROVALS[request.scope]
    if not approve:
        request.state = DbAccessRequest.State.DENIED
        request.save(update_fields=["state"])
    _audit(request, "reviewed", actor, decision=decision, approvals=approvals)
    if approve and approvals >= needed:
        _issue(request, actor)
    return request


def db_access_credentials_reveal(*, request_id: int, engineer: User) -> str:
    """The libpq URI, once, to the requester only; the stored password is wiped.

    A refused attempt (someone else, a second time) is audited as
    ``db_access.reveal_refused``.
    """
    try:
        return _reveal(request_id=request_id, engineer=engineer)
    except DbAccessError as exc:
        _refusal_record(request_id=request_id, actor=engineer, step="reveal", error=exc)
        raise


@transaction.atomic
def _reveal(*, request_id: int, engineer: User) -> str:
    request = _locked(request_id)
    if request.requester_id != engineer.pk:
        raise DbAccessError(
            "only the requester can see these credentials", code="not_requester"
        )
    if request.state != DbAccessRequest.State.ISSUED:
        raise DbAccessError(
            f"request #{request.pk} is {request.state}, not issued", code="not_issued"
        )
    if request.password is None:
        raise DbAccessError(
            "the credentials were already shown once", code="already_shown"
        )
    db = settings.DATABASES["default"]
    host = settings.AUDIT_DB_ACCESS_HOST or db.get("HOST") or "127.0.0.1"
    port = settings.AUDIT_DB_ACCESS_PORT or db.get("PORT") or "5432"
    uri = (
        f"postgresql://{quote(request.role_name, safe='')}:"
        f"{quote(request.password, safe='')}@{host}:{port}/"
        f"{quote(str(connection.settings_dict['NAME']), safe='')}"
    )
    request.password = None
    request.password_shown_at = timezone.now()
    request.save(update_fields=["password", "password_shown_at"])
    _audit(
        request, "credentials_shown", engineer.get_username(), role=request.role_name
    )
    return uri


@dataclass(frozen=True)
class EndResult:
    request: DbAccessRequest
    sessions_terminated: int


def db_access_end(*, request_id: int, actor: str = REAPER) -> EndResult:
    """Take a grant that expired or was revoked through NOLOGIN, termination, drop."""
    with transaction.atomic():
        request = _locked(request_id)
        if request.state != DbAccessRequest.State.ISSUED:
            return EndResult(request, 0)
        due = request.revoke_requested_at is not None or (
            request.access_expires_at is not None
            and request.access_expires_at <= timezone.now()
        )
        if not due:
            raise DbAccessError(f"grant #{request.pk} is live until it expires")
        db_roles.role_disable_login(request.role_name)
    terminated = db_roles.role_terminate_sessions(request.role_name)
    with transaction.atomic():
        request = _locked(request_id)
        if request.state != DbAccessRequest.State.ISSUED:
            return EndResult(request, terminated)
        dropped = db_roles.role_drop(request.role_name)
        revoked = request.revoke_requested_at is not None
        request.state = (
            DbAccessRequest.State.REVOKED if revoked else DbAccessRequest.State.ENDED
        )
        request.ended_at = timezone.now()
        request.sessions_terminated += terminated
        request.password = None
        request.save(
            update_fields=["state", "ended_at", "sessions_terminated", "password"]
        )
        _audit(
            request,
            "revoked" if revoked else "ended",
            actor,
            role=request.role_name,
            sessions_terminated=terminated,
            role_dropped=int(dropped),
        )
    return EndResult(request, terminated)


def db_access_revoke(*, request_id: int, actor: User) -> EndResult:
    """End a live grant now (the admin's and the command's kill switch)."""
    try:
        with transaction.atomic():
            request = _locked(request_id)
            if request.state != DbAccessRequest.State.ISSUED:
                raise DbAccessError(
                    f"request #{request.pk} is {request.state}, not issued",
                    code="not_issued",
                )
            request.revoke_requested_at = timezone.now()
            request.save(update_fields=["revoke_requested_at"])
            _audit(request, "revoke_requested", actor.get_username())
    except DbAccessError as exc:
        _refusal_record(request_id=request_id, actor=actor, step="revoke", error=exc)
        raise
    return db_access_end(request_id=request_id, actor=actor.get_username())


def db_access_post_review(
    *, request_id: int, reviewer: User, comment: str
) -> DbAccessRequest:
    """Sign off an ended grant after use; never by its requester.

    A refused sign-off is audited as ``db_access.post_review_refused``.
    """
    try:
        return _post_review(request_id=request_id, reviewer=reviewer, comment=comment)
    except DbAccessError as exc:
        _refusal_record(
            request_id=request_id, actor=reviewer, step="post_review", error=exc
        )
        raise


@transaction.atomic
def _post_review(*, request_id: int, reviewer: User, comment: str) -> DbAccessRequest:
    request = _locked(request_id)
    if request.state not in (
        DbAccessRequest.State.ENDED,
        DbAccessRequest.State.REVOKED,
    ):
        raise DbAccessError(
            f"request #{request.pk} is {request.state}, not ended", code="not_ended"
        )
    if request.post_reviewed_at is not None:
        raise DbAccessError(
            f"request #{request.pk} was already reviewed after use",
            code="already_reviewed",
        )
    if request.requester_id == reviewer.pk:
        raise DbAccessError(
            "the requester cannot review their own access", code="self_review"
        )
    if not comment.strip():
        raise DbAccessError("a review needs a comment", code="no_comment")
    request.post_reviewed_by = reviewer
    request.post_reviewed_at = timezone.now()
    request.post_review_comment = comment.strip()
    request.save(
        update_fields=["post_reviewed_by", "post_reviewed_at", "post_review_comment"]
    )
    _audit(request, "post_reviewed", reviewer.get_username())
    return request


@dataclass(frozen=True)
class SweepResult:
    pending_expired: int
    grants_ended: int
    sessions_terminated: int
    orphans_dropped: list[str]


@transaction.atomic
def db_access_pending_expire(*, request_id: int) -> bool:
    """Mark a pending request past its review window as expired (idempotent)."""
    request = _locked(request_id)
    if (
        request.state != DbAccessRequest.State.PENDING
        or request.pending_expires_at > timezone.now()
    ):
        return False
    request.state = DbAccessRequest.State.EXPIRED
    request.save(update_fields=["state"])
    _audit(request, "expired", REAPER)
    return True


def db_access_orphans_drop() -> list[str]:
    """Drop temporary roles (by prefix) that no live grant accounts for."""
    live = set(
        DbAccessRequest.objects.filter(state=DbAccessRequest.State.ISSUED).values_list(
            "role_name", flat=True
        )
    )
    dropped = []
    for name in db_roles.roles_with_temp_prefix():
        if name in live:
            continue
        db_roles.role_disable_login(name)
        terminated = db_roles.role_terminate_sessions(name)
        with transaction.atomic():
            # Re-check under the transaction: a grant may have been issued meanwhile.
            if DbAccessRequest.objects.filter(
                role_name=name, state=DbAccessRequest.State.ISSUED
            ).exists():
                continue
            if db_roles.role_drop(name):
                audit_event_record(
                    action="db_access.orphan_role_dropped",
                    actor=REAPER,
                    target_type="db_role",
                    target_id=name,
                    data={"sessions_terminated": terminated},
                )
                dropped.append(name)
    return dropped


def db_access_expire_all() -> SweepResult:
    """The reaper: expire stale pending requests, end due grants, drop orphan roles."""
    now = timezone.now()
    pending = list(
        DbAccessRequest.objects.filter(
            state=DbAccessRequest.State.PENDING, pending_expires_at__lte=now
        ).values_list("pk", flat=True)
    )
    expired = sum(db_access_pending_expire(request_id=pk) for pk in pending)
    due = list(
        DbAccessRequest.objects.filter(state=DbAccessRequest.State.ISSUED)
        .filter(access_expires_at__lte=now)
        .values_list("pk", flat=True)
    ) + list(
        DbAccessRequest.objects.filter(
            state=DbAccessRequest.State.ISSUED, revoke_requested_at__isnull=False
        ).values_list("pk", flat=True)
    )
    ended = terminated = 0
    for pk in dict.fromkeys(due):
        try:
            result = db_access_end(request_id=pk)
        except Exception:
            # Keep going: one stuck grant must not keep the others alive; retried
            # next minute, and the "still connected" anomaly rule reports it.
            logger.exception("ending grant #%s failed", pk)
            continue
        ended += 1
        terminated += result.sessions_terminated
    orphans = db_access_orphans_drop() if connection.vendor == "postgresql" else []
    return SweepResult(expired, ended, terminated, orphans)
