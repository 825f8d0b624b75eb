"""One JSON error shape for the API: {"error": "<short reason>", ...details}."""

from typing import Any

from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from jira_sync.client import JiraRateLimited, JiraUnavailable


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, JiraUnavailable | JiraRateLimited):
        # Jira is down or throttling us: a retryable 503, never a 500.
        return Response(
            {"error": "Jira is not answering right now; try again in a moment."},
            status=status.HTTP_503_SERVICE_UNAVAILABLE,
            headers={"Retry-After": "30"},
        )
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
