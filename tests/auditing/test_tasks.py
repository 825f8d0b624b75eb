"""Beat tasks: called directly, and once through a real worker on the Redis broker."""

import datetime as dt
import time

import psycopg
import pytest
from celery.contrib.testing.worker import start_worker
from django.utils import timezone

from auditing import tasks
from auditing.models import AuditCheckpoint, DbAccessRequest
from auditing.services.db_access import db_access_request_create, db_access_review
from structure_cloud.celery import app
from tests.auditing.conftest import connect_as, engineer_make, role_info

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("clean_roles"),
]


def _issued() -> DbAccessRequest:
    alice, bob = engineer_make("alice"), engineer_make("bob")
    request = db_access_request_create(
        requester=alice,
        reason="investigate a broken structure",
        ticket="OPS-1",
        scope="read",
        ttl_seconds=1800,
    )
    return db_access_review(
        request_id=request.pk, reviewer=bob, approve=True, comment="ok"
    )


def _expire(request: DbAccessRequest) -> None:
    DbAccessRequest.objects.filter(pk=request.pk).update(
        access_expires_at=timezone.now() - dt.timedelta(seconds=1)
    )


def test_expire_task_is_idempotent():
    request = _issued()
    _expire(request)
    assert tasks.db_access_expire_all()["grants_ended"] == 1
    assert tasks.db_access_expire_all()["grants_ended"] == 0
    assert tasks.db_access_end(request.pk) == 0
    assert role_info(request.role_name) is None


def test_checkpoint_and_detect_tasks():
    assert tasks.audit_checkpoint_write() == 0
    assert AuditCheckpoint.objects.count() == 1
    assert tasks.anomalies_detect() == 0


def test_beat_task_on_a_real_worker_ends_an_open_session():
    request = _issued()
    session = connect_as(request.role_name)
    _expire(request)
    with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=30):
        tasks.db_access_expire_all.delay()
        deadline = time.monotonic() + 30
        while role_info(request.role_name) is not None and time.monotonic() < deadline:
            time.sleep(0.2)
    assert role_info(request.role_name) is None
    with pytest.raises(psycopg.OperationalError):
        session.execute("SELECT 1")
    request.refresh_from_db()
    assert request.state == DbAccessRequest.State.ENDED
    assert request.sessions_terminated == 1
    session.close()
