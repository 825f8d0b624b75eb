"""Start-up configuration: secrets, embedded defaults, production security."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def settings_of(env: dict[str, str], expr: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if k not in _APP_VARS}
    code = f"import django; django.setup(); from django.conf import settings as s; print({expr})"
    return subprocess.run(  # noqa: S603
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**clean, "DJANGO_SETTINGS_MODULE": "structure_cloud.settings", **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


_APP_VARS = {
    "DEBUG",
    "SECRET_KEY",
    "FIELD_ENCRYPTION_KEY",
    "AUDIT_SIGNING_KEY",
    "DATABASE_URL",
    "REDIS_URL",
    "CELERY_BROKER_URL",
    "CELERY_TASK_ALWAYS_EAGER",
    "CACHE_KEY_PREFIX",
    "DJANGO_SETTINGS_MODULE",
    "CONNECT_ALLOWED_HOSTS",
    "JIRA_OUTBOUND_ALLOWED_HOSTS",
}

SECRETS = {
    "SECRET_KEY": "k" * 50,
    "FIELD_ENCRYPTION_KEY": "dGVzdC1maWVsZC1lbmNyeXB0aW9uLWtleS0wMDAwMDA=",
    "AUDIT_SIGNING_KEY": "a" * 32,
}


@pytest.mark.parametrize("missing", sorted(SECRETS))
def test_missing_secret_outside_debug_stops_startup_naming_it(missing: str) -> None:
    env = {k: v for k, v in SECRETS.items() if k != missing}
    result = settings_of(env, "s.SECRET_KEY")
    assert result.returncode != 0
    assert f"{missing} is not set" in result.stderr


def test_manage_py_names_the_missing_secret_in_one_line():
    clean = {k: v for k, v in os.environ.items() if k not in _APP_VARS}
    env = {k: v for k, v in SECRETS.items() if k != "SECRET_KEY"}
    result = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 1
    assert result.stderr.strip() == (
        "manage.py: SECRET_KEY is not set. It is required when DEBUG is off "
        "(see README, Production)."
    )
    with_test_settings = subprocess.run(
        [
            sys.executable,
            "manage.py",
            "check",
            "--settings=structure_cloud.settings_test",
        ],
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert with_test_settings.returncode == 0, with_test_settings.stderr


def test_schema_commands_run_without_secrets_and_nothing_else_does() -> None:
    # A build step checks for missing migrations with no secret at hand.
    clean = {k: v for k, v in os.environ.items() if k not in _APP_VARS}

    def manage(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(  # noqa: S603
            [sys.executable, "manage.py", *args],
            cwd=ROOT,
            env=clean,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )

    schema = manage("makemigrations", "--check", "--dry-run")
    assert (schema.returncode, schema.stdout.strip()) == (0, "No changes detected")
    for refused in (("check",), ("migrate", "--plan"), ("shell", "-c", "pass")):
        result = manage(*refused)
        assert result.returncode == 1, refused
        assert "SECRET_KEY is not set" in result.stderr


def test_debug_runs_on_embedded_defaults_without_any_service() -> None:
    result = settings_of(
        {"DEBUG": "1"},
        "s.DATABASES['default']['ENGINE'], s.CACHES['default']['BACKEND'], "
        "s.CELERY_TASK_ALWAYS_EAGER",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == (
        "django.db.backends.sqlite3 django.core.cache.backends.locmem.LocMemCache True"
    )


def test_urls_switch_to_postgres_redis_and_a_broker() -> None:
    result = settings_of(
        {
            **SECRETS,
            "DATABASE_URL": "postgres://u:p@db.internal:5432/sc",
            "REDIS_URL": "redis://cache.internal:6379/0",
            "CELERY_BROKER_URL": "redis://cache.internal:6379/1",
        },
        "s.DATABASES['default']['ENGINE'], s.CACHES['jira']['BACKEND'], "
        "s.CELERY_TASK_ALWAYS_EAGER",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [
        "django.db.backends.postgresql",
        "django_redis.cache.RedisCache",
        "False",
    ]


def test_production_turns_on_tls_settings() -> None:
    result = settings_of(
        SECRETS,
        "s.SECURE_SSL_REDIRECT, s.SECURE_HSTS_SECONDS, s.SESSION_COOKIE_SECURE, "
        "s.CSRF_COOKIE_SECURE, s.SECURE_PROXY_SSL_HEADER",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == (
        "True 31536000 True True ('HTTP_X_FORWARDED_PROTO', 'https')"
    )


def test_cache_ttls_stay_between_one_minute_and_several_hours() -> None:
    from django.conf import settings

    assert all(60 <= ttl <= 6 * 3600 for ttl in settings.JIRA_CACHE_TTLS.values())


def test_jira_outbound_hosts_follow_the_install_hosts_unless_set() -> None:
    # The demo widens CONNECT_ALLOWED_HOSTS for the simulator; the Jira client follows.
    demo = settings_of(
        {"DEBUG": "1", "CONNECT_ALLOWED_HOSTS": "localhost,127.0.0.1,*.atlassian.net"},
        "s.JIRA_OUTBOUND_ALLOWED_HOSTS",
    )
    assert demo.returncode == 0, demo.stderr
    assert demo.stdout.strip() == "['localhost', '127.0.0.1', '*.atlassian.net']"
    default = settings_of({"DEBUG": "1"}, "s.JIRA_OUTBOUND_ALLOWED_HOSTS")
    assert default.stdout.strip() == "['*.atlassian.net', '*.jira.com']"
    narrowed = settings_of(
        {"DEBUG": "1", "JIRA_OUTBOUND_ALLOWED_HOSTS": "acme.atlassian.net"},
        "s.JIRA_OUTBOUND_ALLOWED_HOSTS",
    )
    assert narrowed.stdout.strip() == "['acme.atlassian.net']"
