"""Factories for hierarchies: structures go through the service so history exists."""

from typing import Any

import factory

from hierarchies import services
from hierarchies.models import Folder, GeneratorConfig, Structure
from jira_sync.models import Tenant


def structure_make(
    tenant: Tenant, *, owner: str = "owner-1", name: str = "Roadmap", **kwargs: Any
) -> Structure:
    return services.structure_create(tenant=tenant, actor=owner, name=name, **kwargs)


class FolderFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Folder

    name = factory.Sequence(lambda n: f"Folder {n}")
    tenant = factory.SelfAttribute("structure.tenant")


class GeneratorFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = GeneratorConfig

    kind = "insert.jql"
    config = factory.LazyFunction(lambda: {"jql": "project = DEMO"})
    tenant = factory.SelfAttribute("structure.tenant")
