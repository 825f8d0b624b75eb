"""Makers for hierarchies' test data. Structures go through the service so that their
history starts as in production; folders and generators are plain rows.

Plain typed functions rather than factory_boy classes: factory_boy's calls are untyped,
and mypy strict checks the tests too.
"""

from itertools import count
from typing import Any

from hierarchies import services
from hierarchies.models import Folder, GeneratorConfig, Structure
from jira_sync.models import Tenant

_numbers = count(1)


def structure_make(
    tenant: Tenant, *, owner: str = "owner-1", name: str = "Roadmap", **kwargs: Any
) -> Structure:
    return services.structure_create(tenant=tenant, actor=owner, name=name, **kwargs)


def folder_make(structure: Structure, *, name: str | None = None) -> Folder:
    return Folder.objects.create(
        tenant_id=structure.tenant_id,
        structure=structure,
        name=name or f"Folder {next(_numbers)}",
    )


def generator_make(
    structure: Structure,
    *,
    kind: str = "insert.jql",
    config: dict[str, Any] | None = None,
) -> GeneratorConfig:
    return GeneratorConfig.objects.create(
        tenant_id=structure.tenant_id,
        structure=structure,
        kind=kind,
        config=config or {"jql": "project = DEMO"},
    )
