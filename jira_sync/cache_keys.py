"""Every key of the `jira` cache comes from a builder here.

Keys are versioned (`v1`: bump it when a payload shape changes) and namespaced by
tenant, so one tenant's entries are never served to another and a whole tenant can be
purged by prefix. Per-user data (groups, roles, browse permissions) lives only under
`...:user:{accountId}:...` keys.
"""

import hashlib

VERSION = "v1"


def tenant_prefix(client_key: str) -> str:
    """Prefix of every key of a tenant (used to purge its namespace)."""
    return f"jira:{VERSION}:{client_key}:"


def issue(client_key: str, issue_id: int) -> str:
    return f"{tenant_prefix(client_key)}issue:{int(issue_id)}"


def issue_compact(client_key: str, issue_id: int) -> str:
    """A caller's compact projection of an issue (`selectors.issues_projected_get`).

    Its own versioned kind: bump `c2` when the entry's envelope changes; the projection
    inside carries its caller's tag, so a caller's format change is a miss, not an error.
    """
    return f"{issue_compact_prefix(client_key)}{int(issue_id)}"


def issue_compact_prefix(client_key: str) -> str:
    """`issue_compact(client_key, i)` is this prefix + `str(i)` (for building many)."""
    return f"{tenant_prefix(client_key)}issue_compact:c2:"


def fields(client_key: str) -> str:
    return f"{tenant_prefix(client_key)}fields"


def link_types(client_key: str) -> str:
    return f"{tenant_prefix(client_key)}link_types"


def role_actors(client_key: str) -> str:
    """All projects' role actors of a tenant (who holds which project role)."""
    return f"{tenant_prefix(client_key)}role_actors"


def search_generation(client_key: str) -> str:
    """A counter bumped by issue webhooks: it invalidates every cached search at once."""
    return f"{tenant_prefix(client_key)}search_gen"


def search(client_key: str, jql: str, generation: int, limit: int | None) -> str:
    digest = hashlib.sha256(f"{limit}\n{jql}".encode()).hexdigest()[:32]
    return f"{tenant_prefix(client_key)}search:{int(generation)}:{digest}"


def active_users(client_key: str) -> str:
    """Sorted set: accountId -> last time their groups or permissions were read."""
    return f"{tenant_prefix(client_key)}active_users"


def user_prefix(client_key: str, account_id: str) -> str:
    return f"{tenant_prefix(client_key)}user:{account_id}:"


def user_groups(client_key: str, account_id: str) -> str:
    return f"{user_prefix(client_key, account_id)}groups"


def user_project_roles(client_key: str, account_id: str) -> str:
    return f"{user_prefix(client_key, account_id)}roles"


def user_browse(client_key: str, account_id: str, issue_id: int) -> str:
    return f"{user_prefix(client_key, account_id)}browse:{int(issue_id)}"


def user_browse_prefix(client_key: str, account_id: str) -> str:
    return f"{user_prefix(client_key, account_id)}browse:"


def lock(key: str) -> str:
    """The lock that collapses concurrent fetches of `key` into one."""
    return f"{key}:lock"
