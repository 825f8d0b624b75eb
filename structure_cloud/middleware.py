"""Iframe embedding: the one place that decides who may frame our pages.

Pages authenticated as a Jira tenant (the Connect page JWT sets ``request.connect``) may be
framed by that tenant's own site only: a CSP ``frame-ancestors`` naming its baseUrl and
displayUrl hosts, and no ``X-Frame-Options`` (which cannot name an origin). Every other
response (admin, errors before authentication, the API) may not be framed at all.
"""

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse


class FrameEmbeddingMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        context = getattr(request, "connect", None)
        if context is not None:
            origins = sorted({o for o in context.frame_origins() if o})
            ancestors = " ".join(["'self'", *origins])
            response["Content-Security-Policy"] = f"frame-ancestors {ancestors}"
            if "X-Frame-Options" in response:
                del response["X-Frame-Options"]
        else:
            response.setdefault("Content-Security-Policy", "frame-ancestors 'none'")
            response.setdefault("X-Frame-Options", "DENY")
        return response
