"""Test settings: the machine's real PostgreSQL and Redis, fast hashers.

Overridable with DATABASE_URL / REDIS_URL / CELERY_BROKER_URL. Each checkout gets its
own test database name and Redis key prefix, so two checkouts on one machine can run
their suites side by side without seeing each other's data.
"""

import hashlib
import os
from pathlib import Path

_CHECKOUT = hashlib.sha256(
    str(Path(__file__).resolve().parent.parent).encode()
).hexdigest()[:8]

os.environ.setdefault("SECRET_KEY", "test-secret-key")
os.environ.setdefault(
    "FIELD_ENCRYPTION_KEY", "dGVzdC1maWVsZC1lbmNyeXB0aW9uLWtleS0wMDAwMDA="
)
os.environ.setdefault("AUDIT_SIGNING_KEY", "test-audit-signing-key")
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres")
os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/1")
os.environ.setdefault("CELERY_BROKER_URL", "redis://127.0.0.1:6379/2")
os.environ.setdefault("CACHE_KEY_PREFIX", f"test-{_CHECKOUT}")
os.environ.setdefault("CELERY_TASK_ALWAYS_EAGER", "0")
# Port 9 (discard) on loopback: a test that forgets to point this at the simulator
# fails fast instead of asking Atlassian's real key service.
os.environ.setdefault(
    "CONNECT_INSTALL_KEYS_URL", "http://127.0.0.1:9/connect-install-keys"
)

from structure_cloud.settings import *  # noqa: E402,F403
from structure_cloud.settings import DATABASES  # noqa: E402

DATABASES["default"]["TEST"] = {"NAME": f"test_structure_cloud_{_CHECKOUT}"}
DATABASES["default"]["CONN_MAX_AGE"] = 0
SECURE_SSL_REDIRECT = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
CELERY_TASK_DEFAULT_QUEUE = f"celery-{_CHECKOUT}"
TEST_CHECKOUT_ID = _CHECKOUT
# PostgreSQL roles are cluster-wide and shared by every checkout: keep ours apart.
AUDIT_DB_ROLE_PREFIX = f"sc{_CHECKOUT}"
AUDIT_DB_TEMP_ROLE_PREFIX = f"tmp{_CHECKOUT}_"
# Jira calls in tests: the simulator answers on loopback, so keep backoff waits short
# (the policy itself is unchanged: Retry-After is still honoured up to the cap).
JIRA_HTTP_BACKOFF_BASE_S = 0.01
JIRA_HTTP_BACKOFF_CAP_S = 2.0
JIRA_HTTP_BUDGET_S = 10.0
JIRA_HTTP_READ_TIMEOUT_S = 5.0
JIRA_CACHE_LOCK_TIMEOUT_S = 10.0
JIRA_PURGE_AGAIN_AFTER_S = JIRA_CACHE_LOCK_TIMEOUT_S + JIRA_HTTP_BUDGET_S + 5
# No test may reach the internet: the Jira client calls loopback only (the simulator),
# and the install-key service defaults to a closed loopback port.
JIRA_OUTBOUND_ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
