"""Services: audit events in the same transaction, history entries, chunk reuse."""

import pytest

from auditing.models import AuditEvent
from hierarchies import selectors, services
from hierarchies.forest import ITEM_ISSUE, AddAction, ForestError, MoveAction
from hierarchies.models import ForestChunk, ForestVersion, Structure
from tests.hierarchies.conftest import OWNER

pytestmark = pytest.mark.django_db


def test_forest_update_records_audit_event_and_history(structure):
    result = services.forest_update(
        structure=structure,
        actor=OWNER,
        version=1,
        actions=[AddAction(ITEM_ISSUE, 10001, None, None, -1)],
    )
    assert result.version == 2
    assert result.temp_ids == {-1: 1}
    event = AuditEvent.objects.get(action="forest.updated")
    assert event.actor == OWNER
    assert event.tenant_key == structure.tenant.client_key
    assert event.target_id == str(structure.pk)
    entry = ForestVersion.objects.get(structure=structure, version=2)
    assert (entry.actor, entry.kind, entry.summary) == (
        OWNER,
        "update",
        {"actions": {"add": 1}},
    )


def test_failed_update_writes_neither_history_nor_audit(structure):
    with pytest.raises(ForestError):
        services.forest_update(
            structure=structure,
            actor=OWNER,
            version=1,
            actions=[MoveAction(5, None, None)],
        )
    assert not AuditEvent.objects.filter(action="forest.updated").exists()
    assert ForestVersion.objects.filter(structure=structure).count() == 1
    assert not ForestChunk.objects.exists()


def test_small_edit_of_a_big_forest_reuses_untouched_chunks(structure):
    actions = [AddAction(ITEM_ISSUE, n, None, None) for n in range(1, 5001)]
    services.forest_update(structure=structure, actor=OWNER, version=1, actions=actions)
    chunks_before = ForestChunk.objects.count()
    assert chunks_before >= 4
    structure.refresh_from_db()
    services.forest_update(
        structure=structure, actor=OWNER, version=2, actions=[MoveAction(3, 4000, None)]
    )
    written = ForestChunk.objects.count() - chunks_before
    assert 1 <= written <= 3
    structure.refresh_from_db()
    rows = selectors.forest_rows_get(structure=structure).rows
    assert len(rows) == 5000
    assert next(r for r in rows if r.row_id == 3).depth == 1
    # The version before the move is still readable as it was.
    old = selectors.forest_rows_get(structure=structure, version=2).rows
    assert all(r.depth == 0 for r in old)


def test_structure_update_and_permissions_are_audited(structure):
    services.structure_update(structure=structure, actor=OWNER, name="New name")
    services.permission_rules_replace(structure=structure, actor=OWNER, rules=[])
    actions = list(AuditEvent.objects.values_list("action", flat=True))
    assert actions == [
        "structure.created",
        "structure.updated",
        "structure.permissions_changed",
    ]


def _copy_as_read_by_a_request(structure: Structure) -> Structure:
    copy = Structure.objects.get(pk=structure.pk)
    copy.tenant = structure.tenant
    return copy


def test_a_write_on_a_row_read_before_another_editor_saved_gets_409(structure):
    # Two requests read the structure at version 1; the first saves, the second's
    # copy still says version 1: its change must be refused, not stored on top.
    first, second = (_copy_as_read_by_a_request(structure) for _ in range(2))
    add_a = [AddAction(ITEM_ISSUE, 10001, None, None)]
    services.forest_update(structure=first, actor=OWNER, version=1, actions=add_a)
    with pytest.raises(services.VersionConflict) as refused:
        services.forest_update(
            structure=second,
            actor=OWNER,
            version=1,
            actions=[AddAction(ITEM_ISSUE, 10002, None, None)],
        )
    assert refused.value.current == 2
    structure.refresh_from_db()
    rows = selectors.forest_rows_get(structure=structure).rows
    assert [r.item_id for r in rows] == [10001]
    assert ForestVersion.objects.filter(structure=structure).count() == 2
    assert AuditEvent.objects.filter(action="forest.updated").count() == 1


def test_a_write_on_a_row_read_before_it_was_archived_is_refused(structure):
    stale = _copy_as_read_by_a_request(structure)
    services.structure_archive(structure=structure, actor=OWNER, archived=True)
    with pytest.raises(ForestError, match="archived"):
        services.forest_update(
            structure=stale,
            actor=OWNER,
            version=1,
            actions=[AddAction(ITEM_ISSUE, 10001, None, None)],
        )
    structure.refresh_from_db()
    assert structure.version == 1
    assert not ForestChunk.objects.exists()
