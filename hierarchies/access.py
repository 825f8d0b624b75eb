"""Every Jira membership and browse-permission lookup of `hierarchies`, in one place.

Both go through `jira_sync`'s cached selectors, so they are answered by Jira (through
the per-user cache) and never by anything stored here. Nothing else in `hierarchies`
talks about groups, roles or browse rights.

When Jira can't answer (`jira_sync.client.JiraError`, e.g. `JiraUnavailable` or
`JiraRateLimited`) the error propagates: callers fail closed, never guessing a
membership or showing an issue whose browse permission was not checked. The API maps
these errors to a 503 (`structure_cloud.api_errors`).
"""

import hashlib
from array import array
from collections.abc import Collection, Iterable

from django.conf import settings

from jira_sync import cache_keys, cache_store
from jira_sync import selectors as jira_selectors
from jira_sync.client import JiraError
from jira_sync.models import Tenant
from jira_sync.types import UserMemberships

# One type for a viewer's groups and (projectId, roleId) project roles: jira_sync's.
Memberships = UserMemberships

NO_MEMBERSHIPS = Memberships(groups=frozenset(), project_roles=frozenset())


def viewer_memberships(*, tenant: Tenant, account_id: str) -> Memberships:
    """The viewer's groups and project roles on this tenant's Jira site (cached)."""
    if not account_id:
        # An anonymous viewer is in no group and holds no role.
        return NO_MEMBERSHIPS
    return jira_selectors.user_memberships_get(tenant=tenant, account_id=account_id)


def viewer_browsable_issue_ids(
    *, tenant: Tenant, account_id: str, issue_ids: Iterable[int]
) -> set[int]:
    """The subset of `issue_ids` the viewer may browse in Jira (cached per viewer)."""
    if not account_id:
        return set()
    return jira_selectors.issues_browsable_filter(
        tenant=tenant, account_id=account_id, issue_ids=issue_ids
    )


_DENIED_VERSION = "d1"


def _denied_key(
    *, tenant: Tenant, account_id: str, issue_ids: Collection[int]
) -> str | None:
    """The per-viewer key of "which of these issues may they not browse", or None
    when no such answer may be cached (inactive tenant, anonymous viewer).

    It lives under the viewer's own key prefix and digests everything the answer
    depends on that can change without its own expiry: the issue set, the viewer's
    groups and project roles (refreshed by jira_sync), and the tenant's search
    generation, which every issue webhook bumps (security level or project changes,
    deletions), so such a change is seen on the next request."""
    if not account_id or not tenant.is_active:
        return None
    try:
        memberships = viewer_memberships(tenant=tenant, account_id=account_id)
    except JiraError:
        # No cached answer without the memberships; the browse check decides alone.
        return None
    digest = hashlib.blake2b(digest_size=16)
    digest.update(array("q", sorted(issue_ids)).tobytes())
    digest.update(repr(sorted(memberships.groups)).encode())
    digest.update(repr(sorted(memberships.project_roles)).encode())
    generation = jira_selectors.search_generation_get(tenant=tenant)
    return (
        f"{cache_keys.user_prefix(tenant.client_key, account_id)}"
        f"hierarchies_denied:{_DENIED_VERSION}:{generation}:{digest.hexdigest()}"
    )


def viewer_denied_issue_ids(
    *, tenant: Tenant, account_id: str, issue_ids: Collection[int]
) -> set[int]:
    """The subset of `issue_ids` the viewer may NOT browse in Jira.

    The same answer as `viewer_browsable_issue_ids`, but for a large issue set (a
    whole structure) it is kept for a short while under the viewer's own key
    (`JIRA_CACHE_TTLS["viewer_denied"]`, well under the browse permissions' own
    expiry), so a board of 100,000 issues reads one entry instead of 100,000."""
    if not issue_ids:
        return set()
    key = _denied_key(tenant=tenant, account_id=account_id, issue_ids=issue_ids)
    if key is not None:
        cached = cache_store.get_many([key]).get(key)
        if cached is not None:
            found = array("q")
            found.frombytes(cached)
            return set(found)
    browsable = viewer_browsable_issue_ids(
        tenant=tenant, account_id=account_id, issue_ids=issue_ids
    )
    denied = set(issue_ids) - browsable
    if key is not None:
        ttl = int(settings.JIRA_CACHE_TTLS.get("viewer_denied", 60))
        cache_store.set_many({key: array("q", sorted(denied)).tobytes()}, ttl)
    return denied
