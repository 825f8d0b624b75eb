"""Tenant-scoped tables that temporary database roles may see, and their row security.

A temporary role reads (or writes) only the tables registered here, only their visible
columns (secrets are never granted), and, when its grant names a tenant, only that
tenant's rows: row-level security keyed on ``session_user``, which ``SET ROLE`` and
``SET app.tenant = …`` cannot change.

Another app makes its table visible to support roles with one migration operation::

    from auditing.tenant_tables import TenantTable, tenant_table_operation

    BOARD_VIEW = TenantTable("boards_view", "tenant_key")
    operations = [..., tenant_table_operation(BOARD_VIEW)]

and registers the same object at import time (``tenant_table_register(BOARD_VIEW)``
in its ``apps.py`` ``ready()``) so the meta-test checks it.
"""

from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import connections, migrations, transaction
from psycopg import sql

# Reads auditing_dbaccessrequest as its owner (SECURITY DEFINER), so temporary roles
# need no grant on the request table. session_user is the login role even inside a
# SECURITY DEFINER function and after SET ROLE.
SCOPE_FUNCTION = "auditing_support_tenant_allows"
SCOPE_FUNCTION_SQL = """
CREATE OR REPLACE FUNCTION auditing_support_tenant_allows(row_tenant text) RETURNS boolean
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, public AS $$
    SELECT EXISTS (
        SELECT 1 FROM auditing_dbaccessrequest r
        WHERE r.role_name = session_user
          AND r.state = 'issued'
          AND r.access_expires_at > now()
          AND (r.tenant_key = '' OR r.tenant_key = row_tenant)
    )
$$
"""
POLICY_NAME = "auditing_support_scope"


@dataclass(frozen=True)
class TenantTable:
    table: str
    tenant_column: str
    hidden_columns: tuple[str, ...] = ()
    writable: bool = True


TENANT_TABLES: dict[str, TenantTable] = {}


def tenant_table_register(table: TenantTable) -> None:
    """Declare a tenant-scoped table (the meta-test checks its row security)."""
    TENANT_TABLES[table.table] = table


def group_role(scope: str) -> str:
    """Name of the group role a temporary role of `scope` (read/write) joins."""
    return f"{settings.AUDIT_DB_ROLE_PREFIX}_support_{scope}"


def _run(cursor: Any, raw: Any, stmt: sql.Composable) -> None:
    cursor.execute(stmt.as_string(raw))


def group_roles_ensure(connection: Any) -> None:
    """Create the NOLOGIN read and write group roles if missing (cluster-wide)."""
    with connection.cursor() as cursor:
        raw = connection.connection
        for scope in ("read", "write"):
            name = group_role(scope)
            cursor.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [name])
            if cursor.fetchone() is None:
                _run(
                    cursor,
                    raw,
                    sql.SQL("CREATE ROLE {} NOLOGIN").format(sql.Identifier(name)),
                )
        _run(cursor, raw, sql.SQL(SCOPE_FUNCTION_SQL))
        _run(
            cursor,
            raw,
            sql.SQL("REVOKE ALL ON FUNCTION {}(text) FROM PUBLIC").format(
                sql.Identifier(SCOPE_FUNCTION)
            ),
        )
        _run(
            cursor,
            raw,
            sql.SQL("GRANT EXECUTE ON FUNCTION {}(text) TO {}, {}").format(
                sql.Identifier(SCOPE_FUNCTION),
                sql.Identifier(group_role("read")),
                sql.Identifier(group_role("write")),
            ),
        )


def tenant_table_apply(connection: Any, table: TenantTable) -> None:
    """Grant the visible columns to the group roles and scope rows by tenant (idempotent)."""
    read, write = (
        sql.Identifier(group_role("read")),
        sql.Identifier(group_role("write")),
    )
    tbl = sql.Identifier(table.table)
    with connection.cursor() as cursor:
        raw = connection.connection
        cursor.execute(
            "SELECT column_name FROM information_schema.columns "
            "WHERE table_schema = current_schema() AND table_name = %s "
            "ORDER BY ordinal_position",
            [table.table],
        )
        columns = [r[0] for r in cursor.fetchall() if r[0] not in table.hidden_columns]
        cols = sql.SQL(", ").join(sql.Identifier(c) for c in columns)
        _run(
            cursor,
            raw,
            sql.SQL("REVOKE ALL ON {} FROM {}, {}").format(tbl, read, write),
        )
        _run(
            cursor,
            raw,
            sql.SQL("GRANT SELECT ({}) ON {} TO {}, {}").format(cols, tbl, read, write),
        )
        if table.writable:
            _run(
                cursor,
                raw,
                sql.SQL("GRANT INSERT ({c}), UPDATE ({c}) ON {t} TO {w}").format(
                    c=cols, t=tbl, w=write
                ),
            )
            _run(cursor, raw, sql.SQL("GRANT DELETE ON {} TO {}").format(tbl, write))
            # Inserting needs the id sequence of a serial/identity primary key.
            cursor.execute(
                "SELECT n.nspname, c.relname FROM pg_class c "
                "JOIN pg_namespace n ON n.oid = c.relnamespace "
                "WHERE c.oid = pg_get_serial_sequence(quote_ident(%s), 'id')::regclass",
                [table.table],
            )
            seq = cursor.fetchone()
            if seq:
                _run(
                    cursor,
                    raw,
                    sql.SQL("GRANT USAGE ON SEQUENCE {} TO {}").format(
                        sql.Identifier(seq[0], seq[1]), write
                    ),
                )
        _run(
            cursor, raw, sql.SQL("ALTER TABLE {} ENABLE ROW LEVEL SECURITY").format(tbl)
        )
        _run(
            cursor,
            raw,
            sql.SQL("DROP POLICY IF EXISTS {} ON {}").format(
                sql.Identifier(POLICY_NAME), tbl
            ),
        )
        check = sql.SQL("{}({})").format(
            sql.Identifier(SCOPE_FUNCTION), sql.Identifier(table.tenant_column)
        )
        _run(
            cursor,
            raw,
            sql.SQL(
                "CREATE POLICY {p} ON {t} TO {r}, {w} USING ({c}) WITH CHECK ({c})"
            ).format(p=sql.Identifier(POLICY_NAME), t=tbl, r=read, w=write, c=check),
        )


def tenant_table_current(connection: Any, table: TenantTable) -> bool:
    """Are exactly the visible columns granted, and the row policy in place?

    False after a migration added a column to the table (new columns are not granted
    until :func:`tenant_table_apply` runs again).
    """
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT column_name FROM information_schema.columns "
            "WHERE table_schema = current_schema() AND table_name = %s",
            [table.table],
        )
        visible = {r[0] for r in cursor.fetchall()} - set(table.hidden_columns)
        cursor.execute(
            "SELECT column_name FROM information_schema.column_privileges "
            "WHERE table_schema = current_schema() AND table_name = %s "
            "AND grantee = %s AND privilege_type = 'SELECT'",
            [table.table, group_role("read")],
        )
        granted = {r[0] for r in cursor.fetchall()}
        cursor.execute(
            "SELECT 1 FROM pg_policies WHERE schemaname = current_schema() "
            "AND tablename = %s AND policyname = %s",
            [table.table, POLICY_NAME],
        )
        return visible == granted and cursor.fetchone() is not None


def tenant_tables_refresh(*, using: str = "default") -> list[str]:
    """Re-apply every registered table whose grants are stale; returns their names.

    Runs after each ``migrate`` (post_migrate): a column added later is granted to the
    support roles (hidden columns never are). Cheap and idempotent when nothing changed.
    """
    connection = connections[using]
    if connection.vendor != "postgresql":
        return []
    existing = set(connection.introspection.table_names())
    stale = [
        t
        for t in TENANT_TABLES.values()
        if t.table in existing and not tenant_table_current(connection, t)
    ]
    if stale:
        with transaction.atomic(using=using):
            group_roles_ensure(connection)
            for table in stale:
                tenant_table_apply(connection, table)
    return [t.table for t in stale]


def tenant_tables_post_migrate(sender: Any, using: str = "default", **_: Any) -> None:
    tenant_tables_refresh(using=using)


def tenant_table_operation(table: TenantTable) -> migrations.RunPython:
    """A migration operation applying :func:`tenant_table_apply` on PostgreSQL only."""

    def forwards(apps: Any, schema_editor: Any) -> None:
        if schema_editor.connection.vendor == "postgresql":
            group_roles_ensure(schema_editor.connection)
            tenant_table_apply(schema_editor.connection, table)

    return migrations.RunPython(forwards, migrations.RunPython.noop)


TENANT = TenantTable(
    "jira_sync_tenant", "client_key", hidden_columns=("shared_secret",)
)
AUDIT_EVENT = TenantTable("auditing_auditevent", "tenant_key", writable=False)
tenant_table_register(TENANT)
tenant_table_register(AUDIT_EVENT)
