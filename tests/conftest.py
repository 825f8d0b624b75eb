"""Global fixtures: services check, tenants, Connect tokens, the API client, simulator."""

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import jwt
import psycopg
import pytest
import redis
from atlassian_jwt.url_utils import hash_url
from django.conf import settings
from django.core.cache import caches
from django.utils import timezone
from rest_framework.test import APIClient

from jira_simulator import SimulatorHandle
from jira_sync import cache_store
from jira_sync.models import Tenant


def _services_problem() -> str | None:
    db = settings.DATABASES["default"]
    if db["ENGINE"].endswith("postgresql"):
        try:
            psycopg.connect(
                host=db["HOST"] or "127.0.0.1",
                port=int(db["PORT"] or 5432),
                user=db["USER"],
                password=db["PASSWORD"] or None,
                dbname=db["NAME"],
                connect_timeout=3,
            ).close()
        except psycopg.Error as exc:
            first = (
                str(exc).strip().splitlines()[0]
                if str(exc).strip()
                else type(exc).__name__
            )
            return (
                f"PostgreSQL is not reachable at {db['HOST']}:{db['PORT']} ({first}); "
                "start it or set DATABASE_URL."
            )
    if settings.REDIS_URL:
        try:
            redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=3).ping()
        except redis.RedisError as exc:
            return f"Redis is not reachable at {settings.REDIS_URL} ({exc}); start it or set REDIS_URL."
    return None


def pytest_sessionstart(session: pytest.Session) -> None:
    problem = _services_problem()
    if problem:
        pytest.exit(problem, returncode=3)


@pytest.fixture(autouse=True)
def _clear_caches() -> None:
    """Each test starts with empty caches (only this checkout's key prefix)."""
    cache_store.active_user_memo_clear()
    for alias in settings.CACHES:
        if settings.REDIS_URL:
            _clear_prefix(alias)
        else:
            caches[alias].clear()


def _clear_prefix(alias: str) -> None:
    cache = caches[alias]
    client = cache.client.get_client(write=True)  # type: ignore[attr-defined]
    prefix = settings.CACHES[alias]["KEY_PREFIX"]
    keys = list(client.scan_iter(match=f"{prefix}:*", count=1000))
    if keys:
        client.delete(*keys)


TENANT_SECRET = "tenant-a-shared-secret-0123456789abcdef"


def tenant_make(
    client_key: str = "tenant-a",
    base_url: str = "https://tenant-a.atlassian.net",
    secret: str = TENANT_SECRET,
    **fields: Any,
) -> Tenant:
    return Tenant.objects.create(
        client_key=client_key,
        base_url=base_url,
        shared_secret=secret,
        installed_at=timezone.now(),
        **fields,
    )


def tenant_token(
    tenant: Tenant | None = None,
    *,
    method: str = "GET",
    path: str = "/",
    account_id: str = "user-1",
    qsh: str | None = None,
    secret: str | None = None,
    iss: str | None = None,
    expires_in: int = 180,
    **extra: Any,
) -> str:
    """A Connect HS256 token as Jira makes it (page, webhook or context token)."""
    now = int(time.time())
    claims: dict[str, Any] = {
        "iss": iss
        if iss is not None
        else (tenant.client_key if tenant else "tenant-a"),
        "sub": account_id,
        "iat": now - 5,
        "exp": now + expires_in,
        "qsh": qsh if qsh is not None else hash_url(method, path),
        **extra,
    }
    key = (
        secret
        if secret is not None
        else (tenant.shared_secret if tenant else TENANT_SECRET)
    )
    return jwt.encode(claims, key, algorithm="HS256")


@pytest.fixture
def tenant(db: None) -> Tenant:
    return tenant_make()


@pytest.fixture
def other_tenant(db: None) -> Tenant:
    return tenant_make(
        client_key="tenant-b",
        base_url="https://tenant-b.atlassian.net",
        secret="tenant-b-shared-secret-fedcba9876543210",
    )


@pytest.fixture
def api_client() -> APIClient:
    return APIClient()


def context_client(tenant: Tenant, account_id: str = "user-1") -> APIClient:
    """An API client that sends a context token (qsh `context-qsh`) for the viewer."""
    client = APIClient()
    token = tenant_token(
        tenant, account_id=account_id, qsh="context-qsh", expires_in=900
    )
    client.credentials(HTTP_AUTHORIZATION=f"JWT {token}")
    return client


SIM_TENANT_SECRET = "sim-tenant-shared-secret-0123456789abcdef"


@pytest.fixture(scope="session")
def simulator() -> Iterator[SimulatorHandle]:
    """The Jira simulator (demo dataset) in a thread on loopback, for the session."""
    with SimulatorHandle.start(dataset="demo") as sim:
        yield sim


@pytest.fixture
def sim_tenant(db: None, simulator: SimulatorHandle) -> Tenant:
    """A tenant installed on the simulator: Jira calls are signed and accepted.

    The simulator is reset first (data, faults, call counts and webhook log), so every
    test starts from the demo dataset.
    """
    simulator.reset()
    simulator.add_installation(
        app_key=settings.APP_KEY,
        app_base_url=settings.APP_BASE_URL,
        client_key=simulator.client_key,
        shared_secret=SIM_TENANT_SECRET,
    )
    return tenant_make(
        client_key=simulator.client_key,
        base_url=simulator.base_url,
        secret=SIM_TENANT_SECRET,
    )


def database_text_holding(needles: set[str]) -> list[str]:
    """`table.column` of every text value in the database that contains a needle.

    Scans every text, varchar and JSON column of the public schema: the check behind
    the promise that no Jira field value is ever stored.
    """
    from django.db import connection

    found = []
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT table_name, column_name FROM information_schema.columns "
            "WHERE table_schema = 'public' AND data_type IN "
            "('text', 'character varying', 'jsonb', 'json')"
        )
        columns = cursor.fetchall()
        assert columns
        for table, column in columns:
            cursor.execute(f'SELECT "{column}"::text FROM "{table}"')  # noqa: S608
            for (value,) in cursor.fetchall():
                leaked = [n for n in needles if value and n in value]
                if leaked:
                    found.append(f"{table}.{column}: {leaked[:3]}")
    return found


def wait_until(condition: Callable[[], bool], timeout_s: float = 30.0) -> bool:
    """Poll a condition a Celery worker makes true (no result backend in tests)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return condition()


@contextmanager
def celery_worker_running() -> Iterator[None]:
    """A real worker in this process, on this checkout's queue of the Redis broker."""
    from celery.contrib.testing.worker import start_worker

    from structure_cloud.celery import app

    app.loader.import_default_modules()
    with start_worker(app, perform_ping_check=False, pool="solo", loglevel="WARNING"):
        yield


@pytest.fixture
def celery_worker() -> Iterator[None]:
    """A running worker, started on an empty queue (this checkout's queue only)."""
    from structure_cloud.celery import app

    app.control.purge()
    with celery_worker_running():
        yield
