"""Connect JWT verification: the one module that decides who a request comes from.

Three kinds of incoming token (../shared/reference/connect-and-jira.md §2-3):

* lifecycle ``installed``/``uninstalled``: RS256, signed by Atlassian, key fetched by ``kid``;
* lifecycle ``enabled``/``disabled``, webhooks and iframe pages (``?jwt=``): HS256 with the
  tenant's shared secret and the qsh of the very request;
* context tokens from ``AP.context.getToken()`` on ``/api/v1/``: HS256, ``qsh`` may be the
  fixed ``context-qsh``. Accepted there only, never on pages.

Views receive a `ConnectContext` (tenant and viewer accountId) and nothing else, so a
Forge Remote entry point can later hand them the same object.
"""

import fnmatch
import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Concatenate, ParamSpec
from urllib.parse import quote, urlsplit

import jwt
from atlassian_jwt.url_utils import hash_url
from django.conf import settings
from django.core.cache import caches
from django.http import HttpRequest, HttpResponse, JsonResponse
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.exceptions import AuthenticationFailed
from rest_framework.request import Request

from jira_sync import client
from jira_sync.models import Tenant

CONTEXT_QSH = "context-qsh"
INSTALL_KEY_CACHE_S = 24 * 3600

P = ParamSpec("P")


class ConnectAuthError(Exception):
    """A token was refused; `reason` is short and safe to show to the caller."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class ConnectContext:
    """Who is calling: the tenant and the viewer's accountId ("" when anonymous)."""

    tenant: Tenant
    account_id: str

    def frame_origins(self) -> list[str]:
        """Origins allowed to frame our pages for this tenant (baseUrl, displayUrl)."""
        origins = []
        for url in (self.tenant.base_url, self.tenant.display_url):
            parts = urlsplit(url)
            if parts.scheme and parts.netloc:
                origins.append(f"{parts.scheme}://{parts.netloc}")
        return origins


class ConnectUser:
    """The DRF `request.user` of a Connect-authenticated API call."""

    is_authenticated = True
    is_anonymous = False

    def __init__(self, context: ConnectContext) -> None:
        self.context = context
        self.account_id = context.account_id

    def __str__(self) -> str:
        return self.account_id or "anonymous"


def request_path_qs(request: HttpRequest) -> str:
    """Path and raw query relative to APP_BASE_URL, as Jira hashed it.

    The raw, still percent-encoded query is used: rebuilding it from `request.GET` breaks
    on `&`, `=`, `+` and repeated parameters. The path is re-quoted keeping the characters
    a client leaves unescaped in a path (Django's own quoting would turn `=` into `%3D`).
    """
    query = request.META.get("QUERY_STRING", "")
    full = quote(request.path, safe="/:@&=+$,;-_.!~*'()") + (
        f"?{query}" if query else ""
    )
    prefix = urlsplit(settings.APP_BASE_URL).path.rstrip("/")
    if prefix and full.startswith(prefix):
        full = full[len(prefix) :] or "/"
    return full


def _unverified_claims(token: str) -> tuple[dict[str, Any], dict[str, Any]]:
    try:
        header = jwt.get_unverified_header(token)
        claims = jwt.decode(token, options={"verify_signature": False})
    except jwt.PyJWTError as exc:
        raise ConnectAuthError("malformed token") from exc
    return header, claims


def _check_qsh(
    claims: dict[str, Any], method: str, path_qs: str, allow_context: bool
) -> None:
    qsh = claims.get("qsh")
    if allow_context and qsh == CONTEXT_QSH:
        return
    if qsh == CONTEXT_QSH:
        raise ConnectAuthError("context token not accepted here")
    if qsh != hash_url(method.upper(), path_qs):
        raise ConnectAuthError("qsh does not match the request")


def tenant_token_verify(
    token: str,
    *,
    method: str,
    path_qs: str,
    allow_context_qsh: bool = False,
    require_active: bool = True,
) -> ConnectContext:
    """Verify an HS256 token signed with a tenant's shared secret; return its context."""
    header, unverified = _unverified_claims(token)
    if header.get("alg") != "HS256":
        raise ConnectAuthError("token must be signed with HS256")
    client_key = unverified.get("iss")
    if not isinstance(client_key, str) or not client_key:
        raise ConnectAuthError("token has no issuer")
    tenant = Tenant.objects.filter(client_key=client_key).first()
    if tenant is None:
        raise ConnectAuthError("unknown tenant")
    if tenant.state == Tenant.State.UNINSTALLED:
        raise ConnectAuthError("app is not installed on this site")
    if require_active and not tenant.is_active:
        raise ConnectAuthError("app is disabled on this site")
    try:
        claims = jwt.decode(
            token,
            tenant.shared_secret,
            algorithms=["HS256"],
            leeway=settings.CONNECT_JWT_LEEWAY_S,
            options={"require": ["iss", "exp", "qsh"], "verify_aud": False},
        )
    except jwt.ExpiredSignatureError as exc:
        raise ConnectAuthError("token expired") from exc
    except jwt.PyJWTError as exc:
        raise ConnectAuthError("invalid token signature or claims") from exc
    _check_qsh(claims, method, path_qs, allow_context_qsh)
    sub = claims.get("sub")
    return ConnectContext(tenant=tenant, account_id=sub if isinstance(sub, str) else "")


def _install_public_key(kid: str) -> str:
    if not kid or "/" in kid or ".." in kid or len(kid) > 200:
        raise ConnectAuthError("invalid key id")
    cache_key = f"connect:install-key:v1:{kid}"
    pem = caches["default"].get(cache_key)
    if isinstance(pem, str):
        return pem
    try:
        pem = client.install_public_key_fetch(
            keys_url=settings.CONNECT_INSTALL_KEYS_URL,
            kid=kid,
            timeout_s=settings.CONNECT_INSTALL_KEY_TIMEOUT_S,
        )
    except client.JiraNotFound as exc:
        raise ConnectAuthError("unknown signing key") from exc
    except client.JiraError as exc:
        raise ConnectAuthError("signing key could not be fetched") from exc
    # Atlassian gives a rotated key a new kid, so a key is safe to cache by kid.
    caches["default"].set(cache_key, pem, INSTALL_KEY_CACHE_S)
    return pem


def install_token_verify(
    token: str, *, method: str, path_qs: str, client_key: str
) -> dict[str, Any]:
    """Verify an RS256 lifecycle token signed by Atlassian for `client_key`."""
    header, _ = _unverified_claims(token)
    if header.get("alg") != "RS256":
        raise ConnectAuthError("lifecycle call must be signed with RS256")
    pem = _install_public_key(str(header.get("kid") or ""))
    try:
        claims: dict[str, Any] = jwt.decode(
            token,
            pem,
            algorithms=["RS256"],
            audience=settings.APP_BASE_URL,
            leeway=settings.CONNECT_JWT_LEEWAY_S,
            options={"require": ["iss", "exp", "qsh", "aud"]},
        )
    except jwt.ExpiredSignatureError as exc:
        raise ConnectAuthError("token expired") from exc
    except jwt.InvalidAudienceError as exc:
        raise ConnectAuthError("token audience is not this app") from exc
    except jwt.PyJWTError as exc:
        raise ConnectAuthError("invalid token signature or claims") from exc
    _check_qsh(claims, method, path_qs, allow_context=False)
    if claims.get("iss") != client_key:
        raise ConnectAuthError("token issuer does not match clientKey")
    return claims


def base_url_allowed(base_url: str) -> bool:
    """Is this tenant baseUrl's host on CONNECT_ALLOWED_HOSTS?"""
    host = (urlsplit(base_url).hostname or "").lower()
    return bool(host) and any(
        fnmatch.fnmatchcase(host, pattern.strip().lower())
        for pattern in settings.CONNECT_ALLOWED_HOSTS
        if pattern.strip()
    )


def header_token(request: HttpRequest) -> str:
    """The token of an `Authorization: JWT <token>` header, or ""."""
    value = request.headers.get("Authorization", "")
    scheme, _, token = value.partition(" ")
    return token.strip() if scheme == "JWT" else ""


def unauthorized(reason: str) -> JsonResponse:
    """The one 401 shape: a short JSON reason."""
    response = JsonResponse({"error": reason}, status=401)
    response["WWW-Authenticate"] = 'JWT realm="structure-cloud"'
    return response


def connect_page(
    view: Callable[Concatenate[HttpRequest, ConnectContext, P], HttpResponse],
) -> Callable[Concatenate[HttpRequest, P], HttpResponse]:
    """Iframe pages: verify the page JWT (`?jwt=`, real qsh) and pass the context on."""

    @functools.wraps(view)
    def wrapper(
        request: HttpRequest, *args: P.args, **kwargs: P.kwargs
    ) -> HttpResponse:
        token = request.GET.get("jwt", "")
        if not token:
            return unauthorized("missing token")
        try:
            context = tenant_token_verify(
                token, method=request.method or "GET", path_qs=request_path_qs(request)
            )
        except ConnectAuthError as exc:
            return unauthorized(exc.reason)
        request.connect = context  # type: ignore[attr-defined]  # read by FrameEmbeddingMiddleware
        return view(request, context, *args, **kwargs)

    return wrapper  # type: ignore[return-value]  # functools.wraps keeps the wrapped signature


class ConnectContextJWTAuthentication(BaseAuthentication):
    """DRF: `Authorization: JWT <context token>`; `context-qsh` or a real qsh."""

    def authenticate(
        self, request: Request
    ) -> tuple[ConnectUser, ConnectContext] | None:
        scheme, _, token = (
            get_authorization_header(request).decode("latin-1").partition(" ")
        )
        if scheme != "JWT":
            return None
        try:
            context = tenant_token_verify(
                token.strip(),
                method=request.method or "GET",
                path_qs=request_path_qs(request._request),
                allow_context_qsh=True,
            )
        except ConnectAuthError as exc:
            raise AuthenticationFailed(exc.reason) from exc
        return ConnectUser(context), context

    def authenticate_header(self, request: Request) -> str:
        return 'JWT realm="structure-cloud"'


def context_of(request: HttpRequest | Request) -> ConnectContext:
    """The ConnectContext of a page or API request that passed authentication."""
    auth = getattr(request, "auth", None)
    if isinstance(auth, ConnectContext):
        return auth
    context = getattr(request, "connect", None)
    if isinstance(context, ConnectContext):
        return context
    raise ConnectAuthError("request is not authenticated")
