"""The one HTTP client that talks to Atlassian: Jira REST and the install-key service.

HTTP only: no ORM, no cache. One `requests.Session` with a default timeout enforced in
the adapter, so no call can hang a worker.
"""

from typing import Any

import requests
from requests.adapters import HTTPAdapter

DEFAULT_TIMEOUT_S = (3.05, 10.0)  # (connect, read)


class JiraError(Exception):
    """Base of every error this client raises."""


class JiraAuthError(JiraError):
    """Jira refused our credentials (401/403)."""


class JiraNotFound(JiraError):
    """The resource does not exist or the caller may not see it (404)."""


class JiraTransientError(JiraError):
    """A failure worth retrying later (timeouts, 429, 5xx)."""


class JiraUnavailable(JiraTransientError):
    """Jira (or the key service) did not answer in time or answered 5xx."""


class JiraRateLimited(JiraTransientError):
    """Jira kept answering 429 after the retries we allow."""


class _TimeoutAdapter(HTTPAdapter):
    """Applies a default timeout to every request that names none."""

    def __init__(self, *args: Any, timeout: tuple[float, float], **kwargs: Any) -> None:
        self._timeout = timeout
        super().__init__(*args, **kwargs)

    def send(self, request: Any, **kwargs: Any) -> Any:  # type: ignore[override]
        if kwargs.get("timeout") is None:
            kwargs["timeout"] = self._timeout
        return super().send(request, **kwargs)


def session_build(timeout: tuple[float, float] = DEFAULT_TIMEOUT_S) -> requests.Session:
    """A session whose every request has a connect and a read timeout."""
    session = requests.Session()
    adapter = _TimeoutAdapter(timeout=timeout)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    session.headers["User-Agent"] = "structure-cloud"
    return session


_install_key_session = session_build()


def install_public_key_fetch(*, keys_url: str, kid: str, timeout_s: float) -> str:
    """PEM of Atlassian's install-signing key `kid`.

    # Ref: GET https://connect-install-keys.atlassian.com/{kid}
    """
    try:
        response = _install_key_session.get(
            f"{keys_url}/{kid}", timeout=(timeout_s, timeout_s)
        )
    except requests.RequestException as exc:
        raise JiraUnavailable(f"install key service unreachable: {exc}") from exc
    if response.status_code == 404:
        raise JiraNotFound(f"unknown install key {kid!r}")
    if response.status_code != 200 or not response.text.strip():
        raise JiraUnavailable(f"install key service answered {response.status_code}")
    return response.text.strip()
