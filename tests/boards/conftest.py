"""Board fixtures: the simulator's site with the demo structures, page and API clients."""

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from rest_framework.test import APIClient

from boards.demo import demo_structures_seed
from hierarchies.models import Structure
from jira_simulator import datasets
from jira_sync.models import Tenant
from tests.conftest import context_client, tenant_token

BOB = datasets.BOB  # web-team: EDIT on the Release plan
CAROL = datasets.CAROL  # mobile-team: VIEW only
CONTRACTOR = datasets.CONTRACTOR  # sees the WEB project only
NO_GROUP = datasets.NO_GROUP


@pytest.fixture
def demo(sim_tenant: Tenant) -> dict[str, Structure]:
    demo_structures_seed(tenant=sim_tenant)
    return {s.name: s for s in Structure.objects.filter(tenant=sim_tenant)}


@pytest.fixture
def release(demo: dict[str, Structure]) -> Structure:
    return demo["Release plan"]


def page_get(tenant: Tenant, path: str, account_id: str, query: str = "") -> Any:
    path_qs = path + (f"?{query}" if query else "")
    token = tenant_token(tenant, method="GET", path=path_qs, account_id=account_id)
    separator = "&" if query else "?"
    return Client().get(f"{path_qs}{separator}jwt={token}")


@pytest.fixture
def api_for(sim_tenant: Tenant) -> Callable[[str], APIClient]:
    return lambda account_id: context_client(sim_tenant, account_id)
