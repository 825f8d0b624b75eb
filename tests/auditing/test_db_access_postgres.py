"""Issued roles against the real PostgreSQL cluster: connect, scope, expiry, sweep.

Transactional tests: the role and the grant must be committed for another session to
log in. Trust auth on this machine means the password is not checked at login (README).
"""

import datetime as dt

import psycopg
import pytest
from django.utils import timezone

from auditing.models import AuditEvent, DbAccessRequest
from auditing.services.db_access import (
    db_access_credentials_reveal,
    db_access_expire_all,
    db_access_request_create,
    db_access_review,
    db_access_revoke,
)
from auditing.tenant_tables import group_role
from tests.auditing.conftest import connect_as, engineer_make, role_info, temp_roles
from tests.conftest import tenant_make

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("clean_roles"),
]


def _issue(scope: str = "read", tenant_key: str = "", approvers: int = 1):
    alice = engineer_make("alice")
    reviewers = [engineer_make(f"rev{i}") for i in range(approvers)]
    request = db_access_request_create(
        requester=alice,
        reason="investigate a broken structure",
        ticket="OPS-1",
        scope=scope,
        ttl_seconds=1800,
        tenant_key=tenant_key,
    )
    for reviewer in reviewers:
        request = db_access_review(
            request_id=request.pk, reviewer=reviewer, approve=True, comment="ok"
        )
    return alice, request


def _expire(request: DbAccessRequest) -> None:
    DbAccessRequest.objects.filter(pk=request.pk).update(
        access_expires_at=timezone.now() - dt.timedelta(seconds=1)
    )


def test_issued_role_has_expiry_limit_and_read_group():
    tenant_make()
    _, request = _issue()
    info = role_info(request.role_name)
    assert request.state == DbAccessRequest.State.ISSUED
    assert info is not None
    assert info["login"] is True
    assert info["conn_limit"] == 2
    assert info["super"] is False
    assert info["bypassrls"] is False
    assert info["groups"] == [group_role("read")]
    assert abs(info["valid_until"] - request.access_expires_at) < dt.timedelta(
        seconds=1
    )


def test_read_scope_reads_tenants_but_cannot_write_or_see_secrets():
    tenant_make()
    tenant_make(client_key="tenant-b", base_url="https://tenant-b.atlassian.net")
    _, request = _issue()
    with connect_as(request.role_name) as conn:
        keys = [
            r[0]
            for r in conn.execute("SELECT client_key FROM jira_sync_tenant ORDER BY 1")
        ]
        assert keys == ["tenant-a", "tenant-b"]
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("UPDATE jira_sync_tenant SET display_url = 'x'")
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("SELECT shared_secret FROM jira_sync_tenant")
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("SELECT * FROM auth_user")


def test_tenant_scope_sees_only_that_tenants_rows():
    tenant_make()
    tenant_make(client_key="tenant-b", base_url="https://tenant-b.atlassian.net")
    AuditEvent.objects.all()  # entries exist for both tenants below
    from auditing.services import audit_event_record

    audit_event_record(action="structure.renamed", actor="u1", tenant_key="tenant-a")
    audit_event_record(action="structure.renamed", actor="u2", tenant_key="tenant-b")
    _, request = _issue(tenant_key="tenant-a")
    with connect_as(request.role_name) as conn:
        keys = [r[0] for r in conn.execute("SELECT client_key FROM jira_sync_tenant")]
        events = {
            r[0] for r in conn.execute("SELECT tenant_key FROM auditing_auditevent")
        }
        # A GUC is no way around the policy: it is keyed on session_user.
        conn.execute("SET app.tenant = 'tenant-b'")
        again = [r[0] for r in conn.execute("SELECT client_key FROM jira_sync_tenant")]
    assert keys == ["tenant-a"]
    assert events == {"tenant-a"}
    assert again == ["tenant-a"]


def test_write_scope_can_update_its_tenant_only():
    tenant_make()
    tenant_make(client_key="tenant-b", base_url="https://tenant-b.atlassian.net")
    _, request = _issue(scope="write", tenant_key="tenant-a", approvers=2)
    info = role_info(request.role_name)
    assert info is not None
    assert info["groups"] == [group_role("write")]
    with connect_as(request.role_name) as conn:
        updated = conn.execute(
            "UPDATE jira_sync_tenant SET display_url = 'https://x.example' "
            "WHERE client_key IN ('tenant-a', 'tenant-b')"
        ).rowcount
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("DELETE FROM auditing_auditevent")
    assert updated == 1


def test_end_to_end_expiry_sweep_ends_open_session_and_drops_role():
    tenant_make()
    alice, request = _issue()
    uri = db_access_credentials_reveal(request_id=request.pk, engineer=alice)
    assert uri.startswith(f"postgresql://{request.role_name}:")
    session = connect_as(request.role_name)
    assert session.execute("SELECT count(*) FROM jira_sync_tenant").fetchone() == (1,)
    _expire(request)
    # Past expiry, PostgreSQL itself leaves the open session working.
    assert session.execute("SELECT 1").fetchone() == (1,)
    result = db_access_expire_all()
    assert result.grants_ended == 1
    assert result.sessions_terminated == 1
    with pytest.raises(psycopg.OperationalError):
        session.execute("SELECT 1")
    session.close()
    assert role_info(request.role_name) is None
    request.refresh_from_db()
    assert request.state == DbAccessRequest.State.ENDED
    assert request.sessions_terminated == 1
    ended = AuditEvent.objects.get(action="db_access.ended")
    assert ended.data["sessions_terminated"] == 1
    # Idempotent: a second sweep finds nothing to do.
    assert db_access_expire_all().grants_ended == 0


def test_revoke_ends_a_live_grant_at_once():
    tenant_make()
    _, request = _issue()
    bob = engineer_make("bob")
    session = connect_as(request.role_name)
    result = db_access_revoke(request_id=request.pk, actor=bob)
    assert result.sessions_terminated == 1
    assert result.request.state == DbAccessRequest.State.REVOKED
    assert role_info(request.role_name) is None
    with pytest.raises(psycopg.OperationalError):
        session.execute("SELECT 1")
    session.close()


def test_sweep_drops_orphan_temporary_role_but_keeps_live_ones():
    from django.conf import settings
    from psycopg import sql

    from tests.auditing.conftest import admin_connect

    tenant_make()
    _, request = _issue()
    orphan = f"{settings.AUDIT_DB_TEMP_ROLE_PREFIX}orphan"
    with admin_connect() as conn:
        conn.execute(sql.SQL("CREATE ROLE {} LOGIN").format(sql.Identifier(orphan)))
    result = db_access_expire_all()
    assert result.orphans_dropped == [orphan]
    assert sorted(temp_roles()) == [request.role_name]
    assert AuditEvent.objects.filter(
        action="db_access.orphan_role_dropped", target_id=orphan
    ).exists()


def test_failing_audit_write_leaves_no_role_behind():
    from tests.auditing.conftest import admin_connect

    tenant_make()
    alice = engineer_make("alice")
    bob = engineer_make("bob")
    request = db_access_request_create(
        requester=alice,
        reason="investigate a broken structure",
        ticket="OPS-1",
        scope="read",
        ttl_seconds=1800,
    )
    with admin_connect() as conn:
        conn.execute(
            "CREATE FUNCTION test_fail_issue() RETURNS trigger LANGUAGE plpgsql AS "
            "$$ BEGIN IF NEW.action = 'db_access.issued' THEN "
            "RAISE EXCEPTION 'audit store unavailable'; END IF; RETURN NEW; END $$"
        )
        conn.execute(
            "CREATE TRIGGER test_fail_issue BEFORE INSERT ON auditing_auditevent "
            "FOR EACH ROW EXECUTE FUNCTION test_fail_issue()"
        )
    try:
        with pytest.raises(Exception, match="audit store unavailable"):
            db_access_review(
                request_id=request.pk, reviewer=bob, approve=True, comment="ok"
            )
    finally:
        with admin_connect() as conn:
            conn.execute("DROP TRIGGER test_fail_issue ON auditing_auditevent")
            conn.execute("DROP FUNCTION test_fail_issue()")
    assert temp_roles() == []
    request.refresh_from_db()
    assert request.state == DbAccessRequest.State.PENDING
    assert request.role_name == ""
    assert not request.reviews.exists()


def test_every_registered_tenant_table_has_row_security_and_a_policy():
    from django.db import connection

    from auditing.tenant_tables import POLICY_NAME, TENANT_TABLES

    with connection.cursor() as cursor:
        for name in TENANT_TABLES:
            cursor.execute(
                "SELECT c.relrowsecurity, "
                "(SELECT count(*) FROM pg_policy p WHERE p.polrelid = c.oid "
                " AND p.polname = %s) FROM pg_class c WHERE c.relname = %s",
                [POLICY_NAME, name],
            )
            assert cursor.fetchone() == (True, 1), name
