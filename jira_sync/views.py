"""Connect endpoints: the descriptor and the lifecycle callbacks."""

import json
import logging
from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from jira_sync import services
from jira_sync.authentication import (
    ConnectAuthError,
    base_url_allowed,
    header_token,
    install_token_verify,
    request_path_qs,
    tenant_token_verify,
    unauthorized,
)
from jira_sync.descriptor import descriptor_build

logger = logging.getLogger(__name__)


@require_GET
def descriptor(request: HttpRequest) -> JsonResponse:
    return JsonResponse(descriptor_build())


def _json_body(request: HttpRequest) -> dict[str, Any] | None:
    try:
        body = json.loads(request.body or b"null")
    except (ValueError, UnicodeDecodeError):
        return None
    return body if isinstance(body, dict) else None


def _bad_request(reason: str) -> JsonResponse:
    return JsonResponse({"error": reason}, status=400)


def _actor(claims: dict[str, Any]) -> str:
    sub = claims.get("sub")
    return f"jira:{sub}" if isinstance(sub, str) and sub else "jira"


@csrf_exempt
@require_POST
def installed(request: HttpRequest) -> HttpResponse:
    body = _json_body(request)
    if body is None:
        return _bad_request("body must be a JSON object")
    try:
        payload = services.InstallPayload.parse(body)
        claims = install_token_verify(
            header_token(request),
            method="POST",
            path_qs=request_path_qs(request),
            client_key=payload.client_key,
        )
    except services.InstallPayloadError as exc:
        return _bad_request(str(exc))
    except ConnectAuthError as exc:
        logger.warning("refused install for %s: %s", body.get("clientKey"), exc.reason)
        return unauthorized(exc.reason)
    if not base_url_allowed(payload.base_url):
        logger.warning("refused install from host of %s", payload.base_url)
        return unauthorized("site host is not allowed")
    services.tenant_install(payload=payload, actor=_actor(claims))
    return HttpResponse(status=204)


@csrf_exempt
@require_POST
def uninstalled(request: HttpRequest) -> HttpResponse:
    body = _json_body(request)
    if body is None or not isinstance(body.get("clientKey"), str):
        return _bad_request("body must be a JSON object with clientKey")
    try:
        claims = install_token_verify(
            header_token(request),
            method="POST",
            path_qs=request_path_qs(request),
            client_key=body["clientKey"],
        )
    except ConnectAuthError as exc:
        return unauthorized(exc.reason)
    services.tenant_uninstall(client_key=body["clientKey"], actor=_actor(claims))
    return HttpResponse(status=204)


def _lifecycle_toggle(request: HttpRequest, *, enabled: bool) -> HttpResponse:
    try:
        context = tenant_token_verify(
            header_token(request),
            method="POST",
            path_qs=request_path_qs(request),
            require_active=False,
        )
    except ConnectAuthError as exc:
        return unauthorized(exc.reason)
    services.tenant_set_enabled(tenant=context.tenant, enabled=enabled, actor="jira")
    return HttpResponse(status=204)


@csrf_exempt
@require_POST
def enabled(request: HttpRequest) -> HttpResponse:
    return _lifecycle_toggle(request, enabled=True)


@csrf_exempt
@require_POST
def disabled(request: HttpRequest) -> HttpResponse:
    return _lifecycle_toggle(request, enabled=False)


@csrf_exempt
@require_POST
def webhook(request: HttpRequest, event: str) -> HttpResponse:
    """Jira webhooks (`/connect/webhooks/<event>`, `:` in the event spelled `_`)."""
    try:
        context = tenant_token_verify(
            header_token(request),
            method="POST",
            path_qs=request_path_qs(request),
            require_active=False,
        )
    except ConnectAuthError as exc:
        logger.warning("refused webhook %s: %s", event, exc.reason)
        return unauthorized(exc.reason)
    body = _json_body(request)
    if body is None:
        return _bad_request("body must be a JSON object")
    # The path's event is covered by the qsh; the body (never hashed) is not.
    jira_event = _event_name(event)
    try:
        handled = services.webhook_event_apply(
            tenant=context.tenant, event=jira_event, payload=body
        )
    except services.WebhookPayloadError as exc:
        return _bad_request(str(exc))
    if not handled:
        logger.info("ignored webhook %s for %s", jira_event, context.tenant.client_key)
    return HttpResponse(status=204)


def _event_name(path_event: str) -> str:
    """`jira_issue_updated` -> `jira:issue_updated` (the descriptor's URL spelling)."""
    return "jira:" + path_event[5:] if path_event.startswith("jira_") else path_event
