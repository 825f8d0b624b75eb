"""Fixtures for hierarchies: a structure on the Jira simulator's demo site, owned by
Alice (site admin, sees WEB and MOB), API clients per simulator user, issue IDs by key.

Reading a forest asks Jira (the simulator) which issues the viewer may browse, and
group or project-role rules ask it for the viewer's memberships, so these fixtures use
`sim_tenant`; pure forest and rule tests take plain data instead.
"""

from collections.abc import Callable
from typing import Any

import pytest
from rest_framework.test import APIClient

from hierarchies.models import Structure
from jira_simulator import SimulatorHandle
from jira_sync.models import Tenant
from tests.conftest import context_client
from tests.hierarchies.factories import structure_make

# Demo users of the simulator (jira_simulator/datasets.py).
ALICE = "5b10ac8d82e05b22cc7d4a01"  # site-admins, web-team: sees WEB and MOB
BOB = "5b10ac8d82e05b22cc7d4a02"  # web-team: WEB and MOB, not secured MOB-45..MOB-59
CAROL = "5b10ac8d82e05b22cc7d4a03"  # mobile-team (MOB Developers)
ERIN = "5b10ac8d82e05b22cc7d4a05"  # finance: WEB, MOB (unsecured) and FIN
FRANK = "5b10ac8d82e05b22cc7d4a06"  # finance, FIN Administrators
GRACE = "5b10ac8d82e05b22cc7d4a07"  # web-team and mobile-team
KEN = "5b10ac8d82e05b22cc7d4a11"  # contractor: WEB only (WEB Developer as a user)
NORA = "5b10ac8d82e05b22cc7d4a12"  # in no group: sees nothing

WEB_PROJECT, MOB_PROJECT, FIN_PROJECT = 10000, 10001, 10002
ROLE_VIEWERS, ROLE_DEVELOPERS, ROLE_ADMINISTRATORS = 10000, 10001, 10002

OWNER = ALICE


@pytest.fixture
def structure(sim_tenant: Tenant) -> Structure:
    return structure_make(sim_tenant, owner=OWNER)


@pytest.fixture
def owner_client(sim_tenant: Tenant) -> APIClient:
    return context_client(sim_tenant, OWNER)


@pytest.fixture
def client_for(sim_tenant: Tenant) -> Callable[[str], APIClient]:
    return lambda account_id: context_client(sim_tenant, account_id)


@pytest.fixture
def issue_id(simulator: SimulatorHandle) -> Callable[[str], int]:
    """The numeric ID of an issue of the demo site by key ("WEB-2" → 10001)."""
    return lambda key: int(simulator.issue(key).id)


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
