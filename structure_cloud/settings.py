"""One environment-driven settings file (see DESIGN.md, "Contracts").

Every variable is optional for the demo: the embedded defaults are SQLite, Django's
local-memory cache and eager Celery. Outside DEBUG, secrets have no default and a
missing one stops start-up with a message that names it (the migration-file commands,
which use none, excepted).
"""

import base64
import secrets
import sys
from pathlib import Path
from typing import Any

import environ
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()

DEBUG: bool = env.bool("DEBUG", default=False)


# Commands that only read and write migration files and never sign, encrypt or serve
# anything: they run without the secrets (a build step has none), on random values
# made for this process only, so nothing they could sign would ever verify elsewhere.
SCHEMA_COMMANDS = frozenset({"makemigrations", "showmigrations", "sqlmigrate"})
_SCHEMA_COMMAND = (
    len(sys.argv) > 1
    and Path(sys.argv[0]).name == "manage.py"
    and sys.argv[1] in SCHEMA_COMMANDS
)


def _secret(name: str, dev_value: str) -> str:
    """A secret from the environment; a dev-only value only when DEBUG is on."""
    value: str = env.str(name, default="")
    if value:
        return value
    if DEBUG:
        return dev_value
    if _SCHEMA_COMMAND:
        return base64.urlsafe_b64encode(secrets.token_bytes(32)).decode()
    raise ImproperlyConfigured(
        f"{name} is not set. It is required when DEBUG is off (see README, Production)."
    )


SECRET_KEY = _secret("SECRET_KEY", "dev-only-secret-key-do-not-use-in-production")
# Fernet keys (urlsafe base64, 32 bytes), comma-separated: the first encrypts, all decrypt,
# so a key can be rotated without a data migration.
FIELD_ENCRYPTION_KEY = _secret(
    "FIELD_ENCRYPTION_KEY", "ZGV2LW9ubHktZmllbGQta2V5LWRvLW5vdC11c2UtMDA="
)
AUDIT_SIGNING_KEY = _secret("AUDIT_SIGNING_KEY", "dev-only-audit-signing-key")

ALLOWED_HOSTS: list[str] = env.list(
    "ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]", "testserver"]
)

APP_BASE_URL: str = env.str("APP_BASE_URL", default="http://localhost:8000").rstrip("/")
APP_KEY: str = env.str("APP_KEY", default="structure-cloud")
APP_NAME: str = env.str("APP_NAME", default="Structure Cloud")
CONNECT_INSTALL_KEYS_URL: str = env.str(
    "CONNECT_INSTALL_KEYS_URL", default="https://connect-install-keys.atlassian.com"
).rstrip("/")
# Host patterns a tenant's baseUrl may have (fnmatch style). The demo adds the simulator.
CONNECT_ALLOWED_HOSTS: list[str] = env.list(
    "CONNECT_ALLOWED_HOSTS", default=["*.atlassian.net", "*.jira.com"]
)
# Hosts the Jira client may ever call (fnmatch style), checked before each request so a
# stored baseUrl can't point the app anywhere else (SSRF). Defaults to the hosts a
# tenant may install from, so the demo's CONNECT_ALLOWED_HOSTS covers it as well.
JIRA_OUTBOUND_ALLOWED_HOSTS: list[str] = env.list(
    "JIRA_OUTBOUND_ALLOWED_HOSTS", default=CONNECT_ALLOWED_HOSTS
)
# Seconds of clock skew tolerated on incoming JWTs.
CONNECT_JWT_LEEWAY_S: int = env.int("CONNECT_JWT_LEEWAY_S", default=30)
CONNECT_INSTALL_KEY_TIMEOUT_S: float = env.float(
    "CONNECT_INSTALL_KEY_TIMEOUT_S", default=5.0
)

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "drf_spectacular",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "jira_sync",
    "hierarchies",
    "boards",
    "auditing",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "structure_cloud.middleware.FrameEmbeddingMiddleware",
]

ROOT_URLCONF = "structure_cloud.urls"
WSGI_APPLICATION = "structure_cloud.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
}
DATABASES["default"]["CONN_MAX_AGE"] = env.int("DB_CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL: str = env.str("REDIS_URL", default="")
CACHE_KEY_PREFIX: str = env.str("CACHE_KEY_PREFIX", default="sc")


def _cache(alias_prefix: str) -> dict[str, Any]:
    if not REDIS_URL:
        return {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": alias_prefix,
            "KEY_PREFIX": alias_prefix,
        }
    return {
        "BACKEND": "django_redis.cache.RedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": f"{CACHE_KEY_PREFIX}:{alias_prefix}",
        "OPTIONS": {
            # A cache that is down must not hang a request: fail fast, the caller degrades.
            "SOCKET_CONNECT_TIMEOUT": 2,
            "SOCKET_TIMEOUT": 2,
        },
    }


# "default" holds app-internal entries (install keys, locks); "jira" holds Jira data with
# the expiries of JIRA_CACHE_TTLS, so the privacy page and the code cannot disagree.
CACHES = {"default": _cache("default"), "jira": _cache("jira")}

# Seconds per kind of cached Jira data: each within "one minute to several hours".
JIRA_CACHE_TTLS: dict[str, int] = {
    "issue": 60,
    "links": 60,
    "fields": 6 * 3600,
    "link_types": 6 * 3600,
    "groups": 3600,
    "project_roles": 3600,
    "browse_permissions": 300,
    "search": 60,
    "generated_forest": 60,  # generated rows (IDs, group labels) of a structure
    "viewer_denied": 60,  # which issues of a structure one viewer may not browse
}
# Concurrent misses of one entry wait at most this long for the first fetch to land.
JIRA_CACHE_LOCK_TIMEOUT_S: float = env.float("JIRA_CACHE_LOCK_TIMEOUT_S", default=30.0)
# Outgoing Jira calls (jira_sync.client.RetryPolicy): timeouts, Atlassian's backoff on
# 429/5xx (honours Retry-After, jitter, a cap per wait) and a total budget per call,
# so no worker waits on Jira longer than about JIRA_HTTP_BUDGET_S.
JIRA_HTTP_CONNECT_TIMEOUT_S: float = env.float(
    "JIRA_HTTP_CONNECT_TIMEOUT_S", default=3.05
)
JIRA_HTTP_READ_TIMEOUT_S: float = env.float("JIRA_HTTP_READ_TIMEOUT_S", default=10.0)
JIRA_HTTP_MAX_RETRIES: int = env.int("JIRA_HTTP_MAX_RETRIES", default=4)
JIRA_HTTP_BACKOFF_BASE_S: float = env.float("JIRA_HTTP_BACKOFF_BASE_S", default=1.0)
JIRA_HTTP_BACKOFF_CAP_S: float = env.float("JIRA_HTTP_BACKOFF_CAP_S", default=30.0)
JIRA_HTTP_BUDGET_S: float = env.float("JIRA_HTTP_BUDGET_S", default=60.0)
# A fetch in flight when a tenant uninstalls may store its result after the purge; each
# one ends within a lock wait plus a call's budget, so the purge runs again after that.
JIRA_PURGE_AGAIN_AFTER_S: float = JIRA_CACHE_LOCK_TIMEOUT_S + JIRA_HTTP_BUDGET_S + 5
# Users whose groups, roles or browse permissions were read within this window get them
# refreshed by the beat task, every JIRA_REFRESH_INTERVAL_S (below the shortest TTL it
# refreshes, browse_permissions), so their board never waits on Jira for them.
JIRA_ACTIVE_USER_WINDOW_S: int = 3600
JIRA_REFRESH_INTERVAL_S: int = env.int("JIRA_REFRESH_INTERVAL_S", default=240)

# Generators: time limit per structure generation (the incumbent pauses after 30 s).
GENERATOR_TIME_LIMIT_S: float = env.float("GENERATOR_TIME_LIMIT_S", default=30.0)

CELERY_BROKER_URL: str = env.str("CELERY_BROKER_URL", default="")
CELERY_TASK_ALWAYS_EAGER: bool = env.bool(
    "CELERY_TASK_ALWAYS_EAGER", default=not CELERY_BROKER_URL
)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_BROKER_URL = CELERY_BROKER_URL or "memory://"
CELERY_RESULT_BACKEND: str | None = None
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_BEAT_SCHEDULE: dict[str, dict[str, Any]] = {
    "jira-sync-refresh-active-users": {
        "task": "jira_sync.tasks.active_users_refresh_all",
        "schedule": float(JIRA_REFRESH_INTERVAL_S),
    },
}

AUTH_PASSWORD_VALIDATORS = [
    {
        "NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"
    },
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = BASE_DIR / "staticfiles"

# Requests larger than this are refused with 400 before any view sees them.
DATA_UPLOAD_MAX_MEMORY_SIZE = env.int(
    "DATA_UPLOAD_MAX_MEMORY_SIZE", default=2 * 1024 * 1024
)

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "jira_sync.authentication.ConnectContextJWTAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "structure_cloud.api_errors.exception_handler",
    "UNAUTHENTICATED_USER": None,
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Structure Cloud API",
    "DESCRIPTION": "JSON API behind the Structure Cloud board (Connect context JWT).",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
}

# Production: TLS everywhere. The app runs behind a TLS-terminating proxy that sets
# X-Forwarded-Proto; health checks come over plain HTTP from inside the network.
if not DEBUG:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_CONTENT_TYPE_NOSNIFF = True
    SECURE_REFERRER_POLICY = "same-origin"

# --- Auditing: the audit log, temporary database access, anomaly detection ----------
# A signed checkpoint every N entries (and hourly by beat, even when idle).
AUDIT_CHECKPOINT_EVERY: int = env.int("AUDIT_CHECKPOINT_EVERY", default=100)
AUDIT_CHECKPOINT_MAX_AGE_S: int = env.int("AUDIT_CHECKPOINT_MAX_AGE_S", default=7200)
# Optional append-only copy of the checkpoints outside the database (JSON lines).
AUDIT_CHECKPOINT_FILE: str = env.str("AUDIT_CHECKPOINT_FILE", default="")
AUDIT_ON_CALL_GROUP: str = env.str("AUDIT_ON_CALL_GROUP", default="on-call")
# OS user name -> Django username, for commands run without --engineer.
AUDIT_ENGINEER_USERNAMES: dict[str, str] = env.dict(
    "AUDIT_ENGINEER_USERNAMES", default={}
)
AUDIT_DB_ACCESS_MAX_TTL_S: int = env.int("AUDIT_DB_ACCESS_MAX_TTL_S", default=4 * 3600)
AUDIT_DB_ACCESS_PENDING_TTL_S: int = env.int(
    "AUDIT_DB_ACCESS_PENDING_TTL_S", default=3600
)
AUDIT_DB_ACCESS_APPROVALS: dict[str, int] = {
    "read": env.int("AUDIT_DB_ACCESS_READ_APPROVALS", default=1),
    "write": env.int("AUDIT_DB_ACCESS_WRITE_APPROVALS", default=2),
}
AUDIT_DB_ACCESS_CONNECTION_LIMIT: int = env.int(
    "AUDIT_DB_ACCESS_CONNECTION_LIMIT", default=2
)
# Roles are cluster-wide: one deployment per prefix. Group roles are
# "<AUDIT_DB_ROLE_PREFIX>_support_read|write"; temporary roles start with
# AUDIT_DB_TEMP_ROLE_PREFIX and the sweep drops any such role without a live grant.
AUDIT_DB_ROLE_PREFIX: str = env.str("AUDIT_DB_ROLE_PREFIX", default="sc")
AUDIT_DB_TEMP_ROLE_PREFIX: str = env.str("AUDIT_DB_TEMP_ROLE_PREFIX", default="tmp_")
# Where engineers connect (the URI shown once); defaults to the app's database.
AUDIT_DB_ACCESS_HOST: str = env.str("AUDIT_DB_ACCESS_HOST", default="")
AUDIT_DB_ACCESS_PORT: str = env.str("AUDIT_DB_ACCESS_PORT", default="")
# Anomaly rules (auditing/anomalies.py). Working hours per engineer (username or
# "default"): [start_hour, end_hour) on the listed ISO weekdays (1 = Monday), in "tz".
AUDIT_ANOMALY_WORKING_HOURS: dict[str, dict[str, Any]] = {
    "default": {"tz": "UTC", "start": 8, "end": 19, "weekdays": [1, 2, 3, 4, 5]}
}
AUDIT_ANOMALY_MAX_REQUESTS_PER_DAY: int = env.int(
    "AUDIT_ANOMALY_MAX_REQUESTS_PER_DAY", default=3
)
AUDIT_ANOMALY_TTL_NEAR_CAP_RATIO: float = env.float(
    "AUDIT_ANOMALY_TTL_NEAR_CAP_RATIO", default=0.9
)
AUDIT_ANOMALY_SPIKE_WINDOW_S: int = env.int("AUDIT_ANOMALY_SPIKE_WINDOW_S", default=600)
AUDIT_ANOMALY_SPIKE_MAX_EVENTS: int = env.int(
    "AUDIT_ANOMALY_SPIKE_MAX_EVENTS", default=200
)
AUDIT_ANOMALY_MAX_TENANTS_PER_REQUEST: int = env.int(
    "AUDIT_ANOMALY_MAX_TENANTS_PER_REQUEST", default=1
)
AUDIT_ANOMALY_LOOKBACK_S: int = env.int("AUDIT_ANOMALY_LOOKBACK_S", default=86400)
# On-call rota: shifts {"user": username, "start": ISO datetime, "end": ISO datetime}.
# Empty: the rule "requester not on call" stays quiet (everyone in the group counts).
AUDIT_ON_CALL_ROTA: list[dict[str, str]] = []

CELERY_BEAT_SCHEDULE.update(
    {
        "auditing-db-access-expire": {
            "task": "auditing.tasks.db_access_expire_all",
            "schedule": 60.0,
        },
        "auditing-anomalies-detect": {
            "task": "auditing.tasks.anomalies_detect",
            "schedule": 300.0,
        },
        "auditing-checkpoint-write": {
            "task": "auditing.tasks.audit_checkpoint_write",
            "schedule": 3600.0,
        },
    }
)
