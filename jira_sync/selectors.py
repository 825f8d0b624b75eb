"""Cached reads of Jira data: the only way other apps get issues, users and metadata.

Everything here comes from Jira through `JiraClient` and is kept in the `jira` cache
for the expiry of `settings.JIRA_CACHE_TTLS`, never in the database. Reads are batched
(one Redis round trip per batch, only misses go to Jira) and per-user results (groups,
project roles, browse permissions) are cached only under that user's keys. Nothing is
read from or written to the cache for a tenant that is not active. Failures raise the
`jira_sync.client.JiraError` family; callers show a banner, never a 500.
"""

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from django.conf import settings

from jira_sync import cache_keys, cache_store
from jira_sync.client import JiraClient, RetryPolicy
from jira_sync.models import Tenant
from jira_sync.types import (
    JiraField,
    JiraGroup,
    JiraIssue,
    JiraLinkType,
    JiraRoleActors,
    JiraUser,
    UserMemberships,
)


def _ttl(kind: str) -> int:
    return int(settings.JIRA_CACHE_TTLS[kind])


def jira_client_for(tenant: Tenant) -> JiraClient:
    """The REST client of a tenant, with the retry policy of the settings."""
    return JiraClient(
        base_url=tenant.base_url,
        client_key=tenant.client_key,
        shared_secret=tenant.shared_secret,
        app_key=settings.APP_KEY,
        retry=RetryPolicy(
            max_retries=settings.JIRA_HTTP_MAX_RETRIES,
            base_delay_s=settings.JIRA_HTTP_BACKOFF_BASE_S,
            max_delay_s=settings.JIRA_HTTP_BACKOFF_CAP_S,
            budget_s=settings.JIRA_HTTP_BUDGET_S,
            timeout_s=(
                settings.JIRA_HTTP_CONNECT_TIMEOUT_S,
                settings.JIRA_HTTP_READ_TIMEOUT_S,
            ),
        ),
    )


def _ids(issue_ids: Iterable[int]) -> list[int]:
    return list(dict.fromkeys(map(int, issue_ids)))


# ---- issues --------------------------------------------------------------------------


def issue_ttl(fields: Iterable[str]) -> int:
    """Expiry of an issue entry: links expire on their own clock when included."""
    ttl = _ttl("issue")
    return min(ttl, _ttl("links")) if "issuelinks" in set(fields) else ttl


def issues_get(
    *, tenant: Tenant, issue_ids: Iterable[int], fields: Sequence[str]
) -> dict[int, JiraIssue]:
    """Issue data for `issue_ids` with at least `fields`, read with the app's rights.

    Only misses (absent, expired, or cached without some of `fields`) are fetched, in
    bulk batches of 100. Issues Jira does not return (deleted) are left out. This does
    not check the viewer's permissions: filter with `issues_browsable_filter`.
    """
    ids = _ids(issue_ids)
    wanted = frozenset(fields)
    client_key = tenant.client_key
    if not ids:
        return {}
    if not tenant.is_active:
        issues = jira_client_for(tenant).bulk_fetch(ids, fields=sorted(wanted))
        return {i.id: i for i in issues}
    key_of = {cache_keys.issue(client_key, i): i for i in ids}

    def covers(value: Any) -> bool:
        return wanted <= set(value["fetched"])

    cached = cache_store.get_many(list(key_of))
    found = {k: v for k, v in cached.items() if covers(v)}
    missing = [k for k in key_of if k not in found]
    if missing:
        # Entries cached with fewer fields are refetched with the union, so callers
        # asking for different fields converge on one entry instead of evicting each
        # other's.
        fetch_fields = set(wanted)
        for value in cached.values():
            fetch_fields |= set(value["fetched"])

        def fetch(keys: list[str]) -> Mapping[str, Any]:
            issues = jira_client_for(tenant).bulk_fetch(
                [key_of[k] for k in keys], fields=sorted(fetch_fields)
            )
            return {cache_keys.issue(client_key, i.id): i.to_cache() for i in issues}

        found.update(
            cache_store.fill_misses(
                missing, fetch=fetch, ttl=issue_ttl(fetch_fields), usable=covers
            )
        )
    return {key_of[k]: JiraIssue.from_cache(found[k]) for k in key_of if k in found}


def issues_projected_get(
    *,
    tenant: Tenant,
    issue_ids: Iterable[int],
    fields: Sequence[str],
    projection: str,
    project: Callable[[JiraIssue, Sequence[str]], Any],
) -> dict[int, Any]:
    """`project(issue, fields)` of each issue, cached beside the issue entries.

    For callers that read the same few fields of many issues over and over (the
    generators): a projection holds only what they use, as plain tuples of IDs and
    field values, so reading 30,000 back costs a fraction of the full JSON. Entries are
    tagged with `projection` (the caller's format name, without "|": change it when
    the format changes) and the fields they cover; they expire like the issue entries
    (`issue_ttl`) and are evicted with them by webhooks. Misses are built from
    `issues_get` (cache first, then Jira in bulk). Issues Jira does not return are left
    out. Like `issues_get`, this uses the app's rights, not the viewer's.
    """
    ids = _ids(issue_ids)
    if not ids:
        return {}
    wanted = tuple(sorted(set(fields)))
    if not tenant.is_active:
        issues = issues_get(tenant=tenant, issue_ids=ids, fields=wanted)
        return {i: project(issue, wanted) for i, issue in issues.items()}
    # An entry is (tag, data): the tag "projection|field,field,..." names the format
    # and the fields covered in one short string, cheap to store and to compare.
    prefix = f"{projection}|"
    tag = prefix + ",".join(wanted)
    client_key = tenant.client_key
    key_prefix = cache_keys.issue_compact_prefix(client_key)
    cached = cache_store.get_list([f"{key_prefix}{i}" for i in ids])
    out: dict[int, Any] = {}
    missing: list[int] = []
    covered: set[str] = set(wanted)
    usable: dict[str, bool] = {tag: True}
    for issue_id, entry in zip(ids, cached, strict=True):
        if entry is not None:
            entry_tag = entry[0]
            ok = usable.get(entry_tag)
            if ok is None:
                ok = usable[entry_tag] = entry_tag.startswith(prefix) and set(
                    wanted
                ) <= set(entry_tag[len(prefix) :].split(","))
            if ok:
                out[issue_id] = entry[1]
                continue
            if entry_tag.startswith(prefix):
                # Keep what the entry covered: callers asking for different fields
                # converge on one entry instead of evicting each other's.
                covered.update(entry_tag[len(prefix) :].split(","))
        missing.append(issue_id)
    if missing:
        union = tuple(sorted(covered - {""}))
        issues = issues_get(tenant=tenant, issue_ids=missing, fields=union)
        fresh = {i: project(issue, union) for i, issue in issues.items()}
        union_tag = prefix + ",".join(union)
        cache_store.set_many(
            {
                cache_keys.issue_compact(client_key, i): (union_tag, data)
                for i, data in fresh.items()
            },
            issue_ttl(union),
        )
        out.update(fresh)
    return out


def issue_ids_search(
    *, tenant: Tenant, jql: str, limit: int | None = None
) -> list[int]:
    """IDs of the issues matching `jql` (app's rights), in JQL order; cached briefly.

    Raises `JiraBadRequest` with Jira's messages when the JQL is invalid.
    """
    client_key = tenant.client_key
    if not tenant.is_active:
        return jira_client_for(tenant).search_jql_ids(jql, limit=limit)
    generation = cache_store.get_many([cache_keys.search_generation(client_key)])
    key = cache_keys.search(
        client_key,
        jql,
        int(generation.get(cache_keys.search_generation(client_key), 0)),
        limit,
    )

    def fetch(keys: list[str]) -> Mapping[str, Any]:
        return {key: jira_client_for(tenant).search_jql_ids(jql, limit=limit)}

    found = cache_store.get_or_fill([key], fetch=fetch, ttl=_ttl("search"))
    return [int(i) for i in found[key]]


def search_generation_get(*, tenant: Tenant) -> int:
    """The tenant's search generation: bumped by issue webhooks (eviction), so results
    computed from Jira data (cached searches, generated forests) can key on it."""
    key = cache_keys.search_generation(tenant.client_key)
    return int(cache_store.get_many([key]).get(key, 0))


# ---- metadata ------------------------------------------------------------------------


def fields_get(*, tenant: Tenant) -> list[JiraField]:
    """Every field of the site (system and custom), cached for hours."""
    if not tenant.is_active:
        return jira_client_for(tenant).fields()
    key = cache_keys.fields(tenant.client_key)

    def fetch(keys: list[str]) -> Mapping[str, Any]:
        return {key: [f.to_cache() for f in jira_client_for(tenant).fields()]}

    found = cache_store.get_or_fill([key], fetch=fetch, ttl=_ttl("fields"))
    return [JiraField.from_json(f) for f in found[key]]


def link_types_get(*, tenant: Tenant) -> list[JiraLinkType]:
    """Every issue link type of the site, cached for hours."""
    if not tenant.is_active:
        return jira_client_for(tenant).link_types()
    key = cache_keys.link_types(tenant.client_key)

    def fetch(keys: list[str]) -> Mapping[str, Any]:
        return {key: [t.to_cache() for t in jira_client_for(tenant).link_types()]}

    found = cache_store.get_or_fill([key], fetch=fetch, ttl=_ttl("link_types"))
    return [JiraLinkType.from_json(t) for t in found[key]]


# ---- users: groups, project roles, browse permissions --------------------------------


def role_actors_fetch(tenant: Tenant) -> list[JiraRoleActors]:
    """Who holds which role in every project, straight from Jira (uncached)."""
    client = jira_client_for(tenant)
    actors: list[JiraRoleActors] = []
    for project in client.projects_browsable():
        actors += client.project_roles(project.id, project.key)
    return actors


def role_actors_get(tenant: Tenant) -> list[JiraRoleActors]:
    """Role actors of every project of the tenant, cached for the project_roles TTL."""
    if not tenant.is_active:
        return role_actors_fetch(tenant)
    key = cache_keys.role_actors(tenant.client_key)

    def fetch(keys: list[str]) -> Mapping[str, Any]:
        return {key: [a.to_cache() for a in role_actors_fetch(tenant)]}

    found = cache_store.get_or_fill([key], fetch=fetch, ttl=_ttl("project_roles"))
    return [JiraRoleActors.from_cache(a) for a in found[key]]


def sharing_candidates_find(
    *, tenant: Tenant, query: str, limit: int = 8
) -> tuple[list[JiraUser], list[JiraGroup]]:
    """People and groups matching `query`, for a sharing dialog.

    Asked live, never cached: typed prefixes rarely repeat, and nothing is kept.
    """
    client = jira_client_for(tenant)
    return client.users_search(query, limit=limit), client.groups_search(
        query, limit=limit
    )


def user_names_get(*, tenant: Tenant, account_ids: Iterable[str]) -> dict[str, str]:
    """Display names by accountId (asked live: only a sharing dialog needs them)."""
    ids = sorted(set(account_ids))
    if not ids:
        return {}
    return {
        u.account_id: u.display_name for u in jira_client_for(tenant).users_get(ids)
    }


def groups_fetch(tenant: Tenant, account_id: str) -> list[list[str]]:
    """A user's groups as [name, groupId] pairs, straight from Jira (uncached)."""
    groups = jira_client_for(tenant).user_groups(account_id)
    return sorted([g.name, g.group_id] for g in groups)


def project_roles_of(
    account_id: str, groups: Sequence[Sequence[str]], actors: Iterable[JiraRoleActors]
) -> list[list[int]]:
    """(projectId, roleId) pairs held by the user directly or through a group."""
    names = {g[0] for g in groups}
    ids = {g[1] for g in groups if g[1]}
    return sorted(
        [a.project_id, a.role_id]
        for a in actors
        if account_id in a.account_ids or names & a.group_names or ids & a.group_ids
    )


def user_memberships_get(*, tenant: Tenant, account_id: str) -> UserMemberships:
    """A user's group names and (projectId, roleId) project roles, cached per user."""
    client_key = tenant.client_key
    if not tenant.is_active:
        groups = groups_fetch(tenant, account_id)
        roles = project_roles_of(account_id, groups, role_actors_fetch(tenant))
    else:
        cache_store.active_user_touch(client_key, account_id)
        groups_key = cache_keys.user_groups(client_key, account_id)
        roles_key = cache_keys.user_project_roles(client_key, account_id)
        cached = cache_store.get_many([groups_key, roles_key])
        if groups_key in cached:
            groups = cached[groups_key]
        else:
            groups = cache_store.fill_misses(
                [groups_key],
                fetch=lambda keys: {groups_key: groups_fetch(tenant, account_id)},
                ttl=_ttl("groups"),
            )[groups_key]
        if roles_key in cached:
            roles = cached[roles_key]
        else:
            roles = cache_store.fill_misses(
                [roles_key],
                fetch=lambda keys: {
                    roles_key: project_roles_of(
                        account_id, groups, role_actors_get(tenant)
                    )
                },
                ttl=_ttl("project_roles"),
            )[roles_key]
    return UserMemberships(
        groups=frozenset(g[0] for g in groups),
        project_roles=frozenset((int(p), int(r)) for p, r in roles),
    )


def issues_browsable_filter(
    *, tenant: Tenant, account_id: str, issue_ids: Iterable[int]
) -> set[int]:
    """The subset of `issue_ids` that `account_id` may browse, as Jira decides.

    One permission check per 1000 uncached IDs; each answer is cached per user and
    issue for the browse_permissions TTL.
    """
    ids = _ids(issue_ids)
    if not ids:
        return set()
    client_key = tenant.client_key
    if not tenant.is_active:
        return jira_client_for(tenant).permissions_check(
            account_id=account_id, issue_ids=ids
        )
    cache_store.active_user_touch(client_key, account_id)
    key_of = {cache_keys.user_browse(client_key, account_id, i): i for i in ids}

    def fetch(keys: list[str]) -> Mapping[str, Any]:
        asked = [key_of[k] for k in keys]
        granted = jira_client_for(tenant).permissions_check(
            account_id=account_id, issue_ids=asked
        )
        return {k: int(key_of[k] in granted) for k in keys}

    found = cache_store.get_or_fill(
        list(key_of), fetch=fetch, ttl=_ttl("browse_permissions")
    )
    return {key_of[k] for k, allowed in found.items() if allowed}
