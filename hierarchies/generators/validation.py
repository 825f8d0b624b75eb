"""Checks of a generator configuration that only Jira can answer.

The shape is checked by `hierarchies.generator_configs.generator_config_validate`; this
asks Jira (with the app's rights, through jira_sync's cached selectors) whether the JQL
parses, and whether the link type, field or issue it names exists. Messages are Jira's
own for JQL, and name the bad value otherwise.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from hierarchies.generator_configs import ConfigError
from jira_sync import selectors as jira
from jira_sync.client import JiraBadRequest
from jira_sync.models import Tenant

# Fields every site has that group/sort accept even when Jira's field list omits them.
SYSTEM_FIELDS = frozenset({"status", "assignee", "priority", "project", "issuetype"})


def generator_config_check_jira(
    *, tenant: Tenant, kind: str, config: Mapping[str, Any]
) -> None:
    """Raise `ConfigError` with Jira's or a clear message if Jira would refuse it."""
    jql = config.get("jql")
    if isinstance(jql, str):
        try:
            jira.issue_ids_search(tenant=tenant, jql=jql, limit=1)
        except JiraBadRequest as exc:
            raise ConfigError("; ".join(exc.messages) or str(exc)) from exc
    if kind == "extend.links":
        type_id = int(config["linkTypeId"])
        known = {t.id: t.name for t in jira.link_types_get(tenant=tenant)}
        if type_id not in known:
            names = ", ".join(f"{i} ({n})" for i, n in sorted(known.items()))
            raise ConfigError(
                f"Unknown link type {type_id}. Link types of this site: {names}."
            )
    if kind in ("group.field", "sort.field"):
        field_id = str(config["fieldId"])
        fields = {f.id for f in jira.fields_get(tenant=tenant)}
        if field_id not in fields and field_id not in SYSTEM_FIELDS:
            raise ConfigError(f"Unknown field '{field_id}' on this Jira site.")
    if kind == "insert.children":
        issue_id = int(config["issueId"])
        if not jira.issues_get(tenant=tenant, issue_ids=[issue_id], fields=["parent"]):
            raise ConfigError(
                f"Issue {issue_id} does not exist or the app cannot see it."
            )
