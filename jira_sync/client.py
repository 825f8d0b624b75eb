"""The one HTTP client that talks to Atlassian: Jira REST and the install-key service.

HTTP only: no ORM, no cache. One `requests.Session` with a default timeout enforced in
the adapter, so no call can hang a worker. `JiraClient` signs every request with the
tenant's shared secret (iss = app key, qsh of the exact path and query sent) and retries
429/5xx/connection failures with Atlassian's recommended backoff, inside a total time
budget (../shared/reference/connect-and-jira.md §3.4-3.5, §4.10).
"""

import fnmatch
import logging
import random
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlencode, urlsplit

import requests
from atlassian_jwt import encode_token
from django.conf import settings
from requests.adapters import HTTPAdapter

from jira_sync.types import (
    JiraField,
    JiraGroup,
    JiraIssue,
    JiraLinkType,
    JiraProject,
    JiraRoleActors,
    JiraUser,
    JqlParseResult,
)

logger = logging.getLogger(__name__)

DEFAULT_TIMEOUT_S = (3.05, 10.0)  # (connect, read)


class JiraError(Exception):
    """Base of every error this client raises."""


class JiraAuthError(JiraError):
    """Jira refused our credentials (401/403)."""


class JiraNotFound(JiraError):
    """The resource does not exist or the caller may not see it (404)."""


class JiraBadRequest(JiraError):
    """Jira refused the request as invalid (400), e.g. a JQL syntax error."""

    def __init__(self, message: str, messages: Sequence[str] = ()) -> None:
        super().__init__(message)
        self.messages = list(messages)


class JiraHostNotAllowed(JiraError):
    """The URL's host is not on `JIRA_OUTBOUND_ALLOWED_HOSTS`: refused before any
    connection (or DNS lookup) is made."""


class JiraTransientError(JiraError):
    """A failure worth retrying later (timeouts, 429, 5xx).

    `retry_after_s` is Jira's last `Retry-After` when it sent one.
    """

    def __init__(self, message: str, *, retry_after_s: float | None = None) -> None:
        super().__init__(message)
        self.retry_after_s = retry_after_s


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


def host_allowed(url: str, patterns: Iterable[str]) -> bool:
    """Whether the host of `url` matches one of the fnmatch `patterns` (no DNS)."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    return (
        parts.scheme in ("http", "https")
        and bool(host)
        and any(
            fnmatch.fnmatchcase(host, p.strip().lower()) for p in patterns if p.strip()
        )
    )


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


# ---- Jira REST ----------------------------------------------------------------------

BULK_FETCH_BATCH = 100  # Jira's limit per POST /rest/api/3/issue/bulkfetch
USER_BULK_BATCH = 100  # accountIds per GET /rest/api/3/user/bulk (Jira pages by 200)
PERMISSION_CHECK_BATCH = 1000  # Jira's limit of issues per POST /permissions/check
SEARCH_PAGE_IDS = 5000  # page size Jira allows when only `id` is requested
SEARCH_PAGE_FIELDS = 100
SEARCH_MAX_PAGES = 10_000  # a cursor that never ends is a bug, not a reason to hang
TOKEN_LIFETIME_S = 180  # ACE's default for app->Jira tokens (3 min)


@dataclass(frozen=True)
class RetryPolicy:
    """Atlassian's recommended backoff (connect-and-jira.md §4.10), with a time budget.

    delay = base x 2^retry x U(0.7, 1.3), at least `Retry-After` when Jira sends one,
    at most `max_delay_s`; no retry is started that would end past `budget_s`, and a
    `Retry-After` longer than `max_delay_s` ends the call at once (retrying earlier
    only extends Jira's wait).
    """

    max_retries: int = 4
    base_delay_s: float = 1.0
    max_delay_s: float = 30.0
    budget_s: float = 60.0
    timeout_s: tuple[float, float] = DEFAULT_TIMEOUT_S

    def delay(self, retry: int, retry_after: float | None) -> float:
        """Seconds to wait before retry number `retry` (0-based)."""
        backoff = self.base_delay_s * (2.0**retry) * random.uniform(0.7, 1.3)  # noqa: S311  # jitter, not a secret
        if retry_after is not None:
            backoff = max(backoff, retry_after)
        return min(backoff, self.max_delay_s)


def retry_after_seconds(value: str | None) -> float | None:
    """`Retry-After` as seconds (delta-seconds or an HTTP date), None if absent/bad."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    from email.utils import parsedate_to_datetime

    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


def _chunks(items: Sequence[Any], size: int) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


_local = threading.local()


def _user(body: dict[str, Any]) -> JiraUser:
    return JiraUser(
        account_id=str(body["accountId"]),
        account_type=str(body.get("accountType") or ""),
        display_name=str(body.get("displayName") or ""),
        active=bool(body.get("active", True)),
    )


def _session(timeout: tuple[float, float]) -> requests.Session:
    """One pooled session per thread and timeout (requests.Session is not thread-safe)."""
    sessions: dict[tuple[float, float], requests.Session] = getattr(
        _local, "sessions", {}
    )
    _local.sessions = sessions
    if timeout not in sessions:
        sessions[timeout] = session_build(timeout)
    return sessions[timeout]


class JiraClient:
    """Jira Cloud REST v3 for one tenant, as the app (Connect JWT, no user context).

    HTTP only: no ORM and no cache; `jira_sync.selectors` put a cache in front.
    """

    def __init__(
        self,
        *,
        base_url: str,
        client_key: str,
        shared_secret: str,
        app_key: str,
        retry: RetryPolicy | None = None,
        sleep: Callable[[float], None] = time.sleep,
        allowed_hosts: Sequence[str] | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        # None: settings.JIRA_OUTBOUND_ALLOWED_HOSTS, read at each call.
        self._allowed_hosts = allowed_hosts
        self.client_key = client_key
        self._secret = shared_secret
        self.app_key = app_key
        self.retry = retry or RetryPolicy()
        self._sleep = sleep
        self._http = _session(self.retry.timeout_s)

    def __repr__(self) -> str:
        return f"JiraClient({self.base_url!r})"

    # -- transport ---------------------------------------------------------------

    @staticmethod
    def path_qs(path: str, params: Iterable[tuple[str, str]] = ()) -> str:
        """Path plus RFC 3986-encoded query: the exact string sent and signed."""
        query = urlencode(list(params), quote_via=quote, safe="")
        return f"{path}?{query}" if query else path

    def _token(self, method: str, path_qs: str) -> str:
        # encode_token puts the clientKey in `iss` and `aud`; Jira expects the app key
        # as the issuer of app->Jira calls (ACE host-request.js), `aud` stays clientKey.
        token: str = encode_token(
            method,
            path_qs,
            self.client_key,
            self._secret,
            timeout_secs=TOKEN_LIFETIME_S,
            payload_kwargs={"iss": self.app_key},
        )
        return token

    def request(
        self,
        method: str,
        path: str,
        *,
        params: Iterable[tuple[str, str]] = (),
        json: Any = None,
    ) -> Any:
        """One signed call with retries; the decoded JSON body (None for 204)."""
        path_qs = self.path_qs(path, params)
        url = self.base_url + urlsplit(path_qs).path
        query = urlsplit(path_qs).query
        if query:
            url = f"{url}?{query}"
        allowed = (
            self._allowed_hosts
            if self._allowed_hosts is not None
            else settings.JIRA_OUTBOUND_ALLOWED_HOSTS
        )
        if not host_allowed(url, allowed):
            # SSRF guard: a tenant's baseUrl comes from an install payload; whatever
            # got stored, the app only ever talks to allow-listed Jira hosts.
            raise JiraHostNotAllowed(
                f"{method} {path}: host {urlsplit(url).hostname!r} is not on "
                "JIRA_OUTBOUND_ALLOWED_HOSTS"
            )
        started = time.monotonic()
        retry = 0
        while True:
            headers = {
                # A fresh token per attempt: a retry after a long wait must not expire.
                "Authorization": f"JWT {self._token(method, path_qs)}",
                "Accept": "application/json",
            }
            failure: str
            retry_after: float | None = None
            rate_limited = False
            try:
                response = self._http.request(
                    method, url, headers=headers, json=json, allow_redirects=False
                )
            except requests.RequestException as exc:
                failure = f"{type(exc).__name__}: {exc}"
            else:
                status = response.status_code
                if status < 300:
                    return self._decode(response, method, path)
                if status == 429 or status >= 500:
                    retry_after = retry_after_seconds(
                        response.headers.get("Retry-After")
                    )
                    rate_limited = status == 429
                    failure = f"HTTP {status}"
                else:
                    raise self._client_error(response, method, path)
            elapsed = time.monotonic() - started
            delay = self.retry.delay(retry, retry_after)
            give_up = (
                retry >= self.retry.max_retries
                or elapsed + delay > self.retry.budget_s
                or (retry_after is not None and retry_after > self.retry.max_delay_s)
            )
            if give_up:
                message = (
                    f"{method} {path}: {failure} after {retry + 1} attempt(s) "
                    f"in {elapsed:.1f}s"
                )
                if rate_limited:
                    raise JiraRateLimited(message, retry_after_s=retry_after)
                raise JiraUnavailable(message, retry_after_s=retry_after)
            logger.info(
                "jira %s %s: %s, retry %d in %.2fs",
                method,
                path,
                failure,
                retry + 1,
                delay,
            )
            self._sleep(delay)
            retry += 1

    @staticmethod
    def _decode(response: requests.Response, method: str, path: str) -> Any:
        if response.status_code == 204 or not response.content:
            return None
        try:
            return response.json()
        except ValueError as exc:
            raise JiraUnavailable(f"{method} {path}: answer is not JSON") from exc

    @staticmethod
    def _client_error(response: requests.Response, method: str, path: str) -> JiraError:
        status = response.status_code
        messages: list[str] = []
        try:
            body = response.json()
        except ValueError:
            body = None
        if isinstance(body, dict):
            messages = [str(m) for m in body.get("errorMessages") or ()]
            errors = body.get("errors")
            if isinstance(errors, dict):
                messages += [f"{k}: {v}" for k, v in errors.items()]
        text = f"{method} {path}: HTTP {status}" + (
            f" ({'; '.join(messages)})" if messages else ""
        )
        if status in (401, 403):
            return JiraAuthError(text)
        if status == 404:
            return JiraNotFound(text)
        if status == 400:
            return JiraBadRequest(text, messages)
        return JiraError(text)

    # -- search ------------------------------------------------------------------

    def _search_pages(
        self, jql: str, fields: Sequence[str], page_size: int, limit: int | None
    ) -> Iterator[dict[str, Any]]:
        token: str | None = None
        seen_tokens: set[str] = set()
        returned = 0
        for _ in range(SEARCH_MAX_PAGES):
            size = page_size if limit is None else min(page_size, limit - returned)
            body: dict[str, Any] = {
                "jql": jql,
                "fields": list(fields),
                "maxResults": size,
            }
            if token:
                body["nextPageToken"] = token
            page = self.request("POST", "/rest/api/3/search/jql", json=body)
            issues = page.get("issues") or []
            for issue in issues:
                yield issue
                returned += 1
                if limit is not None and returned >= limit:
                    return
            token = page.get("nextPageToken")
            if page.get("isLast", not token) or not token or token in seen_tokens:
                return
            seen_tokens.add(token)

    def search_jql_ids(self, jql: str, *, limit: int | None = None) -> list[int]:
        """IDs of the issues matching `jql`, in JQL order (all pages, up to `limit`).

        # Ref: POST /rest/api/3/search/jql
        """
        return [
            int(issue["id"])
            for issue in self._search_pages(jql, ["id"], SEARCH_PAGE_IDS, limit)
        ]

    def search_jql(
        self, jql: str, *, fields: Sequence[str], limit: int | None = None
    ) -> list[JiraIssue]:
        """Issues matching `jql` with `fields`, in JQL order (all pages, up to `limit`).

        # Ref: POST /rest/api/3/search/jql
        """
        fetched = frozenset(fields)
        return [
            JiraIssue.from_json(issue, fetched)
            for issue in self._search_pages(jql, fields, SEARCH_PAGE_FIELDS, limit)
        ]

    def approximate_count(self, jql: str) -> int:
        """Jira's estimate of how many issues match `jql` (search/jql has no total).

        # Ref: POST /rest/api/3/search/approximate-count
        """
        body = self.request(
            "POST", "/rest/api/3/search/approximate-count", json={"jql": jql}
        )
        return int(body["count"])

    def jql_parse(
        self, queries: Sequence[str], *, validation: str = "strict"
    ) -> list[JqlParseResult]:
        """Syntax and validation errors of each query (empty `errors` when valid).

        # Ref: POST /rest/api/3/jql/parse
        """
        body = self.request(
            "POST",
            "/rest/api/3/jql/parse",
            params=[("validation", validation)],
            json={"queries": list(queries)},
        )
        return [
            JqlParseResult(
                query=str(q.get("query", "")),
                errors=tuple(str(e) for e in q.get("errors") or ()),
                structure=q.get("structure") or {},
            )
            for q in body.get("queries") or []
        ]

    # -- issues ------------------------------------------------------------------

    def bulk_fetch(
        self, issue_ids: Sequence[int], *, fields: Sequence[str]
    ) -> list[JiraIssue]:
        """The issues of `issue_ids` the app can see, in batches of 100.

        # Ref: POST /rest/api/3/issue/bulkfetch
        """
        fetched = frozenset(fields)
        issues: list[JiraIssue] = []
        for batch in _chunks(list(dict.fromkeys(issue_ids)), BULK_FETCH_BATCH):
            body = self.request(
                "POST",
                "/rest/api/3/issue/bulkfetch",
                json={
                    "issueIdsOrKeys": [str(i) for i in batch],
                    "fields": list(fields),
                },
            )
            issues += [
                JiraIssue.from_json(i, fetched) for i in body.get("issues") or []
            ]
            if body.get("issueErrors"):
                logger.info(
                    "bulkfetch: %d issue error(s)", len(body.get("issueErrors") or ())
                )
        return issues

    def get_issue(
        self, issue_id_or_key: str | int, *, fields: Sequence[str]
    ) -> JiraIssue:
        """One issue with `fields`.

        # Ref: GET /rest/api/3/issue/{issueIdOrKey}
        """
        body = self.request(
            "GET",
            f"/rest/api/3/issue/{quote(str(issue_id_or_key), safe='')}",
            params=[("fields", ",".join(fields))],
        )
        return JiraIssue.from_json(body, frozenset(fields))

    # -- metadata ----------------------------------------------------------------

    def fields(self) -> list[JiraField]:
        """Every field of the site, system and custom.

        # Ref: GET /rest/api/3/field
        """
        return [
            JiraField.from_json(f) for f in self.request("GET", "/rest/api/3/field")
        ]

    def link_types(self) -> list[JiraLinkType]:
        """Every issue link type of the site.

        # Ref: GET /rest/api/3/issueLinkType
        """
        body = self.request("GET", "/rest/api/3/issueLinkType")
        return [JiraLinkType.from_json(t) for t in body.get("issueLinkTypes") or []]

    # -- users, groups, roles, permissions --------------------------------------

    def myself(self) -> JiraUser:
        """The calling user: with the app's JWT, the app's own user.

        # Ref: GET /rest/api/3/myself
        """
        return _user(self.request("GET", "/rest/api/3/myself"))

    def users_search(self, query: str, *, limit: int = 10) -> list[JiraUser]:
        """Active people whose name or email starts with `query` (no app users).

        # Ref: GET /rest/api/3/user/search
        """
        body = self.request(
            "GET",
            "/rest/api/3/user/search",
            params=[("query", query), ("maxResults", str(limit))],
        )
        users = [_user(u) for u in body or []]
        return [u for u in users if u.active and u.account_type == "atlassian"]

    def users_get(self, account_ids: Sequence[str]) -> list[JiraUser]:
        """The users with these accountIds (unknown ones are left out).

        # Ref: GET /rest/api/3/user/bulk
        """
        users: list[JiraUser] = []
        for batch in _chunks(list(dict.fromkeys(account_ids)), USER_BULK_BATCH):
            page = self.request(
                "GET",
                "/rest/api/3/user/bulk",
                params=[("accountId", a) for a in batch]
                + [("maxResults", str(USER_BULK_BATCH))],
            )
            users += [_user(u) for u in page.get("values") or []]
        return users

    def groups_search(self, query: str, *, limit: int = 10) -> list[JiraGroup]:
        """Groups whose name contains `query`.

        # Ref: GET /rest/api/3/groups/picker
        """
        body = self.request(
            "GET",
            "/rest/api/3/groups/picker",
            params=[("query", query), ("maxResults", str(limit))],
        )
        return [
            JiraGroup(
                name=str(g.get("name") or ""), group_id=str(g.get("groupId") or "")
            )
            for g in body.get("groups") or []
        ]

    def user_groups(self, account_id: str) -> list[JiraGroup]:
        """The groups of a user.

        # Ref: GET /rest/api/3/user/groups
        """
        body = self.request(
            "GET", "/rest/api/3/user/groups", params=[("accountId", account_id)]
        )
        return [
            JiraGroup(
                name=str(g.get("name") or ""), group_id=str(g.get("groupId") or "")
            )
            for g in body or []
        ]

    def projects_browsable(self) -> list[JiraProject]:
        """The projects the app may browse (all of them for a Connect app), all pages.

        # Ref: GET /rest/api/3/project/search
        """
        projects: list[JiraProject] = []
        start = 0
        for _ in range(SEARCH_MAX_PAGES):
            page = self.request(
                "GET",
                "/rest/api/3/project/search",
                params=[("startAt", str(start)), ("maxResults", "100")],
            )
            values = page.get("values") or []
            projects += [
                JiraProject(id=int(p["id"]), key=str(p.get("key") or ""))
                for p in values
            ]
            start += len(values)
            if page.get("isLast", True) or not values:
                break
        return projects

    def project_roles(
        self, project_id: int, project_key: str = ""
    ) -> list[JiraRoleActors]:
        """Every role of a project with its actors (users and groups).

        # Ref: GET /rest/api/3/project/{projectIdOrKey}/role
        # Ref: GET /rest/api/3/project/{projectIdOrKey}/role/{id}
        """
        roles = self.request("GET", f"/rest/api/3/project/{int(project_id)}/role")
        result = []
        for role_name, url in (roles or {}).items():
            role_id = int(str(url).rstrip("/").rsplit("/", 1)[-1])
            body = self.request(
                "GET", f"/rest/api/3/project/{int(project_id)}/role/{role_id}"
            )
            accounts, names, ids = set(), set(), set()
            for actor in body.get("actors") or []:
                user = actor.get("actorUser") or {}
                group = actor.get("actorGroup") or {}
                if user.get("accountId"):
                    accounts.add(str(user["accountId"]))
                if group.get("name"):
                    names.add(str(group["name"]))
                if group.get("groupId"):
                    ids.add(str(group["groupId"]))
            result.append(
                JiraRoleActors(
                    project_id=int(project_id),
                    role_id=role_id,
                    account_ids=frozenset(accounts),
                    group_names=frozenset(names),
                    group_ids=frozenset(ids),
                    role_name=str(role_name),
                    project_key=project_key,
                )
            )
        return result

    def permissions_check(
        self,
        *,
        account_id: str,
        issue_ids: Sequence[int],
        permission: str = "BROWSE_PROJECTS",
    ) -> set[int]:
        """The subset of `issue_ids` on which `account_id` holds `permission`.

        Batches of 1000 issues; a Connect app may check any user from the server.

        # Ref: POST /rest/api/3/permissions/check
        """
        granted: set[int] = set()
        for batch in _chunks(list(dict.fromkeys(issue_ids)), PERMISSION_CHECK_BATCH):
            body = self.request(
                "POST",
                "/rest/api/3/permissions/check",
                json={
                    "accountId": account_id,
                    "projectPermissions": [
                        {"permissions": [permission], "issues": [int(i) for i in batch]}
                    ],
                },
            )
            asked = set(batch)
            for grant in body.get("projectPermissions") or []:
                if grant.get("permission") == permission:
                    granted |= {int(i) for i in grant.get("issues") or ()} & asked
        return granted
