"""One JSON error shape for the API: {"error": "<short reason>", ...details}.

Jira failures that reach a view (membership or browse-permission lookups, issue data)
become a 503 with `Retry-After`, never a 500: the request is refused as a whole, so
nothing whose permission could not be checked is shown (fail closed).
"""

import logging
import math
from typing import Any

from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from jira_sync.client import JiraError, JiraTransientError

logger = logging.getLogger(__name__)

JIRA_UNAVAILABLE_MESSAGE = "Jira is unavailable, try again shortly"
# Seconds the client is told to wait when Jira named no Retry-After of its own; Jira's
# own value is passed on (at least one second, at most five minutes).
JIRA_RETRY_AFTER_DEFAULT_S = 30
JIRA_RETRY_AFTER_MAX_S = 300


def jira_error_response(exc: JiraError) -> Response:
    """503 `{"error": ...}` with `Retry-After` for a Jira failure."""
    retry_after = JIRA_RETRY_AFTER_DEFAULT_S
    if isinstance(exc, JiraTransientError):
        if exc.retry_after_s is not None:
            retry_after = min(
                JIRA_RETRY_AFTER_MAX_S, max(1, math.ceil(exc.retry_after_s))
            )
        logger.info("Jira unavailable: %s: %s", type(exc).__name__, exc)
    else:
        # Not transient (a host off the allow-list, credentials Jira rejects): not the
        # viewer's fault and still nothing to show, but an operator should look.
        logger.warning("Jira lookup failed: %s: %s", type(exc).__name__, exc)
    response = Response(
        {"error": JIRA_UNAVAILABLE_MESSAGE},
        status=status.HTTP_503_SERVICE_UNAVAILABLE,
    )
    response["Retry-After"] = str(retry_after)
    return response


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, JiraError):
        return jira_error_response(exc)
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    data = response.data
    if isinstance(data, dict) and "detail" in data and len(data) == 1:
        response.data = {"error": str(data["detail"])}
    elif isinstance(data, dict) and "error" not in data:
        response.data = {"error": "Invalid input.", "fields": data}
    elif isinstance(data, list):
        response.data = {"error": " ".join(str(d) for d in data)}
    return response
