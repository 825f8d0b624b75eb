"""Engineers, connections as temporary roles, and cleanup of cluster-wide roles."""

from collections.abc import Iterator
from typing import Any

import psycopg
import pytest
from django.conf import settings
from django.contrib.auth.models import Group, User
from django.db import connection
from psycopg import sql

from auditing.tenant_tables import group_role


def engineer_make(username: str, *, on_call: bool = True, staff: bool = True) -> User:
    user = User.objects.create_user(
        username=username, password=f"pw-{username}-0123", is_staff=staff
    )
    if on_call:
        group, _ = Group.objects.get_or_create(name=settings.AUDIT_ON_CALL_GROUP)
        user.groups.add(group)
    return user


@pytest.fixture
def alice(db: None) -> User:
    return engineer_make("alice")


@pytest.fixture
def bob(db: None) -> User:
    return engineer_make("bob")


@pytest.fixture
def carol(db: None) -> User:
    return engineer_make("carol")


def _params(**extra: Any) -> dict[str, Any]:
    db = connection.settings_dict
    return {
        "host": db["HOST"] or "127.0.0.1",
        "port": int(db["PORT"] or 5432),
        "dbname": db["NAME"],
        "connect_timeout": 5,
        "autocommit": True,
        **extra,
    }


def connect_as(role: str) -> psycopg.Connection[Any]:
    """A session logged in as `role` (trust auth on this machine: see README)."""
    return psycopg.connect(**_params(user=role))


def admin_connect() -> psycopg.Connection[Any]:
    return psycopg.connect(**_params(user=connection.settings_dict["USER"]))


def role_info(name: str) -> dict[str, Any] | None:
    with admin_connect() as conn:
        row = conn.execute(
            "SELECT rolcanlogin, rolvaliduntil, rolconnlimit, rolsuper, rolbypassrls, "
            "array(SELECT g.rolname FROM pg_auth_members m JOIN pg_roles g "
            "ON g.oid = m.roleid WHERE m.member = r.oid) "
            "FROM pg_roles r WHERE rolname = %s",
            [name],
        ).fetchone()
    if row is None:
        return None
    keys = ["login", "valid_until", "conn_limit", "super", "bypassrls", "groups"]
    return dict(zip(keys, row, strict=True))


def temp_roles() -> list[str]:
    with admin_connect() as conn:
        return [
            r[0]
            for r in conn.execute(
                "SELECT rolname FROM pg_roles WHERE starts_with(rolname, %s)",
                [settings.AUDIT_DB_TEMP_ROLE_PREFIX],
            )
        ]


def _drop_roles(names: list[str]) -> None:
    with admin_connect() as conn:
        for name in names:
            conn.execute(
                "SELECT pg_terminate_backend(pid, 5000) FROM pg_stat_activity "
                "WHERE usename = %s",
                [name],
            )
            conn.execute(sql.SQL("DROP OWNED BY {}").format(sql.Identifier(name)))
            conn.execute(sql.SQL("DROP ROLE IF EXISTS {}").format(sql.Identifier(name)))


@pytest.fixture
def clean_roles() -> Iterator[None]:
    """Drop every temporary role of this checkout after the test (roles are global)."""
    yield
    _drop_roles(temp_roles())


@pytest.fixture(scope="session", autouse=True)
def _drop_group_roles(django_db_setup: None, django_db_blocker: Any) -> Iterator[None]:
    """The migration's group roles are cluster-wide: remove them after the run."""
    yield
    with django_db_blocker.unblock():
        _drop_roles(list(temp_roles()))
        with admin_connect() as conn:
            for scope in ("read", "write"):
                name = group_role(scope)
                if conn.execute(
                    "SELECT 1 FROM pg_roles WHERE rolname = %s", [name]
                ).fetchone():
                    conn.execute(
                        sql.SQL("DROP OWNED BY {}").format(sql.Identifier(name))
                    )
                    conn.execute(sql.SQL("DROP ROLE {}").format(sql.Identifier(name)))
