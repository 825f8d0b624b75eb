"""A column added to a registered tenant table is granted to the support roles after
migrate; hidden columns never are."""

import pytest
from django.core.management.sql import emit_post_migrate_signal
from django.db import connection

from auditing.tenant_tables import (
    TENANT,
    group_role,
    tenant_table_current,
    tenant_tables_refresh,
)

pytestmark = pytest.mark.django_db


def _can_read(column: str) -> bool:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT has_column_privilege(%s, 'jira_sync_tenant', %s, 'SELECT')",
            [group_role("read"), column],
        )
        return bool(cursor.fetchone()[0])


def test_a_new_column_is_granted_after_migrate_and_secrets_stay_hidden():
    assert tenant_tables_refresh() == []  # nothing stale after the migrations
    with connection.cursor() as cursor:
        cursor.execute("ALTER TABLE jira_sync_tenant ADD COLUMN support_note text")
    assert not tenant_table_current(connection, TENANT)
    assert not _can_read("support_note")
    emit_post_migrate_signal(0, False, "default")
    assert _can_read("support_note")
    assert _can_read("client_key")
    assert not _can_read("shared_secret")
    assert tenant_table_current(connection, TENANT)
    assert tenant_tables_refresh() == []  # idempotent: nothing left to re-grant
