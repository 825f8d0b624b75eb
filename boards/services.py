"""Writes of the board: views (create, save, share, default, delete), export audit,
and adding an issue or a folder to a structure from the board."""

from collections.abc import Sequence
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction

from auditing.services import audit_event_record
from boards.columns import columns_json, columns_parse
from boards.models import View, ViewLevel, ViewPermission
from boards.selectors import ViewAccess
from hierarchies import selectors as hierarchies_selectors
from hierarchies import services as hierarchies_services
from hierarchies.forest import ITEM_ISSUE, AddAction
from hierarchies.models import Level, Structure

MAX_VIEW_RULES = 200
MAX_EXPAND_DEPTH = 50


def _audit(view: View, actor: str, action: str, **data: Any) -> None:
    audit_event_record(
        action=action,
        actor=actor,
        tenant_key=view.tenant.client_key,
        target_type="view",
        target_id=view.pk,
        data={"structure": view.structure_id, **data},
    )


def _require_edit_for_default(
    structure_access: hierarchies_selectors.StructureAccess,
) -> None:
    if structure_access.level < Level.EDIT:
        raise PermissionDenied(
            "Making a view the structure's default needs Edit permission on the structure."
        )


@transaction.atomic
def view_create(
    *,
    structure_access: hierarchies_selectors.StructureAccess,
    actor: str,
    name: str,
    columns: Any,
    expand_depth: int = 1,
    public: bool = False,
    make_default: bool = False,
) -> View:
    """A new view owned by `actor` ("Save as"); public views are usable by everyone
    who sees the structure. Raises ColumnsError / ValidationError on bad input."""
    structure = structure_access.structure
    parsed = columns_parse(columns)
    if make_default:
        _require_edit_for_default(structure_access)
        View.objects.filter(structure=structure, is_default=True).update(
            is_default=False
        )
    view = View(
        tenant=structure.tenant,
        structure=structure,
        name=name.strip(),
        owner_account_id=actor,
        columns=columns_json(parsed),
        expand_depth=min(max(expand_depth, 0), MAX_EXPAND_DEPTH),
        is_default=make_default,
    )
    view.full_clean()
    view.save()
    if public:
        ViewPermission.objects.create(
            tenant=structure.tenant,
            view=view,
            subject_type=ViewPermission.Subject.EVERYONE,
            level=ViewLevel.USE,
        )
    _audit(view, actor, "view.created", name=view.name, public=public)
    return view


@transaction.atomic
def view_update(
    *,
    view_access: ViewAccess,
    actor: str,
    name: str | None = None,
    columns: Any = None,
    expand_depth: int | None = None,
) -> View:
    """Save changes to a view ("Save"): UPDATE for columns, MANAGE for a rename."""
    view = view_access.view
    if view is None:
        raise PermissionDenied("The built-in columns cannot be changed; use Save as.")
    if view_access.level < ViewLevel.UPDATE:
        raise PermissionDenied("Saving this view needs Update permission on it.")
    changed = []
    if name is not None and name.strip() != view.name:
        if view_access.level < ViewLevel.MANAGE:
            raise PermissionDenied("Renaming this view needs Manage permission on it.")
        view.name = name.strip()
        changed.append("name")
    if columns is not None:
        view.columns = columns_json(columns_parse(columns))
        changed.append("columns")
    if expand_depth is not None:
        view.expand_depth = min(max(expand_depth, 0), MAX_EXPAND_DEPTH)
        changed.append("expand_depth")
    view.full_clean()
    view.save()
    _audit(view, actor, "view.updated", changed=changed)
    return view


@transaction.atomic
def view_default_set(
    *,
    structure_access: hierarchies_selectors.StructureAccess,
    view_access: ViewAccess,
    actor: str,
) -> View:
    """Make a view the structure's default (needs Edit on the structure)."""
    view = view_access.view
    if view is None:
        raise PermissionDenied("Save the columns as a view first.")
    _require_edit_for_default(structure_access)
    View.objects.filter(structure=view.structure, is_default=True).exclude(
        pk=view.pk
    ).update(is_default=False)
    view.is_default = True
    view.save(update_fields=["is_default", "updated_at"])
    _audit(view, actor, "view.default_set")
    return view


@transaction.atomic
def view_permissions_replace(
    *, view_access: ViewAccess, actor: str, rules: Sequence[dict[str, Any]]
) -> list[ViewPermission]:
    """Replace who may use, update and manage a view (needs MANAGE).

    Each rule is ``{"subject_type", "account_id", "group_name", "project_id",
    "role_id", "level"}`` as validated by the API's serializer."""
    view = view_access.view
    if view is None or view_access.level < ViewLevel.MANAGE:
        raise PermissionDenied("Sharing this view needs Manage permission on it.")
    if len(rules) > MAX_VIEW_RULES:
        raise PermissionDenied(f"A view has at most {MAX_VIEW_RULES} rules.")
    view.rules.all().delete()
    created = []
    for rule in rules:
        permission = ViewPermission(tenant=view.tenant, view=view, **rule)
        permission.full_clean(exclude=["view", "tenant"])
        permission.save()
        created.append(permission)
    _audit(view, actor, "view.permissions_replaced", rules=len(created))
    return created


@transaction.atomic
def view_delete(*, view_access: ViewAccess, actor: str) -> None:
    """Delete a view (needs MANAGE)."""
    view = view_access.view
    if view is None or view_access.level < ViewLevel.MANAGE:
        raise PermissionDenied("Deleting this view needs Manage permission on it.")
    _audit(view, actor, "view.deleted", name=view.name)
    view.delete()


@transaction.atomic
def board_export_record(
    *,
    structure: Structure,
    actor: str,
    export_format: str,
    rows: int,
    view_id: int | None,
) -> None:
    """Audit an export: who took which structure's rows out, in what format."""
    audit_event_record(
        action="board.exported",
        actor=actor,
        tenant_key=structure.tenant.client_key,
        target_type="structure",
        target_id=structure.pk,
        data={"format": export_format, "rows": rows, "view": view_id},
    )


def board_issue_add(
    *,
    structure_access: hierarchies_selectors.StructureAccess,
    actor: str,
    version: int,
    issue_id: int,
    under: int | None,
    after: int | None,
) -> int:
    """Add an issue row (EDIT); returns the new forest version (VersionConflict on a
    stale one)."""
    result = hierarchies_services.forest_update(
        structure=structure_access.structure,
        actor=actor,
        version=version,
        actions=[AddAction(ITEM_ISSUE, issue_id, under, after)],
        level=structure_access.level,
    )
    return result.version


def board_folder_add(
    *,
    structure_access: hierarchies_selectors.StructureAccess,
    actor: str,
    version: int,
    name: str,
    under: int | None,
    after: int | None,
) -> int:
    """Create a folder and place it (EDIT); returns the new forest version."""
    _, written = hierarchies_services.folder_create(
        structure=structure_access.structure,
        actor=actor,
        name=name,
        placement=hierarchies_services.Placement(under=under, after=after),
        version=version,
    )
    return written.version if written else structure_access.structure.version
