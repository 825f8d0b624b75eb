"""Jira's side of Atlassian Connect: installs, JWTs both ways, lifecycle calls, webhooks."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
import secrets
import threading
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, urlencode, urlsplit

import jwt
import requests
from atlassian_jwt.url_utils import hash_url
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

LOOPBACK_HOSTS = {"127.0.0.1", "localhost", "::1"}
APP_TOKEN_LEEWAY_S = 30
HTTP_TIMEOUT_S = 10.0


class ConnectError(RuntimeError):
    """The app refused or could not be reached during an install or lifecycle call."""


class AuthError(Exception):
    """A request Jira would refuse with 401; the message is what Jira says."""


def ensure_loopback(url: str) -> None:
    """The simulator only ever talks to this machine."""
    host = urlsplit(url).hostname or ""
    if host not in LOOPBACK_HOSTS:
        raise ConnectError(
            f"refusing to contact {url!r}: the simulator only talks to loopback"
        )


def relative_url(url: str, base_url: str) -> str:
    """Path and query of `url` relative to the path of `base_url` (for the qsh)."""
    parts = urlsplit(url)
    base_path = urlsplit(base_url).path.rstrip("/")
    path = parts.path
    if base_path and path.startswith(base_path):
        path = path[len(base_path) :] or "/"
    return path + (f"?{parts.query}" if parts.query else "")


@dataclass
class Installation:
    """One app installed on the site."""

    app_key: str
    client_key: str
    shared_secret: str
    app_base_url: str
    descriptor: dict[str, Any] = field(default_factory=dict)
    app_account_id: str = ""
    enabled: bool = True
    oauth_client_id: str = ""

    def to_json(self) -> dict[str, Any]:
        return {
            "appKey": self.app_key,
            "clientKey": self.client_key,
            "sharedSecret": self.shared_secret,
            "baseUrl": self.app_base_url,
            "appAccountId": self.app_account_id,
            "enabled": self.enabled,
        }

    def module_url(self, module: str) -> str | None:
        modules = self.descriptor.get("modules", {})
        entries = modules.get(module) or []
        if not entries:
            return None
        url = entries[0].get("url")
        return url if isinstance(url, str) else None

    def page_module(self, key: str) -> tuple[str, str] | None:
        """(module type, url) of the general or project page with this key."""
        modules = self.descriptor.get("modules", {})
        for kind in ("generalPages", "jiraProjectPages"):
            for entry in modules.get(kind) or []:
                if entry.get("key") == key and isinstance(entry.get("url"), str):
                    return kind, entry["url"]
        return None

    def webhook_urls(self, event: str) -> list[tuple[str, dict[str, Any]]]:
        hooks = self.descriptor.get("modules", {}).get("webhooks", []) or []
        return [
            (h["url"], h) for h in hooks if h.get("event") == event and h.get("url")
        ]


def app_account_id(app_key: str) -> str:
    """A stable accountId for an app's user, in the shape Jira gives app users."""
    digest = hashlib.sha256(app_key.encode()).hexdigest()
    return f"557058:{uuid.UUID(digest[:32])}"


class InstallKeys:
    """The RSA key the site signs install/uninstall callbacks with, served by kid."""

    def __init__(self) -> None:
        self.private_key = rsa.generate_private_key(
            public_exponent=65537, key_size=2048
        )
        self.kid = f"jira-simulator-{uuid.uuid4()}"
        self.public_pem = (
            self.private_key.public_key()
            .public_bytes(
                serialization.Encoding.PEM,
                serialization.PublicFormat.SubjectPublicKeyInfo,
            )
            .decode()
        )
        self.private_pem = self.private_key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )

    def public_key_for(self, kid: str) -> str | None:
        return self.public_pem if kid == self.kid else None


def sign_hs256(claims: dict[str, Any], secret: str) -> str:
    return jwt.encode(claims, secret, algorithm="HS256")


def lifecycle_token_rs256(
    keys: InstallKeys,
    *,
    client_key: str,
    app_base_url: str,
    method: str,
    url: str,
    sub: str,
) -> str:
    now = int(time.time())
    claims = {
        "iss": client_key,
        "sub": sub,
        "aud": app_base_url,
        "qsh": hash_url(method, relative_url(url, app_base_url)),
        "iat": now,
        "exp": now + 180,
        "context": {},
    }
    return jwt.encode(
        claims, keys.private_pem, algorithm="RS256", headers={"kid": keys.kid}
    )


def request_token_hs256(
    inst: Installation,
    *,
    method: str,
    url: str,
    sub: str | None = None,
    ttl_s: int = 180,
) -> str:
    """The HS256 token the site puts on a call to the app (webhooks, enabled, pages)."""
    now = int(time.time())
    claims: dict[str, Any] = {
        "iss": inst.client_key,
        "qsh": hash_url(method, relative_url(url, inst.app_base_url)),
        "iat": now,
        "exp": now + ttl_s,
    }
    if sub:
        claims["sub"] = sub
    return sign_hs256(claims, inst.shared_secret)


def context_token(
    inst: Installation, *, account_id: str, context: dict[str, Any]
) -> str:
    """What `AP.context.getToken()` hands the app's page: qsh "context-qsh", 15 minutes."""
    now = int(time.time())
    claims = {
        "iss": inst.client_key,
        "sub": account_id,
        "qsh": "context-qsh",
        "iat": now,
        "exp": now + 15 * 60,
        "context": context,
        "aud": [inst.client_key],
    }
    return sign_hs256(claims, inst.shared_secret)


_CONTEXT_VARIABLE = re.compile(r"\{([\w.-]+)\}")


def module_url_fill(template: str, variables: Mapping[str, str]) -> str:
    """A module URL with Jira's context variables (`{project.key}`, `{issue.id}`,
    `{ac.name}`) filled in, URL-encoded; one without a value becomes empty."""
    return _CONTEXT_VARIABLE.sub(
        lambda m: quote(variables.get(m.group(1), ""), safe=""), template
    )


def signed_page_url(
    inst: Installation,
    module_url: str,
    *,
    account_id: str,
    site_base_url: str,
    extra: dict[str, str] | None = None,
) -> str:
    """The app page URL Jira puts in the iframe: standard params plus a page JWT."""
    params = {
        "xdm_e": site_base_url,
        "xdm_c": f"channel-{inst.app_key}",
        "cp": "",
        "lic": "none",
        "cv": "1001.0.0-SNAPSHOT",
        "tz": "Europe/Berlin",
        "loc": "en-US",
    }
    params.update(extra or {})
    sep = "&" if "?" in module_url else "?"
    url = f"{inst.app_base_url}{module_url}{sep}{urlencode(params)}"
    token = request_token_hs256(inst, method="GET", url=url, sub=account_id, ttl_s=180)
    return f"{url}&jwt={token}"


def verify_app_token(
    token: str,
    *,
    method: str,
    path_qs: str,
    installations: list[Installation],
) -> Installation:
    """Verify an app's `Authorization: JWT` as Jira does; return its installation."""
    try:
        header = jwt.get_unverified_header(token)
        unverified = jwt.decode(token, options={"verify_signature": False})
    except jwt.PyJWTError:
        raise AuthError("JWT token is malformed.") from None
    if header.get("alg") != "HS256":
        raise AuthError(f"JWT algorithm '{header.get('alg')}' is not supported.")
    iss = unverified.get("iss")
    if not isinstance(iss, str):
        raise AuthError("JWT token has no issuer ('iss').")
    candidates = [i for i in installations if iss in (i.app_key, i.client_key)]
    if not candidates:
        raise AuthError(f"Could not find an installed app with key '{iss}'.")
    claims: dict[str, Any] | None = None
    chosen: Installation | None = None
    for inst in candidates:
        try:
            claims = jwt.decode(
                token,
                inst.shared_secret,
                algorithms=["HS256"],
                leeway=APP_TOKEN_LEEWAY_S,
                options={"require": ["exp", "iat", "qsh"], "verify_aud": False},
            )
            chosen = inst
            break
        except jwt.ExpiredSignatureError:
            raise AuthError("JWT token has expired.") from None
        except jwt.MissingRequiredClaimError as exc:
            raise AuthError(f"JWT token is missing the '{exc.claim}' claim.") from None
        except jwt.InvalidSignatureError:
            continue
        except jwt.PyJWTError as exc:
            raise AuthError(f"JWT token is invalid: {exc}") from None
    if claims is None or chosen is None:
        raise AuthError("JWT signature verification failed.")
    if not chosen.enabled:
        raise AuthError(f"The app '{chosen.app_key}' is disabled on this site.")
    expected = hash_url(method, path_qs)
    if claims["qsh"] != expected:
        raise AuthError(
            "JWT token query string hash ('qsh') does not match the request."
        )
    return chosen


@dataclass
class WebhookDelivery:
    event: str
    url: str
    status: int | None
    error: str | None
    body: dict[str, Any]
    at: str


class Deliverer:
    """Sends lifecycle calls and webhooks to apps, over loopback only."""

    def __init__(self) -> None:
        self.session = requests.Session()
        self.log: list[WebhookDelivery] = []
        self.lock = threading.Lock()

    def post(
        self, url: str, body: dict[str, Any] | None, token: str
    ) -> requests.Response:
        ensure_loopback(url)
        data = b"" if body is None else json.dumps(body).encode()
        return self.session.post(
            url,
            data=data,
            headers={
                "Authorization": f"JWT {token}",
                "Content-Type": "application/json",
                "User-Agent": "Atlassian HttpClient (jira-simulator)",
            },
            timeout=HTTP_TIMEOUT_S,
        )

    def webhook(
        self, inst: Installation, event: str, body: dict[str, Any]
    ) -> list[WebhookDelivery]:
        out = []
        for path, hook in inst.webhook_urls(event):
            url = inst.app_base_url + path
            token = request_token_hs256(inst, method="POST", url=url)
            payload = None if hook.get("excludeBody") else body
            status: int | None = None
            error: str | None = None
            try:
                status = self.post(url, payload, token).status_code
            except (requests.RequestException, ConnectError) as exc:
                error = str(exc)
            delivery = WebhookDelivery(
                event, url, status, error, body, dt.datetime.now(dt.UTC).isoformat()
            )
            with self.lock:
                self.log.append(delivery)
            out.append(delivery)
        return out


def fetch_descriptor(app_url: str, *, wait_s: float = 0.0) -> dict[str, Any]:
    """GET {app_url}/atlassian-connect.json, retrying up to `wait_s` while the app starts."""
    url = app_url.rstrip("/") + "/atlassian-connect.json"
    ensure_loopback(url)
    deadline = time.monotonic() + wait_s
    delay = 0.25
    while True:
        try:
            response = requests.get(url, timeout=HTTP_TIMEOUT_S)
            if response.status_code == 200:
                data = response.json()
                if (
                    not isinstance(data, dict)
                    or "key" not in data
                    or "baseUrl" not in data
                ):
                    raise ConnectError(
                        f"{url} is not a Connect descriptor (no key/baseUrl)"
                    )
                return data
            problem = f"{url} answered {response.status_code}"
        except (requests.RequestException, ValueError) as exc:
            problem = f"{url} unreachable: {exc}"
        if time.monotonic() >= deadline:
            raise ConnectError(problem)
        time.sleep(delay)
        delay = min(delay * 2, 2.0)


def new_shared_secret() -> str:
    return secrets.token_urlsafe(48)
