"""Shape validation of generator configurations, per kind (pure, no Jira calls).

`generator_config_clean` returns the normalised configuration (defaults filled in) or
raises `GeneratorConfigError` with a message a user can act on. Checks that need Jira
(does the JQL parse, does the link type or field exist) live in `validation.py`.
"""

from __future__ import annotations

import re
from typing import Any

from hierarchies.generators.types import (
    DEFAULT_EXTEND_LEVELS,
    GENERATOR_KINDS,
    MAX_LEVELS,
)

MAX_QUERY_LENGTH = 5000
FIELD_ID_RE = re.compile(r"^(?:[a-z][a-zA-Z]{1,40}|customfield_\d{1,10})$")


class GeneratorConfigError(ValueError):
    """A generator configuration a user must fix; `str()` is the message."""


_KEYS: dict[str, frozenset[str]] = {
    "insert.jql": frozenset({"jql"}),
    "insert.text": frozenset({"text"}),
    "insert.children": frozenset({"issueId"}),
    "extend.links": frozenset({"linkTypeId", "direction", "levels"}),
    "extend.subtasks": frozenset({"levels"}),
    "extend.children": frozenset({"levels"}),
    "filter.jql": frozenset({"jql", "keepFolders"}),
    "filter.duplicates": frozenset(),
    "group.field": frozenset({"fieldId"}),
    "sort.field": frozenset({"fieldId", "direction"}),
    "sort.rank": frozenset({"direction"}),
}


def _text(config: dict[str, Any], key: str) -> str:
    value = config.get(key)
    if not isinstance(value, str) or not value.strip():
        raise GeneratorConfigError(f"'{key}' must be a non-empty string.")
    if len(value) > MAX_QUERY_LENGTH:
        raise GeneratorConfigError(
            f"'{key}' is longer than {MAX_QUERY_LENGTH} characters."
        )
    return value.strip()


def _positive_id(config: dict[str, Any], key: str) -> int:
    value = config.get(key)
    if isinstance(value, str) and value.isdigit():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise GeneratorConfigError(f"'{key}' must be a positive numeric ID.")
    return int(value)


def _levels(config: dict[str, Any]) -> int:
    value = config.get("levels", DEFAULT_EXTEND_LEVELS)
    if value is None:
        return DEFAULT_EXTEND_LEVELS
    if isinstance(value, bool) or not isinstance(value, int):
        raise GeneratorConfigError("'levels' must be a whole number.")
    if not 1 <= value <= MAX_LEVELS:
        raise GeneratorConfigError(f"'levels' must be between 1 and {MAX_LEVELS}.")
    return int(value)


def _choice(config: dict[str, Any], key: str, choices: tuple[str, ...]) -> str:
    value = config.get(key, choices[0])
    if value not in choices:
        shown = '", "'.join(choices)
        raise GeneratorConfigError(f"'{key}' must be one of \"{shown}\".")
    return str(value)


def _field_id(config: dict[str, Any]) -> str:
    value = config.get("fieldId")
    if not isinstance(value, str) or not FIELD_ID_RE.match(value):
        raise GeneratorConfigError(
            "'fieldId' must be a Jira field ID such as \"status\" or "
            '"customfield_10016".'
        )
    return value


def generator_config_clean(*, kind: str, config: Any) -> dict[str, Any]:
    """The normalised configuration of a generator of `kind`, or GeneratorConfigError."""
    if kind not in GENERATOR_KINDS:
        raise GeneratorConfigError(
            f"Unknown generator kind '{kind}'. Kinds: {', '.join(GENERATOR_KINDS)}."
        )
    if not isinstance(config, dict):
        raise GeneratorConfigError("'config' must be a JSON object.")
    unknown = sorted(set(config) - _KEYS[kind])
    if unknown:
        raise GeneratorConfigError(
            f"Unknown option(s) for {kind}: {', '.join(unknown)}."
        )
    if kind == "insert.jql":
        return {"jql": _text(config, "jql")}
    if kind == "insert.text":
        return {"text": _text(config, "text")}
    if kind == "insert.children":
        return {"issueId": _positive_id(config, "issueId")}
    if kind == "extend.links":
        return {
            "linkTypeId": _positive_id(config, "linkTypeId"),
            "direction": _choice(config, "direction", ("outward", "inward")),
            "levels": _levels(config),
        }
    if kind in ("extend.subtasks", "extend.children"):
        return {"levels": _levels(config)}
    if kind == "filter.jql":
        keep = config.get("keepFolders", False)
        if not isinstance(keep, bool):
            raise GeneratorConfigError("'keepFolders' must be true or false.")
        return {"jql": _text(config, "jql"), "keepFolders": keep}
    if kind == "filter.duplicates":
        return {}
    if kind == "group.field":
        return {"fieldId": _field_id(config)}
    if kind == "sort.field":
        return {
            "fieldId": _field_id(config),
            "direction": _choice(config, "direction", ("asc", "desc")),
        }
    # sort.rank
    return {"direction": _choice(config, "direction", ("asc", "desc"))}
