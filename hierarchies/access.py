"""Every Jira membership and browse-permission lookup of `hierarchies`, in one place.

The bodies are temporary until jira_sync's cached selectors land (issue 4); then they
call ``jira_sync.selectors.user_memberships_get`` and
``jira_sync.selectors.issues_browsable_filter`` with the same arguments and return
types. Nothing else in `hierarchies` talks about groups, roles or browse rights.
"""

from collections.abc import Iterable
from dataclasses import dataclass, field

from jira_sync.models import Tenant


@dataclass(frozen=True)
class Memberships:
    """A viewer's groups (by name) and project roles as (projectId, roleId)."""

    groups: frozenset[str] = field(default_factory=frozenset)
    project_roles: frozenset[tuple[int, int]] = field(default_factory=frozenset)


def viewer_memberships(*, tenant: Tenant, account_id: str) -> Memberships:
    """The viewer's groups and project roles on this tenant's Jira site."""
    # TODO(issue 4): return jira_sync.selectors.user_memberships_get(
    #     tenant=tenant, account_id=account_id)
    # Until then nobody is in any group or role: only user and everyone rules (and
    # ownership) grant access, which errs on the side of showing less.
    return Memberships()


def viewer_browsable_issue_ids(
    *, tenant: Tenant, account_id: str, issue_ids: Iterable[int]
) -> set[int]:
    """The subset of `issue_ids` the viewer may browse in Jira."""
    # TODO(issue 4): return jira_sync.selectors.issues_browsable_filter(
    #     tenant=tenant, account_id=account_id, issue_ids=issue_ids)
    return set(issue_ids)
