"""Writes to structures, permission rules, the forest, folders, generators, favorites.

Every forest write locks the structure row (``SELECT ... FOR UPDATE``), compares the
version the client last saw, applies the change in memory (hierarchies.forest), stores
only the chunks it touched plus a new history entry, and records an audit event, all in
one transaction: two writers serialise, and the loser gets `VersionConflict`.
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from auditing.services import audit_event_record
from hierarchies import chunk_cache
from hierarchies.forest import (
    ITEM_FOLDER,
    ITEM_GENERATOR,
    Action,
    AddAction,
    ApplyResult,
    Forest,
    ForestError,
    MoveAction,
    pack_ids,
)
from hierarchies.generator_configs import generator_config_validate
from hierarchies.generators import selectors as gen_selectors
from hierarchies.generators.types import EffectiveRow
from hierarchies.generators.validation import generator_config_check_jira
from hierarchies.models import (
    LEVEL_NAMES,
    Favorite,
    Folder,
    ForestChunk,
    ForestVersion,
    GeneratedRowRule,
    GeneratorConfig,
    Level,
    PermissionRule,
    Structure,
)
from hierarchies.permissions import Rule
from hierarchies.selectors import forest_load

MAX_RULES = 500


class VersionConflict(Exception):
    """The client's version is stale; `current` is the structure's version now."""

    def __init__(self, current: int) -> None:
        super().__init__(
            f"The structure changed since version you sent; it is now at version {current}. "
            "Reload the forest and try again."
        )
        self.current = current


@dataclass(frozen=True)
class Placement:
    """Where a new row goes: under a row (None: top level), after a sibling (None: first)."""

    under: int | None = None
    after: int | None = None


@dataclass
class ForestWriteResult:
    version: int
    temp_ids: dict[int, int] = field(default_factory=dict)
    row_id: int | None = None


def _audit(structure: Structure, actor: str, action: str, **data: Any) -> None:
    audit_event_record(
        action=action,
        actor=actor,
        tenant_key=structure.tenant.client_key,
        target_type="structure",
        target_id=structure.pk,
        data=data,
    )


# --- structures ----------------------------------------------------------------------


@transaction.atomic
def structure_create(
    *, tenant: Any, actor: str, name: str, description: str = ""
) -> Structure:
    """A new, private structure owned by `actor`, with an empty forest at version 1."""
    structure = Structure(
        tenant=tenant,
        name=name.strip(),
        description=description,
        owner_account_id=actor,
    )
    structure.full_clean()
    structure.save()
    ForestVersion.objects.create(
        tenant=tenant,
        structure=structure,
        version=structure.version,
        actor=actor,
        kind=ForestVersion.Kind.CREATE,
    )
    _audit(structure, actor, "structure.created", name=structure.name)
    return structure


@transaction.atomic
def structure_update(
    *,
    structure: Structure,
    actor: str,
    name: str | None = None,
    description: str | None = None,
) -> Structure:
    """Rename and/or describe a structure (CONTROL, checked by the caller's selector)."""
    changed = []
    if name is not None:
        structure.name = name.strip()
        changed.append("name")
    if description is not None:
        structure.description = description
        changed.append("description")
    structure.full_clean()
    structure.save(update_fields=[*changed, "updated_at"])
    _audit(structure, actor, "structure.updated", changed=changed)
    return structure


@transaction.atomic
def structure_archive(*, structure: Structure, actor: str, archived: bool) -> Structure:
    """Archive (hide from the default list, keep everything) or restore a structure."""
    structure.archived = archived
    structure.save(update_fields=["archived", "updated_at"])
    _audit(
        structure,
        actor,
        "structure.archived" if archived else "structure.restored",
    )
    return structure


@transaction.atomic
def structure_delete(*, structure: Structure, actor: str) -> None:
    """Delete a structure with its rules, forest, history, folders and generators."""
    _audit(structure, actor, "structure.deleted", name=structure.name)
    structure.delete()


@transaction.atomic
def permission_rules_replace(
    *, structure: Structure, actor: str, rules: Sequence[Rule]
) -> list[PermissionRule]:
    """Replace all rules; duplicates of one subject collapse to their highest level."""
    if len(rules) > MAX_RULES:
        raise ValidationError(f"At most {MAX_RULES} permission rules per structure.")
    best: dict[tuple[Any, ...], Rule] = {}
    for rule in rules:
        key = (
            rule.subject_type,
            rule.account_id,
            rule.group_name,
            rule.project_id,
            rule.role_id,
        )
        if key not in best or best[key].level < rule.level:
            best[key] = rule
    structure.rules.all().delete()
    created = PermissionRule.objects.bulk_create(
        PermissionRule(
            tenant_id=structure.tenant_id,
            structure=structure,
            subject_type=r.subject_type,
            account_id=r.account_id,
            group_name=r.group_name,
            project_id=r.project_id,
            role_id=r.role_id,
            level=r.level,
        )
        for r in best.values()
    )
    _audit(
        structure,
        actor,
        "structure.permissions_changed",
        rules=[
            {"subject": r.subject_type, "level": LEVEL_NAMES[r.level]}
            for r in best.values()
        ],
    )
    return created


# --- the forest ----------------------------------------------------------------------


def _forest_write(
    *,
    structure: Structure,
    actor: str,
    expected_version: int | None,
    kind: str,
    change: Callable[[Forest, Structure], tuple[Forest, dict[str, Any]]],
) -> tuple[Structure, dict[str, Any]]:
    """Check the version, change the forest, store it; inside a transaction.

    `change` returns the new forest and a summary for the history entry (keys starting
    with "_" are for the caller only; ``_skip`` means nothing changed, write nothing).

    When the caller's `structure` is at `expected_version` (the usual request: it was
    just read), the change is computed from it and stored by one conditional UPDATE
    (``WHERE version = expected``): a concurrent writer makes it match no row, and the
    transaction rolls back with a 409. Otherwise the row is locked and read first.
    """
    optimistic = (
        expected_version is not None
        and structure.version == expected_version
        and not structure.archived
    )
    if optimistic:
        locked = structure
    else:
        locked = Structure.objects.select_for_update().get(pk=structure.pk)
        locked.tenant = structure.tenant
        if (refusal := _write_refusal(locked, expected_version)) is not None:
            raise refusal
    forest = forest_load(
        structure=locked,
        manifest=bytes(locked.manifest),
        next_row_id=locked.next_row_id,
    )
    forest, summary = change(forest, locked)
    if summary.get("_skip"):
        return locked, summary
    plan = forest.chunk_plan()
    new = ForestChunk.objects.bulk_create(
        ForestChunk(
            tenant_id=locked.tenant_id, structure=locked, size=size, data=payload
        )
        for cid, size, payload in plan
        if cid is None
    )
    written = {c.pk: (c.size, bytes(c.data)) for c in new}
    transaction.on_commit(lambda: chunk_cache.chunks_put(written))
    fresh = iter(c.pk for c in new)
    chunk_ids = [cid if cid is not None else next(fresh) for cid, _, _ in plan]
    stored = {
        "version": locked.version + 1,
        "manifest": pack_ids(chunk_ids),
        "row_count": len(forest),
        "next_row_id": forest.next_row_id,
        "updated_at": timezone.now(),
    }
    unchanged = Structure.objects.filter(
        pk=locked.pk, version=locked.version, archived=False
    )
    if not unchanged.update(**stored):
        # Only on the optimistic path: the row moved on (or was archived) since the
        # caller read it; the transaction rolls back with the error it deserves.
        current = Structure.objects.get(pk=locked.pk)
        raise _write_refusal(current, expected_version) or VersionConflict(
            current.version
        )
    for name, value in stored.items():
        setattr(locked, name, value)
    ForestVersion.objects.create(
        tenant_id=locked.tenant_id,
        structure=locked,
        version=locked.version,
        manifest=locked.manifest,
        row_count=locked.row_count,
        next_row_id=locked.next_row_id,
        actor=actor,
        kind=kind,
        summary={k: v for k, v in summary.items() if not k.startswith("_")},
        touches_generators=bool(summary.get("_touches_generators")),
        reverts=summary.get("_reverts"),
    )
    return locked, summary


def _write_refusal(
    structure: Structure, expected_version: int | None
) -> VersionConflict | ForestError | None:
    """Why `structure` may not take a forest write on top of `expected_version`."""
    if expected_version is not None and expected_version != structure.version:
        return VersionConflict(structure.version)
    if structure.archived:
        # Archived means frozen, as in the incumbent: readable, not editable.
        return ForestError("This structure is archived: restore it to change its rows.")
    return None


def _existing_ids(structure: Structure, item_type: int, ids: set[int]) -> set[int]:
    if not ids:
        return set()
    if item_type == ITEM_FOLDER:
        qs = Folder.objects.filter(structure=structure, pk__in=ids)
        return set(qs.values_list("pk", flat=True))
    gqs = GeneratorConfig.objects.filter(structure=structure, pk__in=ids)
    return set(gqs.values_list("pk", flat=True))


def _check_items(structure: Structure, actions: Sequence[Action]) -> None:
    """Folders and generators named by added rows must belong to this structure."""
    for item_type, noun in ((ITEM_FOLDER, "folder"), (ITEM_GENERATOR, "generator")):
        ids = {
            a.item_id
            for a in actions
            if isinstance(a, AddAction) and a.item_type == item_type
        }
        missing = sorted(ids - _existing_ids(structure, item_type, ids))
        if missing:
            raise ForestError(f"{noun} {missing[0]} is not in this structure")


def _require_automate(level: Level) -> None:
    if level < Level.AUTOMATE:
        raise PermissionDenied(
            "Adding, moving or removing generator rows needs Automate permission."
        )


@transaction.atomic
def forest_update(
    *,
    structure: Structure,
    actor: str,
    version: int,
    actions: Sequence[Action],
    level: Level = Level.CONTROL,
) -> ForestWriteResult:
    """Apply a batch of actions, all or nothing, on top of `version`."""
    _check_items(structure, actions)

    def change(forest: Forest, _: Structure) -> tuple[Forest, dict[str, Any]]:
        if not actions:
            return forest, {"actions": {}, "_skip": True, "_temp_ids": {}}
        result: ApplyResult = forest.apply(actions)
        if result.touches_generators:
            _require_automate(level)
        return forest, {
            "actions": result.counts,
            "_touches_generators": result.touches_generators,
            "_temp_ids": result.temp_ids,
        }

    locked, summary = _forest_write(
        structure=structure,
        actor=actor,
        expected_version=version,
        kind=ForestVersion.Kind.UPDATE,
        change=change,
    )
    if not summary.get("_skip"):
        _audit(
            locked,
            actor,
            "forest.updated",
            version=locked.version,
            actions=summary["actions"],
        )
    return ForestWriteResult(version=locked.version, temp_ids=summary["_temp_ids"])


def _drop_missing_items(forest: Forest, structure: Structure) -> int:
    """Remove rows of folders and generators deleted since (used by undo)."""
    _, _, types, items = forest.columns()
    removed = 0
    for item_type in (ITEM_FOLDER, ITEM_GENERATOR):
        named = {i for t, i in zip(types, items, strict=True) if t == item_type}
        alive = _existing_ids(structure, item_type, named)
        for item_id in named - alive:
            removed += forest.remove_items(item_type, item_id)
    return removed


@transaction.atomic
def forest_undo(
    *,
    structure: Structure,
    actor: str,
    version: int,
    steps: int = 1,
    level: Level = Level.CONTROL,
) -> ForestWriteResult:
    """Undo the last `steps` changes not yet undone; the undo is a new version."""
    locked = Structure.objects.select_for_update().get(pk=structure.pk)
    locked.tenant = structure.tenant
    if version != locked.version:
        raise VersionConflict(locked.version)
    undoable = list(
        ForestVersion.objects.filter(structure=locked, undone=False)
        .exclude(kind__in=[ForestVersion.Kind.CREATE, ForestVersion.Kind.UNDO])
        .order_by("-version")
        .only("pk", "version", "touches_generators")[:steps]
    )
    if len(undoable) < steps:
        raise ForestError(
            f"there are only {len(undoable)} change(s) left to undo"
            if undoable
            else "there is nothing to undo"
        )
    if any(v.touches_generators for v in undoable):
        _require_automate(level)
    # Every change after the oldest undone one is itself undone (a stack), so the
    # forest just before it is the state to restore.
    target = ForestVersion.objects.get(
        structure=locked, version=undoable[-1].version - 1
    )

    def change(_: Forest, current: Structure) -> tuple[Forest, dict[str, Any]]:
        restored = forest_load(
            structure=current,
            manifest=bytes(target.manifest),
            next_row_id=target.next_row_id,
        )
        # Row IDs keep rising across undo: never reuse an ID a client may hold.
        restored.next_row_id = max(current.next_row_id, target.next_row_id)
        dropped = _drop_missing_items(restored, current)
        return restored, {
            "undid": [v.version for v in undoable],
            "restored": target.version,
            "droppedRows": dropped,
            "_reverts": undoable[0].version,
            "_touches_generators": any(v.touches_generators for v in undoable),
        }

    locked, summary = _forest_write(
        structure=locked,
        actor=actor,
        expected_version=None,
        kind=ForestVersion.Kind.UNDO,
        change=change,
    )
    ForestVersion.objects.filter(pk__in=[v.pk for v in undoable]).update(undone=True)
    GeneratedRowRule.objects.filter(
        structure=locked, version__in=[v.version for v in undoable]
    ).delete()
    _audit(
        locked,
        actor,
        "forest.undone",
        version=locked.version,
        undid=summary["undid"],
    )
    return ForestWriteResult(version=locked.version)


# --- manual moves of generated rows ------------------------------------------------------


def _row_ref(row: EffectiveRow) -> str:
    """How a rule names a row: static rows by row ID, generated rows by their item."""
    if not row.generated:
        return f"row:{row.row_id}"
    return f"{row.item_type}:{row.item_id}"


def _move_rules(
    rows: Sequence[EffectiveRow], moves: Sequence[MoveAction]
) -> list[tuple[int, str, str]]:
    """(issue ID, under, after) for each move, resolved against the generated rows."""
    by_id: dict[int, EffectiveRow] = {}
    parent_of: dict[int, int | None] = {}
    stack: list[EffectiveRow] = []
    for each in rows:
        del stack[each.depth :]
        by_id[each.row_id] = each
        parent_of[each.row_id] = stack[-1].row_id if stack else None
        stack.append(each)
    rules = []
    for index, move in enumerate(moves):
        row = by_id.get(move.row)
        if row is None or not row.generated or row.item_type != "issue":
            raise ForestError(
                f"row {move.row} is not a generated issue row of the current forest",
                index=index,
            )
        under = ""
        if move.under is not None:
            if move.under not in by_id:
                raise ForestError(f"no row {move.under} to move under", index=index)
            up: int | None = move.under
            while up is not None:
                if up == move.row:
                    raise ForestError(
                        "a row cannot move under itself or its own descendant",
                        index=index,
                    )
                up = parent_of[up]
            under = _row_ref(by_id[move.under])
        after = ""
        if move.after is not None:
            if move.after == move.row:
                raise ForestError("a row cannot go after itself", index=index)
            if move.after not in by_id or parent_of[move.after] != move.under:
                raise ForestError(
                    f"'after' must be a row directly under the new parent; "
                    f"{move.after} is not",
                    index=index,
                )
            after = _row_ref(by_id[move.after])
        rules.append((int(row.item_id), under, after))
    return rules


def generated_rows_move(
    *,
    structure: Structure,
    actor: str,
    version: int,
    moves: Sequence[MoveAction],
) -> ForestWriteResult:
    """Move generated rows (negative row IDs): stored as rules relative to the
    generated content, recorded in the history (undo removes them). EDIT level.

    Not atomic itself on purpose: the rows are resolved against the generated forest
    first (which may have to run the generators), outside any transaction.
    """
    generated = gen_selectors.structure_forest_generated(structure=structure)
    if generated.version != version:
        raise VersionConflict(generated.version)
    rules = _move_rules(generated.rows, moves)
    return _generated_rules_store(
        structure=structure, actor=actor, version=version, rules=rules
    )


@transaction.atomic
def _generated_rules_store(
    *,
    structure: Structure,
    actor: str,
    version: int,
    rules: list[tuple[int, str, str]],
) -> ForestWriteResult:
    def change(forest: Forest, _: Structure) -> tuple[Forest, dict[str, Any]]:
        return forest, {
            "actions": {"move": len(rules)},
            "generatedMoves": [
                {"issueId": i, "under": u, "after": a} for i, u, a in rules
            ],
        }

    locked, _summary = _forest_write(
        structure=structure,
        actor=actor,
        expected_version=version,
        kind=ForestVersion.Kind.RULE,
        change=change,
    )
    GeneratedRowRule.objects.bulk_create(
        GeneratedRowRule(
            tenant_id=locked.tenant_id,
            structure=locked,
            issue_id=issue_id,
            under=under,
            after=after,
            version=locked.version,
            actor=actor,
        )
        for issue_id, under, after in rules
    )
    _audit(
        locked,
        actor,
        "forest.generated_rows_moved",
        version=locked.version,
        moves=len(rules),
    )
    return ForestWriteResult(version=locked.version)


def _place_item(
    *,
    structure: Structure,
    actor: str,
    version: int | None,
    kind: str,
    item_type: int,
    item_id: int,
    placement: Placement,
) -> ForestWriteResult:
    def change(forest: Forest, _: Structure) -> tuple[Forest, dict[str, Any]]:
        row_id = forest.add(item_type, item_id, placement.under, placement.after)
        return forest, {
            "actions": {"add": 1},
            "_row_id": row_id,
            "_touches_generators": item_type == ITEM_GENERATOR,
        }

    locked, summary = _forest_write(
        structure=structure,
        actor=actor,
        expected_version=version,
        kind=kind,
        change=change,
    )
    return ForestWriteResult(version=locked.version, row_id=summary["_row_id"])


def _unplace_item(
    *,
    structure: Structure,
    actor: str,
    version: int | None,
    kind: str,
    item_type: int,
    item_id: int,
) -> int | None:
    """Remove every row of an item; returns the new version, or None if it had none."""

    def change(forest: Forest, _: Structure) -> tuple[Forest, dict[str, Any]]:
        removed = forest.remove_items(item_type, item_id)
        return forest, {
            "actions": {"remove": removed},
            "_skip": removed == 0,
            "_touches_generators": item_type == ITEM_GENERATOR,
        }

    locked, summary = _forest_write(
        structure=structure,
        actor=actor,
        expected_version=version,
        kind=kind,
        change=change,
    )
    return None if summary["_skip"] else locked.version


# --- folders -------------------------------------------------------------------------


@transaction.atomic
def folder_create(
    *,
    structure: Structure,
    actor: str,
    name: str,
    placement: Placement | None = None,
    version: int | None = None,
) -> tuple[Folder, ForestWriteResult | None]:
    """A folder, and its row in the forest when a placement is given."""
    folder = Folder(
        tenant_id=structure.tenant_id, structure=structure, name=name.strip()
    )
    folder.full_clean()
    folder.save()
    written = None
    if placement is not None:
        written = _place_item(
            structure=structure,
            actor=actor,
            version=version,
            kind=ForestVersion.Kind.FOLDER,
            item_type=ITEM_FOLDER,
            item_id=folder.pk,
            placement=placement,
        )
    _audit(structure, actor, "folder.created", folder=folder.pk)
    return folder, written


@transaction.atomic
def folder_rename(*, folder: Folder, actor: str, name: str) -> Folder:
    folder.name = name.strip()
    folder.full_clean()
    folder.save(update_fields=["name"])
    _audit(folder.structure, actor, "folder.renamed", folder=folder.pk)
    return folder


@transaction.atomic
def folder_delete(
    *, folder: Folder, actor: str, version: int | None = None
) -> int | None:
    """Delete a folder and every row showing it (with their subtrees)."""
    structure = folder.structure
    new_version = _unplace_item(
        structure=structure,
        actor=actor,
        version=version,
        kind=ForestVersion.Kind.FOLDER,
        item_type=ITEM_FOLDER,
        item_id=folder.pk,
    )
    _audit(structure, actor, "folder.deleted", folder=folder.pk)
    folder.delete()
    return new_version


# --- generators ----------------------------------------------------------------------


@transaction.atomic
def generator_create(
    *,
    structure: Structure,
    actor: str,
    kind: str,
    config: Any,
    placement: Placement | None = None,
    version: int | None = None,
) -> tuple[GeneratorConfig, ForestWriteResult | None]:
    """A generator configuration, and its row when a placement is given (AUTOMATE).

    The shape is validated first, then Jira is asked (app's rights) whether it accepts
    the JQL, link type, field or issue: `ConfigError` carries Jira's or a clear message.
    """
    normalised = generator_config_validate(kind=kind, config=config)
    generator_config_check_jira(tenant=structure.tenant, kind=kind, config=normalised)
    generator = GeneratorConfig(
        tenant_id=structure.tenant_id,
        structure=structure,
        kind=kind,
        config=normalised,
        created_by=actor,
    )
    generator.save()
    written = None
    if placement is not None:
        written = _place_item(
            structure=structure,
            actor=actor,
            version=version,
            kind=ForestVersion.Kind.GENERATOR,
            item_type=ITEM_GENERATOR,
            item_id=generator.pk,
            placement=placement,
        )
    _audit(structure, actor, "generator.created", generator=generator.pk, kind=kind)
    return generator, written


@transaction.atomic
def generator_update(
    *, generator: GeneratorConfig, actor: str, config: Any
) -> GeneratorConfig:
    """Change a generator's configuration (same kind), checked as on create."""
    normalised = generator_config_validate(kind=generator.kind, config=config)
    generator_config_check_jira(
        tenant=generator.structure.tenant, kind=generator.kind, config=normalised
    )
    generator.config = normalised
    generator.save(update_fields=["config", "updated_at"])
    _audit(generator.structure, actor, "generator.updated", generator=generator.pk)
    return generator


@transaction.atomic
def generator_delete(
    *, generator: GeneratorConfig, actor: str, version: int | None = None
) -> int | None:
    """Delete a generator and every row showing it."""
    structure = generator.structure
    new_version = _unplace_item(
        structure=structure,
        actor=actor,
        version=version,
        kind=ForestVersion.Kind.GENERATOR,
        item_type=ITEM_GENERATOR,
        item_id=generator.pk,
    )
    _audit(structure, actor, "generator.deleted", generator=generator.pk)
    generator.delete()
    return new_version


# --- favorites -----------------------------------------------------------------------


@transaction.atomic
def favorite_set(*, structure: Structure, account_id: str, starred: bool) -> bool:
    """Star or unstar a structure for one user; idempotent."""
    if starred:
        Favorite.objects.get_or_create(
            tenant_id=structure.tenant_id, structure=structure, account_id=account_id
        )
    else:
        Favorite.objects.filter(structure=structure, account_id=account_id).delete()
    _audit(
        structure,
        account_id,
        "structure.favorited" if starred else "structure.unfavorited",
    )
    return starred
