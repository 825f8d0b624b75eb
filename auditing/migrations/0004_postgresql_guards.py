"""PostgreSQL only: append-only audit tables, support group roles, tenant row security.

SQLite (the demo) migrates without these: it has no roles, no row security, and the
demo never issues credentials.
"""

from django.db import migrations

from auditing.tenant_tables import (
    AUDIT_EVENT,
    TENANT,
    group_roles_ensure,
    tenant_table_apply,
)

APPEND_ONLY_FUNCTION = """
CREATE OR REPLACE FUNCTION auditing_reject_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the audit log is append-only: % on % is not allowed',
        TG_OP, TG_TABLE_NAME USING ERRCODE = 'insufficient_privilege';
END
$$
"""
TRIGGER = """
CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table}
FOR EACH ROW EXECUTE FUNCTION auditing_reject_change()
"""
TABLES = ("auditing_auditevent", "auditing_auditcheckpoint")


def forwards(apps, schema_editor):
    connection = schema_editor.connection
    if connection.vendor != "postgresql":
        return
    schema_editor.execute(APPEND_ONLY_FUNCTION, None)
    for table in TABLES:
        schema_editor.execute(TRIGGER.format(table=table), None)
    group_roles_ensure(connection)
    tenant_table_apply(connection, TENANT)
    tenant_table_apply(connection, AUDIT_EVENT)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table in TABLES:
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}")
    schema_editor.execute("DROP FUNCTION IF EXISTS auditing_reject_change()")


class Migration(migrations.Migration):

    dependencies = [
        ("auditing", "0003_access_requests_alerts"),
        ("jira_sync", "0001_initial"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
