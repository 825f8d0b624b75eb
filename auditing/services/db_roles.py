"""PostgreSQL DDL for temporary roles. Every statement is composed with psycopg.sql.

The password never reaches the server in clear: the role gets a SCRAM-SHA-256 verifier
computed client-side by libpq (as psql's ``\\password`` does), so statement logging on
the server cannot leak it.
"""

import datetime as dt
import re
from typing import Any

from django.conf import settings
from django.db import connection
from psycopg import sql

from auditing.tenant_tables import group_role

_UNSAFE = re.compile(r"[^a-z0-9]+")


def role_name_for(*, username: str, request_id: int, suffix: str) -> str:
    """``<prefix><engineer>_<request>_<suffix>``: DB logs name the human and request."""
    who = _UNSAFE.sub("", username.lower())[:20] or "user"
    return f"{settings.AUDIT_DB_TEMP_ROLE_PREFIX}{who}_{request_id}_{suffix}"[:63]


def _raw() -> Any:
    connection.ensure_connection()
    return connection.connection


def _run(stmt: sql.Composable) -> None:
    with connection.cursor() as cursor:
        cursor.execute(stmt.as_string(_raw()))


def role_exists(name: str) -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [name])
        return cursor.fetchone() is not None


def role_create(
    *, name: str, password: str, valid_until: dt.datetime, scope: str
) -> None:
    """CREATE ROLE ... LOGIN ... VALID UNTIL ... CONNECTION LIMIT ... IN ROLE group."""
    verifier = (
        _raw()
        .pgconn.encrypt_password(password.encode(), name.encode(), b"scram-sha-256")
        .decode()
    )
    limit = int(settings.AUDIT_DB_ACCESS_CONNECTION_LIMIT)
    _run(
        sql.SQL(
            "CREATE ROLE {role} WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE "
            "NOREPLICATION NOBYPASSRLS INHERIT CONNECTION LIMIT {limit} "
            "PASSWORD {password} VALID UNTIL {until} IN ROLE {group}"
        ).format(
            role=sql.Identifier(name),
            limit=sql.Literal(limit),
            password=sql.Literal(verifier),
            until=sql.Literal(valid_until.isoformat()),
            group=sql.Identifier(group_role(scope)),
        )
    )


def role_disable_login(name: str) -> None:
    """NOLOGIN first, so the role cannot reconnect between termination and drop."""
    if role_exists(name):
        _run(
            sql.SQL("ALTER ROLE {} WITH NOLOGIN VALID UNTIL {}").format(
                sql.Identifier(name), sql.Literal("-infinity")
            )
        )


def role_terminate_sessions(name: str) -> int:
    """End every open session of the role (VALID UNTIL never does); waits up to 5 s."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FILTER (WHERE pg_terminate_backend(pid, 5000)) "
            "FROM pg_stat_activity WHERE usename = %s AND pid <> pg_backend_pid()",
            [name],
        )
        row = cursor.fetchone()
    return int(row[0]) if row else 0


def role_drop(name: str) -> bool:
    """Revoke group memberships, DROP OWNED, DROP ROLE; False if it was already gone."""
    if not role_exists(name):
        return False
    role = sql.Identifier(name)
    for scope in ("read", "write"):
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT 1 FROM pg_auth_members m "
                "JOIN pg_roles g ON g.oid = m.roleid JOIN pg_roles r ON r.oid = m.member "
                "WHERE g.rolname = %s AND r.rolname = %s",
                [group_role(scope), name],
            )
            member = cursor.fetchone() is not None
        if member:
            _run(
                sql.SQL("REVOKE {} FROM {}").format(
                    sql.Identifier(group_role(scope)), role
                )
            )
    _run(sql.SQL("DROP OWNED BY {}").format(role))
    _run(sql.SQL("DROP ROLE {}").format(role))
    return True


def roles_with_temp_prefix() -> list[str]:
    """Every role whose name starts with AUDIT_DB_TEMP_ROLE_PREFIX."""
    prefix = settings.AUDIT_DB_TEMP_ROLE_PREFIX
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT rolname FROM pg_roles WHERE starts_with(rolname, %s) "
            "ORDER BY rolname",
            [prefix],
        )
        return [r[0] for r in cursor.fetchall()]


def roles_connected(names: list[str]) -> dict[str, int]:
    """Open session count per role name, for the names that have any."""
    if not names:
        return {}
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT usename, count(*) FROM pg_stat_activity "
            "WHERE usename = ANY(%s) GROUP BY usename",
            [names],
        )
        return {r[0]: int(r[1]) for r in cursor.fetchall()}
