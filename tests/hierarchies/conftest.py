"""Fixtures for hierarchies: a structure owned by `owner-1`, API clients per user."""

from collections.abc import Callable
from typing import Any

import pytest
from rest_framework.test import APIClient

from hierarchies.models import Structure
from jira_sync.models import Tenant
from tests.conftest import context_client
from tests.hierarchies.factories import structure_make

OWNER = "owner-1"


@pytest.fixture
def structure(tenant: Tenant) -> Structure:
    return structure_make(tenant, owner=OWNER)


@pytest.fixture
def owner_client(tenant: Tenant) -> APIClient:
    return context_client(tenant, OWNER)


@pytest.fixture
def client_for(tenant: Tenant) -> Callable[[str], APIClient]:
    return lambda account_id: context_client(tenant, account_id)


def forest_url(structure: Structure | int) -> str:
    pk = structure if isinstance(structure, int) else structure.pk
    return f"/api/v1/structures/{pk}/forest"


def add(
    item_id: int, under: int | None = None, after: int | None = None, **extra: Any
) -> dict[str, Any]:
    return {
        "op": "add",
        "item": {"type": "issue", "id": item_id},
        "under": under,
        "after": after,
        **extra,
    }
