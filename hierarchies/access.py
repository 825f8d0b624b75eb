"""Every Jira membership and browse-permission lookup of `hierarchies`, in one place.

Both go through `jira_sync`'s cached selectors, so they are answered by Jira (through
the per-user cache) and never by anything stored here. Nothing else in `hierarchies`
talks about groups, roles or browse rights.

When Jira can't answer (`jira_sync.client.JiraError`, e.g. `JiraUnavailable` or
`JiraRateLimited`) the error propagates: callers fail closed, never guessing a
membership or showing an issue whose browse permission was not checked. The API maps
these errors to a 503 (`structure_cloud.api_errors`).
"""

from collections.abc import Iterable

from jira_sync import selectors as jira_selectors
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
