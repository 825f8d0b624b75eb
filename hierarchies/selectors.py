"""Permission-aware reads of structures, their forests, history, folders and generators.

A structure the viewer cannot see (another tenant's, or NONE for them) is a 404, so its
existence never leaks; a visible structure below the level an operation needs is a 403.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import Http404

from hierarchies import access, chunk_cache
from hierarchies.forest import ITEM_ISSUE, Forest, Row, unpack_ids, viewer_columns_keep
from hierarchies.models import (
    LEVEL_NAMES,
    Favorite,
    Folder,
    ForestChunk,
    ForestVersion,
    GeneratorConfig,
    Level,
    PermissionRule,
    Structure,
)
from hierarchies.permissions import Rule, permission_level_resolve
from jira_sync.models import Tenant

HISTORY_PAGE_MAX = 200


@dataclass(frozen=True)
class StructureAccess:
    """A structure with the viewer's level on it and whether they starred it."""

    structure: Structure
    level: Level
    favorite: bool = False

    @property
    def level_name(self) -> str:
        return LEVEL_NAMES[self.level]


@dataclass(frozen=True)
class ViewerForest:
    version: int
    rows: list[Row]


@dataclass(frozen=True)
class ForestColumns:
    """A forest as parallel lists in pre-order (no object per row): row IDs, depths,
    item type codes (`hierarchies.forest.ITEM_TYPES`) and item IDs."""

    version: int
    row_ids: list[int]
    depths: list[int]
    item_types: list[int]
    item_ids: list[int]

    def __len__(self) -> int:
        return len(self.row_ids)

    def rows(self) -> list[Row]:
        return [
            Row(rid, dep, typ, iid)
            for rid, dep, typ, iid in zip(
                self.row_ids, self.depths, self.item_types, self.item_ids, strict=True
            )
        ]


def _rules_of(structure: Structure) -> list[Rule]:
    return [
        Rule(
            subject_type=r.subject_type,
            level=r.level,
            account_id=r.account_id,
            group_name=r.group_name,
            project_id=r.project_id,
            role_id=r.role_id,
        )
        for r in structure.rules.all()
    ]


def structure_level_get(
    *, structure: Structure, account_id: str, memberships: access.Memberships
) -> Level:
    """The viewer's level on a structure (rules prefetched or loaded here)."""
    return permission_level_resolve(
        owner_account_id=structure.owner_account_id,
        account_id=account_id,
        rules=_rules_of(structure),
        memberships=memberships,
    )


_MEMBERSHIP_SUBJECTS = (
    PermissionRule.Subject.GROUP,
    PermissionRule.Subject.PROJECT_ROLE,
)


def structure_level_lookup(
    *, tenant: Tenant, structure: Structure, account_id: str
) -> Level:
    """The viewer's level, asking Jira for their groups and roles only when a group or
    project-role rule could raise it (owners and user/everyone rules need no Jira)."""
    rules = _rules_of(structure)
    level = permission_level_resolve(
        owner_account_id=structure.owner_account_id,
        account_id=account_id,
        rules=rules,
        memberships=access.NO_MEMBERSHIPS,
    )
    if not any(
        r.subject_type in _MEMBERSHIP_SUBJECTS and r.level > level for r in rules
    ):
        return level
    return permission_level_resolve(
        owner_account_id=structure.owner_account_id,
        account_id=account_id,
        rules=rules,
        memberships=access.viewer_memberships(tenant=tenant, account_id=account_id),
    )


def structure_get_for_viewer(
    *, tenant: Tenant, account_id: str, structure_id: int, level: Level = Level.VIEW
) -> StructureAccess:
    """The structure if the viewer has at least `level`; 404 if they can't see it."""
    structure = (
        Structure.objects.filter(tenant=tenant, pk=structure_id)
        .select_related("tenant")
        .prefetch_related("rules")
        .first()
    )
    if structure is None:
        raise Http404("No such structure.")
    have = structure_level_lookup(
        tenant=tenant, structure=structure, account_id=account_id
    )
    if have < Level.VIEW:
        raise Http404("No such structure.")
    if have < level:
        raise PermissionDenied(
            f"This needs {LEVEL_NAMES[level]} permission on the structure; "
            f"you have {LEVEL_NAMES[have]}."
        )
    favorite = Favorite.objects.filter(
        structure=structure, account_id=account_id
    ).exists()
    return StructureAccess(structure=structure, level=have, favorite=favorite)


def _visible_filter(account_id: str, memberships: access.Memberships) -> Q:
    subjects = Q(subject_type=PermissionRule.Subject.EVERYONE)
    if account_id:
        subjects |= Q(subject_type=PermissionRule.Subject.USER, account_id=account_id)
    if memberships.groups:
        subjects |= Q(
            subject_type=PermissionRule.Subject.GROUP,
            group_name__in=memberships.groups,
        )
    for project_id, role_id in memberships.project_roles:
        subjects |= Q(
            subject_type=PermissionRule.Subject.PROJECT_ROLE,
            project_id=project_id,
            role_id=role_id,
        )
    granted = PermissionRule.objects.filter(
        subjects, structure=OuterRef("pk"), level__gte=Level.VIEW
    )
    owned = Q(owner_account_id=account_id) if account_id else Q(pk__in=[])
    return owned | Q(Exists(granted))


def structure_list_for_viewer(
    *,
    tenant: Tenant,
    account_id: str,
    archived: bool | None = False,
    favorites_only: bool = False,
) -> list[StructureAccess]:
    """Structures the viewer may see, with their level; archived ones only on request."""
    # Jira is asked for the viewer's groups and roles only if a rule could use them.
    memberships = (
        access.viewer_memberships(tenant=tenant, account_id=account_id)
        if PermissionRule.objects.filter(
            tenant=tenant,
            subject_type__in=_MEMBERSHIP_SUBJECTS,
            level__gte=Level.VIEW,
        ).exists()
        else access.NO_MEMBERSHIPS
    )
    qs: QuerySet[Structure] = (
        Structure.objects.filter(
            _visible_filter(account_id, memberships), tenant=tenant
        )
        .select_related("tenant")
        .prefetch_related("rules")
    )
    if archived is not None:
        qs = qs.filter(archived=archived)
    starred = set(
        Favorite.objects.filter(tenant=tenant, account_id=account_id).values_list(
            "structure_id", flat=True
        )
    )
    if favorites_only:
        qs = qs.filter(pk__in=starred)
    result = []
    for structure in qs:
        level = structure_level_get(
            structure=structure, account_id=account_id, memberships=memberships
        )
        if level >= Level.VIEW:
            result.append(
                StructureAccess(structure, level, favorite=structure.pk in starred)
            )
    return result


def forest_load(
    *, structure: Structure, manifest: bytes, next_row_id: int, **kwargs: Any
) -> Forest:
    """The forest of a manifest: chunks from the process cache, the rest in one query."""
    ids = unpack_ids(manifest)
    if not ids:
        return Forest(next_row_id=next_row_id, **kwargs)
    found = chunk_cache.chunks_get(ids) if chunk_cache.enabled() else {}
    missing = [cid for cid in ids if cid not in found]
    if missing:
        fetched = {
            cid: (size, bytes(data))
            for cid, size, data in ForestChunk.objects.filter(
                structure=structure, pk__in=missing
            ).values_list("pk", "size", "data")
        }
        chunk_cache.chunks_put(fetched)
        found.update(fetched)
    return Forest.from_chunks(
        [(cid, *found[cid]) for cid in ids],
        next_row_id=next_row_id,
        **kwargs,
    )


def forest_columns_get(
    *, structure: Structure, version: int | None = None
) -> ForestColumns:
    """All rows of the current or a past version as columns, unfiltered (the app's
    own view)."""
    if version is None or version == structure.version:
        manifest, next_row_id = bytes(structure.manifest), structure.next_row_id
        version = structure.version
    else:
        past = ForestVersion.objects.filter(
            structure=structure, version=version
        ).first()
        if past is None:
            raise Http404(f"Version {version} of this structure does not exist.")
        manifest, next_row_id = bytes(past.manifest), past.next_row_id
    forest = forest_load(
        structure=structure, manifest=manifest, next_row_id=next_row_id
    )
    row_ids, depths, item_types, item_ids = forest.columns()
    return ForestColumns(version, row_ids, depths, item_types, item_ids)


def forest_rows_get(
    *, structure: Structure, version: int | None = None
) -> ViewerForest:
    """All rows of the current or a past version, unfiltered (the app's own view)."""
    columns = forest_columns_get(structure=structure, version=version)
    return ViewerForest(version=columns.version, rows=columns.rows())


def forest_columns_for_viewer(
    *, tenant: Tenant, account_id: str, columns: ForestColumns
) -> ForestColumns:
    """The viewer rule on columns: issues the viewer can't browse are left out and
    their visible descendants move up to the nearest visible ancestor. The browse
    rights of the forest's issues come from `access.viewer_denied_issue_ids`; when the
    viewer may browse every one of them the columns come back as they are."""
    issue_ids = {
        i
        for t, i in zip(columns.item_types, columns.item_ids, strict=True)
        if t == ITEM_ISSUE
    }
    denied = access.viewer_denied_issue_ids(
        tenant=tenant, account_id=account_id, issue_ids=issue_ids
    )
    if not denied:
        return columns
    hidden = [
        t == ITEM_ISSUE and i in denied
        for t, i in zip(columns.item_types, columns.item_ids, strict=True)
    ]
    keep, depths = viewer_columns_keep(columns.depths, hidden)
    return ForestColumns(
        columns.version,
        [columns.row_ids[k] for k in keep],
        depths,
        [columns.item_types[k] for k in keep],
        [columns.item_ids[k] for k in keep],
    )


def forest_get_for_viewer(
    *, tenant: Tenant, account_id: str, structure: Structure, version: int | None = None
) -> ViewerForest:
    """The forest as this viewer sees it: issues they can't browse are left out and
    their visible descendants move up to the nearest visible ancestor."""
    whole = forest_columns_get(structure=structure, version=version)
    seen = forest_columns_for_viewer(
        tenant=tenant, account_id=account_id, columns=whole
    )
    return ViewerForest(version=seen.version, rows=seen.rows())


def history_list(
    *, structure: Structure, before: int | None = None, limit: int = 50
) -> Sequence[ForestVersion]:
    """Newest first; `before` pages back through older versions."""
    qs = ForestVersion.objects.filter(structure=structure).defer("manifest")
    if before is not None:
        qs = qs.filter(version__lt=before)
    return list(qs.order_by("-version")[: max(1, min(limit, HISTORY_PAGE_MAX))])


def permission_rules_list(*, structure: Structure) -> list[PermissionRule]:
    return list(structure.rules.all())


def folder_list(*, structure: Structure) -> list[Folder]:
    return list(Folder.objects.filter(structure=structure))


def folder_get(*, structure: Structure, folder_id: int) -> Folder:
    folder = Folder.objects.filter(structure=structure, pk=folder_id).first()
    if folder is None:
        raise Http404("No such folder in this structure.")
    return folder


def generator_list(*, structure: Structure) -> list[GeneratorConfig]:
    return list(GeneratorConfig.objects.filter(structure=structure))


def generator_get(*, structure: Structure, generator_id: int) -> GeneratorConfig:
    generator = GeneratorConfig.objects.filter(
        structure=structure, pk=generator_id
    ).first()
    if generator is None:
        raise Http404("No such generator in this structure.")
    return generator
