"""The approval workflow: rules that hold before any role exists."""

import datetime as dt
from typing import Any

import pytest
from django.test import override_settings
from django.utils import timezone

from auditing.models import AuditEvent, DbAccessRequest
from auditing.services.db_access import (
    DbAccessError,
    db_access_credentials_reveal,
    db_access_expire_all,
    db_access_post_review,
    db_access_request_create,
    db_access_review,
    ttl_parse,
)
from tests.auditing.conftest import engineer_make, temp_roles

pytestmark = pytest.mark.django_db


def _request(user: Any, **kw: Any) -> DbAccessRequest:
    args = {
        "requester": user,
        "reason": "investigate a broken structure",
        "ticket": "OPS-123",
        "scope": "read",
        "ttl_seconds": 1800,
    } | kw
    return db_access_request_create(**args)


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("reason", "short", "reason"),
        ("ticket", "no ticket", "ticket"),
        ("scope", "admin", "scope"),
        ("ttl_seconds", 5 * 3600, "TTL"),
        ("ttl_seconds", 10, "TTL"),
        ("tenant_key", "nope", "tenant"),
    ],
)
def test_request_bad_input_is_refused_and_nothing_stored(alice, field, value, message):
    with pytest.raises(DbAccessError, match=message):
        _request(alice, **{field: value})
    assert not DbAccessRequest.objects.exists()
    assert not AuditEvent.objects.exists()


def test_ttl_parse_units():
    assert [ttl_parse(v) for v in ("30m", "2h", "90s", "600")] == [1800, 7200, 90, 600]
    with pytest.raises(DbAccessError):
        ttl_parse("soon")


def test_request_is_pending_and_audited_without_the_reason(alice):
    request = _request(alice)
    assert request.state == DbAccessRequest.State.PENDING
    event = AuditEvent.objects.get(action="db_access.requested")
    assert event.actor == "alice"
    assert "investigate" not in str(event.data)
    assert temp_roles() == []


def test_self_approval_is_refused(alice):
    request = _request(alice)
    with pytest.raises(DbAccessError, match="your own"):
        db_access_review(
            request_id=request.pk, reviewer=alice, approve=True, comment="me"
        )
    request.refresh_from_db()
    assert request.state == DbAccessRequest.State.PENDING
    assert request.role_name == ""


def test_reviewer_outside_on_call_is_refused(alice):
    outsider = engineer_make("mallory", on_call=False)
    request = _request(alice)
    with pytest.raises(DbAccessError, match="on-call"):
        db_access_review(
            request_id=request.pk, reviewer=outsider, approve=True, comment="x"
        )


def test_write_needs_two_distinct_approvals(alice, bob, carol):
    request = _request(alice, scope="write")
    request = db_access_review(
        request_id=request.pk, reviewer=bob, approve=True, comment="ok"
    )
    assert request.state == DbAccessRequest.State.PENDING
    assert request.role_name == ""
    with pytest.raises(DbAccessError, match="already reviewed"):
        db_access_review(
            request_id=request.pk, reviewer=bob, approve=True, comment="again"
        )
    request = db_access_review(
        request_id=request.pk, reviewer=carol, approve=True, comment="ok"
    )
    assert request.state == DbAccessRequest.State.ISSUED
    assert AuditEvent.objects.filter(action="db_access.issued").count() == 1


def test_one_denial_ends_the_request(alice, bob, carol):
    request = _request(alice, scope="write")
    db_access_review(request_id=request.pk, reviewer=bob, approve=True, comment="ok")
    request = db_access_review(
        request_id=request.pk,
        reviewer=carol,
        approve=False,
        comment="no ticket context",
    )
    assert request.state == DbAccessRequest.State.DENIED
    with pytest.raises(DbAccessError, match="denied"):
        db_access_review(
            request_id=request.pk,
            reviewer=engineer_make("dave"),
            approve=True,
            comment="ok",
        )


def test_review_needs_a_comment(alice, bob):
    request = _request(alice)
    with pytest.raises(DbAccessError, match="comment"):
        db_access_review(
            request_id=request.pk, reviewer=bob, approve=True, comment="  "
        )


def test_pending_request_expires_after_the_review_window(alice, bob):
    request = _request(alice)
    DbAccessRequest.objects.filter(pk=request.pk).update(
        pending_expires_at=timezone.now() - dt.timedelta(seconds=1)
    )
    with pytest.raises(DbAccessError, match="expired"):
        db_access_review(
            request_id=request.pk, reviewer=bob, approve=True, comment="ok"
        )
    assert db_access_expire_all().pending_expired == 1
    request.refresh_from_db()
    assert request.state == DbAccessRequest.State.EXPIRED
    assert AuditEvent.objects.filter(action="db_access.expired").count() == 1


def test_nothing_to_show_without_approval(alice):
    request = _request(alice)
    with pytest.raises(DbAccessError, match="not issued"):
        db_access_credentials_reveal(request_id=request.pk, engineer=alice)


def test_credentials_shown_once_and_only_to_the_requester(alice, bob):
    request = _request(alice)
    db_access_review(request_id=request.pk, reviewer=bob, approve=True, comment="ok")
    with pytest.raises(DbAccessError, match="only the requester"):
        db_access_credentials_reveal(request_id=request.pk, engineer=bob)
    uri = db_access_credentials_reveal(request_id=request.pk, engineer=alice)
    request.refresh_from_db()
    password = uri.split(":")[2].split("@")[0]
    assert request.password is None
    assert len(password) >= 40
    assert not AuditEvent.objects.filter(data__icontains=password).exists()
    assert all(password not in str(e.data) for e in AuditEvent.objects.all())
    with pytest.raises(DbAccessError, match="already shown"):
        db_access_credentials_reveal(request_id=request.pk, engineer=alice)


def test_stored_password_is_encrypted_at_rest(alice, bob):
    from django.db import connection

    request = _request(alice)
    db_access_review(request_id=request.pk, reviewer=bob, approve=True, comment="ok")
    request.refresh_from_db()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT password FROM auditing_dbaccessrequest WHERE id = %s", [request.pk]
        )
        stored = cursor.fetchone()[0]
    assert request.password
    assert request.password not in stored


def test_post_use_review_by_someone_else_only(alice, bob):
    request = _request(alice)
    with pytest.raises(DbAccessError, match="not ended"):
        db_access_post_review(request_id=request.pk, reviewer=bob, comment="fine")
    DbAccessRequest.objects.filter(pk=request.pk).update(
        state=DbAccessRequest.State.ENDED
    )
    with pytest.raises(DbAccessError, match="requester"):
        db_access_post_review(request_id=request.pk, reviewer=alice, comment="fine")
    request = db_access_post_review(
        request_id=request.pk, reviewer=bob, comment="queries matched the ticket"
    )
    assert request.post_reviewed_by == bob
    assert AuditEvent.objects.filter(action="db_access.post_reviewed").count() == 1


@override_settings(AUDIT_DB_ACCESS_APPROVALS={"read": 2, "write": 3})
def test_approval_thresholds_are_configurable(alice, bob):
    request = _request(alice)
    request = db_access_review(
        request_id=request.pk, reviewer=bob, approve=True, comment="ok"
    )
    assert request.state == DbAccessRequest.State.PENDING


def _refusals(step: str = "review") -> list[tuple[str, str, str]]:
    return [
        (e.actor, e.target_id, e.data["refusal"])
        for e in AuditEvent.objects.filter(action=f"db_access.{step}_refused")
    ]


def test_refused_reviews_are_audited_after_the_rollback(alice, bob, carol):
    request = _request(alice)
    outsider = engineer_make("mallory", on_call=False)
    with pytest.raises(DbAccessError, match="own request"):
        db_access_review(
            request_id=request.pk, reviewer=alice, approve=True, comment="me"
        )
    with pytest.raises(DbAccessError, match="on-call"):
        db_access_review(
            request_id=request.pk, reviewer=outsider, approve=True, comment="ok"
        )
    db_access_review(request_id=request.pk, reviewer=bob, approve=False, comment="no")
    with pytest.raises(DbAccessError, match="not pending"):
        db_access_review(
            request_id=request.pk, reviewer=carol, approve=True, comment="late"
        )
    with pytest.raises(DbAccessError, match="does not exist"):
        db_access_review(request_id=999_999, reviewer=carol, approve=True, comment="x")
    pk = str(request.pk)
    assert _refusals() == [
        ("alice", pk, "self_review"),
        ("mallory", pk, "not_on_call"),
        ("carol", pk, "already_decided"),
        ("carol", "999999", "not_found"),
    ]
    # The refused attempts changed nothing: one review (bob's denial), state denied.
    request.refresh_from_db()
    assert request.state == DbAccessRequest.State.DENIED
    assert list(request.reviews.values_list("reviewer__username", flat=True)) == ["bob"]
    refused = AuditEvent.objects.filter(action="db_access.review_refused").first()
    assert refused is not None
    assert refused.data == {"refusal": "self_review", "decision": "approve"}


def test_refused_reveal_and_post_review_are_audited(alice, bob):
    request = _request(alice)
    with pytest.raises(DbAccessError):
        db_access_credentials_reveal(request_id=request.pk, engineer=bob)
    DbAccessRequest.objects.filter(pk=request.pk).update(
        state=DbAccessRequest.State.ENDED
    )
    with pytest.raises(DbAccessError):
        db_access_post_review(request_id=request.pk, reviewer=alice, comment="fine")
    assert _refusals("reveal") == [("bob", str(request.pk), "not_requester")]
    assert _refusals("post_review") == [("alice", str(request.pk), "self_review")]


@pytest.mark.django_db(transaction=True)
def test_refusal_entry_commits_on_its_own():
    from auditing.models import DbAccessReview

    alice = engineer_make("alice")
    request = _request(alice)
    with pytest.raises(DbAccessError):
        db_access_review(
            request_id=request.pk, reviewer=alice, approve=True, comment="x"
        )
    assert _refusals() == [("alice", str(request.pk), "self_review")]
    assert not DbAccessReview.objects.exists()
