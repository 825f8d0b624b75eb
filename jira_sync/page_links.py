"""Links between the app's own iframe pages.

A page inside the Jira iframe is authenticated by a page JWT whose qsh names the very
URL. Links from one page of the app to another (the structure list to a board) need a
token for the target URL; like atlassian-connect-express, the app signs it itself with
the tenant's shared secret, for the same viewer and with a short expiry, so the target
page is verified by `connect_page` exactly like a page Jira opened.
"""

import time
from urllib.parse import urlencode, urlsplit

import jwt
from atlassian_jwt.url_utils import hash_url
from django.conf import settings

from jira_sync.authentication import ConnectContext

PAGE_LINK_TTL_S = 15 * 60


def page_link_build(
    *,
    context: ConnectContext,
    path: str,
    query: dict[str, str] | None = None,
    expires_in_s: int = PAGE_LINK_TTL_S,
) -> str:
    """A same-origin URL (path and query) of an app page, carrying a page JWT for the viewer."""
    path_qs = path + (f"?{urlencode(query)}" if query else "")
    now = int(time.time())
    claims = {
        "iss": context.tenant.client_key,
        "sub": context.account_id,
        "iat": now,
        "exp": now + expires_in_s,
        "qsh": hash_url("GET", path_qs),
    }
    token = jwt.encode(claims, context.tenant.shared_secret, algorithm="HS256")
    separator = "&" if query else "?"
    # Same-origin link: keep the path prefix of APP_BASE_URL, not its origin.
    prefix = urlsplit(settings.APP_BASE_URL).path.rstrip("/")
    return f"{prefix}{path_qs}{separator}{urlencode({'jwt': token})}"
