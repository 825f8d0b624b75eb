"""Each anomaly rule fires on a crafted history and stays quiet on a normal one."""

import datetime as dt
from typing import Any

import pytest
from django.db import transaction
from django.utils import timezone

from auditing import anomalies
from auditing.models import Alert, AuditEvent, DbAccessRequest
from auditing.services import audit_event_record
from tests.auditing.conftest import engineer_make
from tests.conftest import tenant_make

pytestmark = pytest.mark.django_db

# A Wednesday, 10:00 UTC: inside the default working hours.
WORK = dt.datetime(2026, 12, 2, 10, 0, tzinfo=dt.UTC)


def _req(
    user: Any,
    *,
    at: dt.datetime = WORK,
    scope: str = "read",
    ttl: int = 1800,
    tenant_key: str = "tenant-a",
) -> DbAccessRequest:
    return DbAccessRequest.objects.create(
        requester=user,
        reason="investigate a broken structure",
        ticket="OPS-1",
        scope=scope,
        tenant_key=tenant_key,
        ttl_seconds=ttl,
        created_at=at,
        pending_expires_at=at + dt.timedelta(hours=1),
    )


def _rules(findings: list[anomalies.Finding]) -> list[str]:
    return [f.rule for f in findings]


def test_off_hours(alice):
    assert anomalies.rule_off_hours([_req(alice)]) == []
    night = _req(alice, at=WORK.replace(hour=2))
    saturday = _req(alice, at=WORK + dt.timedelta(days=3))
    assert _rules(anomalies.rule_off_hours([night, saturday])) == ["off_hours"] * 2


def test_off_hours_uses_the_engineers_time_zone(alice, settings):
    settings.AUDIT_ANOMALY_WORKING_HOURS = {
        "default": {"tz": "UTC", "start": 8, "end": 19, "weekdays": [1, 2, 3, 4, 5]},
        "alice": {
            "tz": "Asia/Tokyo",
            "start": 9,
            "end": 18,
            "weekdays": [1, 2, 3, 4, 5],
        },
    }
    # 10:00 UTC is 19:00 in Tokyo: after Alice's day.
    assert _rules(anomalies.rule_off_hours([_req(alice)])) == ["off_hours"]
    assert anomalies.rule_off_hours([_req(alice, at=WORK.replace(hour=1))]) == []


def test_too_many_requests_per_day(alice, bob, settings):
    settings.AUDIT_ANOMALY_MAX_REQUESTS_PER_DAY = 2
    normal = [_req(alice), _req(alice), _req(bob)]
    assert anomalies.rule_too_many_requests(normal) == []
    busy = [*normal, _req(alice, at=WORK + dt.timedelta(hours=1))]
    findings = anomalies.rule_too_many_requests(busy)
    assert _rules(findings) == ["too_many_requests"]
    assert "alice made 3" in findings[0].summary


def test_write_scope(alice):
    assert anomalies.rule_write_scope([_req(alice)]) == []
    assert _rules(anomalies.rule_write_scope([_req(alice, scope="write")])) == [
        "write_scope"
    ]


def test_ttl_near_cap(alice):
    assert anomalies.rule_ttl_near_cap([_req(alice, ttl=3600)]) == []
    assert _rules(anomalies.rule_ttl_near_cap([_req(alice, ttl=4 * 3600 - 60)])) == [
        "ttl_near_cap"
    ]


def test_not_on_call(alice, bob, settings):
    assert anomalies.rule_not_on_call([_req(bob)]) == []  # no rota configured
    settings.AUDIT_ON_CALL_ROTA = [
        {
            "user": "alice",
            "start": "2026-12-01T00:00:00+00:00",
            "end": "2026-12-08T00:00:00+00:00",
        }
    ]
    assert anomalies.rule_not_on_call([_req(alice)]) == []
    assert _rules(anomalies.rule_not_on_call([_req(bob)])) == ["not_on_call"]


def test_many_tenants(alice):
    tenant_make()
    tenant_make(client_key="tenant-b", base_url="https://tenant-b.atlassian.net")
    assert anomalies.rule_many_tenants([_req(alice)]) == []
    unscoped = _req(alice, tenant_key="")
    assert _rules(anomalies.rule_many_tenants([unscoped])) == ["many_tenants"]


def test_data_ops_spike(settings):
    settings.AUDIT_ANOMALY_SPIKE_MAX_EVENTS = 5
    for _ in range(5):
        audit_event_record(action="structure.renamed", actor="u-normal")
    assert anomalies.rule_data_ops_spike(list(AuditEvent.objects.all())) == []
    for _ in range(6):
        audit_event_record(action="forest.row_moved", actor="u-bulk")
    findings = anomalies.rule_data_ops_spike(list(AuditEvent.objects.all()))
    assert _rules(findings) == ["data_ops_spike"]
    assert "u-bulk" in findings[0].summary


def test_detect_stores_each_alert_once_and_logs_it(
    alice, caplog, django_capture_on_commit_callbacks
):
    now = timezone.now()
    _req(alice, at=now, scope="write")
    with django_capture_on_commit_callbacks(execute=True):
        first = anomalies.anomalies_detect(now=now)
    assert "write_scope" in [a.rule for a in first]
    assert "anomaly write_scope [warning]" in caplog.text
    assert anomalies.anomalies_detect(now=now) == []
    assert Alert.objects.filter(rule="write_scope").count() == 1
    assert (
        AuditEvent.objects.filter(action="alert.raised").count()
        == Alert.objects.count()
    )


def test_request_creation_runs_request_rules(django_capture_on_commit_callbacks, alice):
    from auditing.services.db_access import db_access_request_create

    with django_capture_on_commit_callbacks(execute=True):
        db_access_request_create(
            requester=alice,
            reason="investigate a broken structure",
            ticket="OPS-9",
            scope="write",
            ttl_seconds=1800,
        )
    assert Alert.objects.filter(rule="write_scope").exists()


def test_acknowledge_alert(alice):
    from auditing.services.alerts import alert_acknowledge, alert_raise

    alert = alert_raise(
        rule="write_scope", severity="warning", fingerprint="f", summary="s"
    )
    assert alert is not None
    alert = alert_acknowledge(alert_id=alert.pk, user=alice, comment="expected, OPS-1")
    assert alert.acknowledged_by == alice
    assert AuditEvent.objects.filter(action="alert.acknowledged").count() == 1


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("clean_roles")
def test_connected_after_end():
    from auditing.services.db_access import db_access_request_create, db_access_review
    from tests.auditing.conftest import connect_as

    alice, bob = engineer_make("alice"), engineer_make("bob")
    request = db_access_request_create(
        requester=alice,
        reason="investigate a broken structure",
        ticket="OPS-1",
        scope="read",
        ttl_seconds=1800,
    )
    request = db_access_review(
        request_id=request.pk, reviewer=bob, approve=True, comment="ok"
    )
    grants = DbAccessRequest.objects.all()
    with connect_as(request.role_name):
        assert anomalies.rule_connected_after_end(grants, timezone.now()) == []
        DbAccessRequest.objects.filter(pk=request.pk).update(
            access_expires_at=timezone.now() - dt.timedelta(seconds=1)
        )
        findings = anomalies.rule_connected_after_end(
            DbAccessRequest.objects.all(), timezone.now()
        )
    assert _rules(findings) == ["connected_after_end"]
    assert findings[0].severity == "critical"


def _spike_alerts(actor: str) -> list[Alert]:
    return list(Alert.objects.filter(rule="data_ops_spike", details__actor=actor))


def test_spike_is_raised_as_the_entries_commit_without_beat(
    settings, django_capture_on_commit_callbacks
):
    settings.AUDIT_ANOMALY_SPIKE_MAX_EVENTS = 5
    with django_capture_on_commit_callbacks(execute=True):
        for _ in range(5):
            audit_event_record(action="structure.renamed", actor="u-normal")
    assert Alert.objects.count() == 0
    for _ in range(8):
        with django_capture_on_commit_callbacks(execute=True):
            audit_event_record(action="forest.row_moved", actor="u-bulk")
    [alert] = _spike_alerts("u-bulk")
    assert "u-bulk" in alert.summary
    assert _spike_alerts("u-normal") == []
    # The same burst seen again, by the check or by beat: no second alert.
    assert anomalies.anomalies_check_actor(actor="u-bulk", at=timezone.now()) == []
    assert anomalies.anomalies_detect() == []
    assert len(_spike_alerts("u-bulk")) == 1
    assert AuditEvent.objects.filter(action="alert.raised").count() == 1


def test_spike_seen_first_by_beat_is_not_raised_again_on_commit(
    settings, django_capture_on_commit_callbacks
):
    settings.AUDIT_ANOMALY_SPIKE_MAX_EVENTS = 3
    for _ in range(4):
        audit_event_record(action="forest.row_moved", actor="u-bulk")
    assert [a.rule for a in anomalies.anomalies_detect()] == ["data_ops_spike"]
    with django_capture_on_commit_callbacks(execute=True):
        audit_event_record(action="forest.row_moved", actor="u-bulk")
    assert len(_spike_alerts("u-bulk")) == 1


def test_a_later_separate_burst_is_a_new_alert(settings):
    settings.AUDIT_ANOMALY_SPIKE_MAX_EVENTS = 2
    settings.AUDIT_ANOMALY_SPIKE_WINDOW_S = 600
    first = [
        AuditEvent(actor="u-bulk", created_at=WORK + dt.timedelta(seconds=i))
        for i in range(3)
    ]
    later = [
        AuditEvent(actor="u-bulk", created_at=WORK + dt.timedelta(hours=1, seconds=i))
        for i in range(3)
    ]
    assert len(anomalies._store(anomalies.rule_data_ops_spike(first))) == 1
    assert anomalies._store(anomalies.rule_data_ops_spike(first)) == []
    assert len(anomalies._store(anomalies.rule_data_ops_spike(later))) == 1
    assert len(_spike_alerts("u-bulk")) == 2


def test_many_entries_in_one_transaction_cost_one_check(
    settings, django_capture_on_commit_callbacks
):
    settings.AUDIT_ANOMALY_SPIKE_MAX_EVENTS = 5
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        transaction.atomic(),
    ):
        for _ in range(10):
            audit_event_record(action="forest.row_moved", actor="u-bulk")
        audit_event_record(action="structure.renamed", actor="u-other")
    # One check per actor, not one per entry.
    assert sum(isinstance(c, anomalies._EntryCheck) for c in callbacks) == 2
    assert len(_spike_alerts("u-bulk")) == 1


def test_rolled_back_entries_raise_nothing(
    settings, django_capture_on_commit_callbacks
):
    settings.AUDIT_ANOMALY_SPIKE_MAX_EVENTS = 2

    def bulk_then_fail() -> None:
        with transaction.atomic():
            for _ in range(5):
                audit_event_record(action="forest.row_moved", actor="u-bulk")
            raise RuntimeError("rolled back")

    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
    ):
        bulk_then_fail()
    assert callbacks == []
    assert Alert.objects.count() == 0


def test_system_entries_are_not_a_spike(settings, django_capture_on_commit_callbacks):
    settings.AUDIT_ANOMALY_SPIKE_MAX_EVENTS = 2
    with django_capture_on_commit_callbacks(execute=True):
        for _ in range(5):
            audit_event_record(action="db_access.expired", actor="system:reaper")
    assert Alert.objects.count() == 0


def test_a_failing_check_never_breaks_the_write(
    settings, django_capture_on_commit_callbacks, monkeypatch, caplog
):
    def boom(**kwargs: Any) -> list[Alert]:
        raise RuntimeError("detector down")

    monkeypatch.setattr(anomalies, "anomalies_check_actor", boom)
    with django_capture_on_commit_callbacks(execute=True):
        event = audit_event_record(action="structure.renamed", actor="u1")
    assert AuditEvent.objects.filter(pk=event.pk).exists()
    assert "anomaly check of new entries by u1 failed" in caplog.text


def test_an_entry_naming_another_tenant_trips_the_reach_rule(
    alice, django_capture_on_commit_callbacks
):
    tenant_make()
    tenant_make(client_key="tenant-b", base_url="https://tenant-b.atlassian.net")
    request = _req(alice, at=timezone.now())
    with django_capture_on_commit_callbacks(execute=True):
        audit_event_record(
            action="db_access.query",
            actor="alice",
            tenant_key="tenant-a",
            target_type="db_access_request",
            target_id=request.pk,
        )
    assert not Alert.objects.filter(rule="many_tenants").exists()
    with django_capture_on_commit_callbacks(execute=True):
        audit_event_record(
            action="db_access.query",
            actor="alice",
            tenant_key="tenant-b",
            target_type="db_access_request",
            target_id=request.pk,
        )
    assert Alert.objects.filter(rule="many_tenants").count() == 1
