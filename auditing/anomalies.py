"""Anomaly rules over access requests, grants and audit entries.

Each rule is a small function returning findings; thresholds come from settings
(``AUDIT_ANOMALY_*``, ``AUDIT_ON_CALL_ROTA``). A finding becomes a stored, logged,
acknowledgeable :class:`~auditing.models.Alert` once per subject (its fingerprint), so
rerunning the detector (every 5 minutes by beat, or with ``manage.py detect_anomalies``)
never duplicates an alert.

New audit entries are checked as they commit (:func:`anomalies_check_entry`, hooked by
``audit_event_record``): one bounded, indexed query per actor and transaction for the
spike rule, the request rules when an entry records a new access request, and the
tenant-reach rule when an entry names a request. Beat is the backstop for a check lost
between commit and callback. A data-operations spike is one finding per actor and
window, whoever sees it first (the on-commit check or beat).

Deterministic domain rules only: statistical ones need a baseline this log does not
have yet (see the reference, section 9.5).
"""

import datetime as dt
import logging
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from auditing.models import Alert, AuditEvent, DbAccessRequest
from auditing.services import db_roles
from auditing.services.alerts import alert_raise
from jira_sync.models import Tenant

Severity = Alert.Severity
logger = logging.getLogger("auditing.anomalies")


@dataclass(frozen=True)
class Finding:
    rule: str
    severity: str
    fingerprint: str
    summary: str
    details: dict[str, Any] = field(default_factory=dict)
    tenant_key: str = ""


def _who(request: DbAccessRequest) -> str:
    return request.requester.get_username()


def _working_hours(username: str) -> dict[str, Any]:
    hours = settings.AUDIT_ANOMALY_WORKING_HOURS
    return dict(hours.get(username) or hours["default"])


def rule_off_hours(requests: Iterable[DbAccessRequest]) -> list[Finding]:
    """A request outside the engineer's working hours."""
    found = []
    for r in requests:
        hours = _working_hours(_who(r))
        local = r.created_at.astimezone(ZoneInfo(hours.get("tz", "UTC")))
        weekdays = hours.get("weekdays", [1, 2, 3, 4, 5])
        if (
            local.isoweekday() in weekdays
            and hours["start"] <= local.hour < hours["end"]
        ):
            continue
        found.append(
            Finding(
                "off_hours",
                Severity.WARNING,
                f"off_hours:{r.pk}",
                f"request #{r.pk} by {_who(r)} at {local:%a %H:%M} ({hours.get('tz', 'UTC')}), "
                "outside working hours",
                {"request_id": r.pk, "local_time": local.isoformat()},
                r.tenant_key,
            )
        )
    return found


def rule_too_many_requests(requests: Iterable[DbAccessRequest]) -> list[Finding]:
    """More than AUDIT_ANOMALY_MAX_REQUESTS_PER_DAY requests by one engineer in a day."""
    limit = settings.AUDIT_ANOMALY_MAX_REQUESTS_PER_DAY
    per_day: dict[tuple[str, dt.date], list[int]] = defaultdict(list)
    for r in requests:
        per_day[(_who(r), r.created_at.astimezone(dt.UTC).date())].append(r.pk)
    return [
        Finding(
            "too_many_requests",
            Severity.WARNING,
            f"too_many_requests:{who}:{day.isoformat()}",
            f"{who} made {len(ids)} access requests on {day} (limit {limit})",
            {"requests": sorted(ids), "day": day.isoformat()},
        )
        for (who, day), ids in per_day.items()
        if len(ids) > limit
    ]


def rule_write_scope(requests: Iterable[DbAccessRequest]) -> list[Finding]:
    """Every request for write access."""
    return [
        Finding(
            "write_scope",
            Severity.WARNING,
            f"write_scope:{r.pk}",
            f"request #{r.pk} by {_who(r)} asks for write access",
            {"request_id": r.pk},
            r.tenant_key,
        )
        for r in requests
        if r.scope == DbAccessRequest.Scope.WRITE
    ]


def rule_ttl_near_cap(requests: Iterable[DbAccessRequest]) -> list[Finding]:
    """A TTL at or above AUDIT_ANOMALY_TTL_NEAR_CAP_RATIO of the cap."""
    cap = settings.AUDIT_DB_ACCESS_MAX_TTL_S
    threshold = cap * settings.AUDIT_ANOMALY_TTL_NEAR_CAP_RATIO
    return [
        Finding(
            "ttl_near_cap",
            Severity.INFO,
            f"ttl_near_cap:{r.pk}",
            f"request #{r.pk} by {_who(r)} asks for {r.ttl_seconds // 60} min "
            f"(cap {cap // 60} min)",
            {"request_id": r.pk, "ttl_seconds": r.ttl_seconds},
            r.tenant_key,
        )
        for r in requests
        if r.ttl_seconds >= threshold
    ]


def _on_call(username: str, at: dt.datetime) -> bool:
    for shift in settings.AUDIT_ON_CALL_ROTA:
        start = dt.datetime.fromisoformat(shift["start"])
        end = dt.datetime.fromisoformat(shift["end"])
        if shift["user"] == username and start <= at < end:
            return True
    return False


def rule_not_on_call(requests: Iterable[DbAccessRequest]) -> list[Finding]:
    """A requester who is not on the on-call rota at the time (quiet without a rota)."""
    if not settings.AUDIT_ON_CALL_ROTA:
        return []
    return [
        Finding(
            "not_on_call",
            Severity.WARNING,
            f"not_on_call:{r.pk}",
            f"request #{r.pk} by {_who(r)}, who is not on call at {r.created_at:%Y-%m-%d %H:%M}",
            {"request_id": r.pk},
            r.tenant_key,
        )
        for r in requests
        if not _on_call(_who(r), r.created_at)
    ]


def rule_many_tenants(requests: Iterable[DbAccessRequest]) -> list[Finding]:
    """A request that reaches more than AUDIT_ANOMALY_MAX_TENANTS_PER_REQUEST tenants.

    A grant without ``--tenant`` reaches every installed tenant; the audit entries that
    name the request count the tenants it actually touched.
    """
    limit = settings.AUDIT_ANOMALY_MAX_TENANTS_PER_REQUEST
    all_tenants = Tenant.objects.count()
    found = []
    for r in requests:
        touched = set(
            AuditEvent.objects.filter(
                target_type="db_access_request", target_id=str(r.pk)
            )
            .exclude(tenant_key="")
            .values_list("tenant_key", flat=True)
        )
        reach = max(all_tenants if not r.tenant_key else 1, len(touched))
        if reach > limit:
            found.append(
                Finding(
                    "many_tenants",
                    Severity.WARNING,
                    f"many_tenants:{r.pk}",
                    f"request #{r.pk} by {_who(r)} reaches {reach} tenants "
                    f"(limit {limit})",
                    {"request_id": r.pk, "tenants": reach},
                )
            )
    return found


def rule_connected_after_end(
    grants: Iterable[DbAccessRequest], now: dt.datetime
) -> list[Finding]:
    """A temporary role still connected after its grant ended (or with no grant)."""
    if connection.vendor != "postgresql":
        return []
    ended = {
        r.role_name: r
        for r in grants
        if r.role_name
        and (
            r.state != DbAccessRequest.State.ISSUED
            or (r.access_expires_at is not None and r.access_expires_at <= now)
            or r.revoke_requested_at is not None
        )
    }
    live = set(
        DbAccessRequest.objects.filter(
            state=DbAccessRequest.State.ISSUED, access_expires_at__gt=now
        )
        .filter(revoke_requested_at__isnull=True)
        .values_list("role_name", flat=True)
    )
    connected = db_roles.roles_connected(
        [n for n in db_roles.roles_with_temp_prefix() if n not in live]
    )
    found = []
    for name, sessions in connected.items():
        grant = ended.get(name)
        found.append(
            Finding(
                "connected_after_end",
                Severity.CRITICAL,
                f"connected_after_end:{name}",
                f"role {name} has {sessions} open session(s) but "
                + (f"grant #{grant.pk} has ended" if grant else "no live grant"),
                {"role": name, "sessions": sessions, "request_id": grant and grant.pk},
                grant.tenant_key if grant else "",
            )
        )
    return found


def rule_data_ops_spike(events: Sequence[AuditEvent]) -> list[Finding]:
    """More than AUDIT_ANOMALY_SPIKE_MAX_EVENTS entries by one actor in a window."""
    window = dt.timedelta(seconds=settings.AUDIT_ANOMALY_SPIKE_WINDOW_S)
    limit = settings.AUDIT_ANOMALY_SPIKE_MAX_EVENTS
    by_actor: dict[str, list[dt.datetime]] = defaultdict(list)
    for e in events:
        if not e.actor.startswith("system:"):
            by_actor[e.actor].append(e.created_at)
    found = []
    for actor, times in by_actor.items():
        times.sort()
        lo = 0
        for hi, t in enumerate(times):
            while t - times[lo] > window:
                lo += 1
            if hi - lo + 1 > limit:
                bucket = int(times[lo].timestamp() // window.total_seconds())
                found.append(
                    Finding(
                        "data_ops_spike",
                        Severity.WARNING,
                        f"data_ops_spike:{actor}:{bucket}",
                        f"{actor} made more than {limit} data operations within "
                        f"{window.total_seconds() / 60:g} minutes from {times[lo]:%H:%M}",
                        {"actor": actor, "from": times[lo].isoformat()},
                    )
                )
                break
    return found


SPIKE_RULE = "data_ops_spike"


def _spike_already_raised(finding: Finding) -> bool:
    """Is there a spike alert for this actor within one window of this one's start?

    The sliding window's start depends on which entries a run looked at (the on-commit
    check sees the window ending at the new entry, beat a longer look-back), so the
    fingerprint alone could differ for the same burst; overlapping starts are the same
    finding.
    """
    window = dt.timedelta(seconds=settings.AUDIT_ANOMALY_SPIKE_WINDOW_S)
    start = dt.datetime.fromisoformat(finding.details["from"])
    for raw in Alert.objects.filter(
        rule=SPIKE_RULE,
        details__actor=finding.details["actor"],
        created_at__gte=start - window,
    ).values_list("details__from", flat=True):
        if raw and abs(dt.datetime.fromisoformat(str(raw)) - start) < window:
            return True
    return False


def _lock_subject(key: str) -> None:
    """Serialise raising one finding across processes (transaction-scoped)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", [key])


REQUEST_RULES: tuple[Callable[[list[DbAccessRequest]], list[Finding]], ...] = (
    rule_off_hours,
    rule_too_many_requests,
    rule_write_scope,
    rule_ttl_near_cap,
    rule_not_on_call,
    rule_many_tenants,
)


def _store(findings: Iterable[Finding]) -> list[Alert]:
    alerts = []
    for f in findings:
        if f.rule == SPIKE_RULE:
            with transaction.atomic():
                _lock_subject(f"{SPIKE_RULE}:{f.details['actor']}")
                if _spike_already_raised(f):
                    continue
                alert = _raise(f)
        else:
            alert = _raise(f)
        if alert is not None:
            alerts.append(alert)
    return alerts


def _raise(f: Finding) -> Alert | None:
    return alert_raise(
        rule=f.rule,
        severity=f.severity,
        fingerprint=f.fingerprint,
        summary=f.summary,
        details=f.details,
        tenant_key=f.tenant_key,
    )


def anomalies_detect(*, now: dt.datetime | None = None) -> list[Alert]:
    """Run every rule over the look-back window; returns the alerts that are new."""
    now = now or timezone.now()
    since = now - dt.timedelta(seconds=settings.AUDIT_ANOMALY_LOOKBACK_S)
    requests = list(
        DbAccessRequest.objects.filter(created_at__gte=since).select_related(
            "requester"
        )
    )
    findings: list[Finding] = []
    for rule in REQUEST_RULES:
        findings += rule(requests)
    grants = DbAccessRequest.objects.exclude(role_name="").filter(
        issued_at__gte=since - dt.timedelta(seconds=settings.AUDIT_DB_ACCESS_MAX_TTL_S)
    )
    findings += rule_connected_after_end(grants, now)
    events = list(
        AuditEvent.objects.filter(
            created_at__gte=now
            - dt.timedelta(seconds=2 * settings.AUDIT_ANOMALY_SPIKE_WINDOW_S)
        ).only("actor", "created_at")
    )
    findings += rule_data_ops_spike(events)
    return _store(findings)


def anomalies_detect_for_request(*, request_id: int) -> list[Alert]:
    """The request rules for one new request (and its requester's day)."""
    request = DbAccessRequest.objects.select_related("requester").get(pk=request_id)
    day_start = request.created_at.astimezone(dt.UTC).replace(
        hour=0, minute=0, second=0, microsecond=0
    )
    same_day = list(
        DbAccessRequest.objects.filter(
            requester=request.requester,
            created_at__gte=day_start,
            created_at__lt=day_start + dt.timedelta(days=1),
        ).select_related("requester")
    )
    findings: list[Finding] = []
    for rule in REQUEST_RULES:
        findings += rule(same_day if rule is rule_too_many_requests else [request])
    return _store(findings)


def _is_system(actor: str) -> bool:
    return actor.startswith("system:")


def anomalies_check_actor(*, actor: str, at: dt.datetime) -> list[Alert]:
    """The spike rule for one account, over the window ending at `at`.

    Cheap when nothing is wrong: one query over the (actor, created_at) index that
    reads at most AUDIT_ANOMALY_SPIKE_MAX_EVENTS + 1 rows.
    """
    if _is_system(actor):
        return []
    window = dt.timedelta(seconds=settings.AUDIT_ANOMALY_SPIKE_WINDOW_S)
    limit = settings.AUDIT_ANOMALY_SPIKE_MAX_EVENTS
    recent = AuditEvent.objects.filter(
        actor=actor, created_at__gte=at - window, created_at__lte=at
    )
    if len(recent.order_by().values_list("pk", flat=True)[: limit + 1]) <= limit:
        return []
    events = list(
        AuditEvent.objects.filter(
            actor=actor, created_at__gte=at - 2 * window, created_at__lte=at
        ).only("actor", "created_at")
    )
    return _store(rule_data_ops_spike(events))


def anomalies_check_request_entry(
    *, action: str, request_id: int, tenant_key: str = ""
) -> list[Alert]:
    """Rules an entry naming an access request can trip: all request rules for a new
    request, and the tenant-reach rule for a later entry naming a tenant."""
    if action == "db_access.requested":
        return anomalies_detect_for_request(request_id=request_id)
    if not tenant_key:
        return []
    request = (
        DbAccessRequest.objects.select_related("requester")
        .filter(pk=request_id)
        .first()
    )
    return _store(rule_many_tenants([request])) if request is not None else []


class _EntryCheck:
    """The on-commit callback for the new audit entries of one actor in a transaction."""

    def __init__(self, actor: str, created_at: dt.datetime) -> None:
        self.actor = actor
        self.created_at = created_at
        self.requests: dict[tuple[str, int, str], None] = {}
        self.ran = False

    def __call__(self) -> None:
        self.ran = True
        try:
            anomalies_check_actor(actor=self.actor, at=self.created_at)
            for action, request_id, tenant_key in self.requests:
                anomalies_check_request_entry(
                    action=action, request_id=request_id, tenant_key=tenant_key
                )
        except Exception:  # detection must never break the workflow it watches
            logger.exception("anomaly check of new entries by %s failed", self.actor)


def anomalies_on_entry_recorded(event: AuditEvent) -> None:
    """Schedule the entry checks for when the entry's transaction commits.

    One callback per actor and transaction (a bulk operation writing many entries costs
    one check); entries by ``system:`` actors (the detector, the reaper) are skipped
    unless they name an access request.
    """
    names_request = event.target_type == "db_access_request"
    if _is_system(event.actor) and not names_request:
        return
    pending = next(
        (
            item[1]
            for item in connection.run_on_commit
            if isinstance(item[1], _EntryCheck)
            and item[1].actor == event.actor
            and not item[1].ran
        ),
        None,
    )
    check = pending if isinstance(pending, _EntryCheck) else None
    if check is None:
        check = _EntryCheck(event.actor, event.created_at)
        transaction.on_commit(check)
    check.created_at = max(check.created_at, event.created_at)
    if names_request and event.target_id.isdigit():
        check.requests[(event.action, int(event.target_id), event.tenant_key)] = None
