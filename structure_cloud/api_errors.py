"""One JSON error shape for the API: {"error": "<short reason>", ...details}."""

from typing import Any

from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
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
