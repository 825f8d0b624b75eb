"""Generator configurations: the shape each kind accepts, validated as plain data.

Only the shape is checked here (types, required keys, ranges). Whether a JQL query
parses or a link type exists is Jira's to say, when the engine (issue 7) runs it.
"""

import re
from collections.abc import Callable
from typing import Any

from hierarchies.forest import MAX_LEVELS

DEFAULT_LEVELS = 10
_FIELD_ID = re.compile(r"^[A-Za-z][A-Za-z0-9_.\-]{0,99}$")


class ConfigError(ValueError):
    """A configuration does not fit its kind; the message names the key."""


def _text(config: dict[str, Any], key: str, limit: int) -> str:
    value = config.get(key)
    if not isinstance(value, str) or not value.strip():
        raise ConfigError(f"'{key}' must be a non-empty string")
    if len(value) > limit:
        raise ConfigError(f"'{key}' must be at most {limit} characters")
    return value.strip()


def _positive_int(config: dict[str, Any], key: str) -> int:
    value = config.get(key)
    if isinstance(value, str) and value.isdigit():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise ConfigError(f"'{key}' must be a positive integer ID")
    return int(value)


def _levels(config: dict[str, Any]) -> int:
    value = config.get("levels", DEFAULT_LEVELS)
    if (
        isinstance(value, bool)
        or not isinstance(value, int)
        or not 1 <= value <= MAX_LEVELS
    ):
        raise ConfigError(f"'levels' must be an integer from 1 to {MAX_LEVELS}")
    return int(value)


def _choice(
    config: dict[str, Any], key: str, choices: tuple[str, ...], default: str
) -> str:
    value = config.get(key, default)
    if value not in choices:
        raise ConfigError(f"'{key}' must be one of {', '.join(choices)}")
    return str(value)


def _field_id(config: dict[str, Any]) -> str:
    value = config.get("fieldId")
    if not isinstance(value, str) or not _FIELD_ID.match(value):
        raise ConfigError(
            "'fieldId' must be a Jira field ID such as 'status' or 'customfield_10010'"
        )
    return value


def _bool(config: dict[str, Any], key: str) -> bool:
    value = config.get(key, False)
    if not isinstance(value, bool):
        raise ConfigError(f"'{key}' must be true or false")
    return value


_Validator = Callable[[dict[str, Any]], dict[str, Any]]

VALIDATORS: dict[str, tuple[frozenset[str], _Validator]] = {
    "insert.jql": (frozenset({"jql"}), lambda c: {"jql": _text(c, "jql", 10_000)}),
    "insert.text": (frozenset({"text"}), lambda c: {"text": _text(c, "text", 1_000)}),
    "insert.children": (
        frozenset({"issueId"}),
        lambda c: {"issueId": _positive_int(c, "issueId")},
    ),
    "extend.links": (
        frozenset({"linkTypeId", "direction", "levels"}),
        lambda c: {
            "linkTypeId": _positive_int(c, "linkTypeId"),
            "direction": _choice(c, "direction", ("outward", "inward"), "outward"),
            "levels": _levels(c),
        },
    ),
    "extend.subtasks": (frozenset({"levels"}), lambda c: {"levels": _levels(c)}),
    "extend.children": (frozenset({"levels"}), lambda c: {"levels": _levels(c)}),
    "filter.jql": (
        frozenset({"jql", "keepFolders"}),
        lambda c: {
            "jql": _text(c, "jql", 10_000),
            "keepFolders": _bool(c, "keepFolders"),
        },
    ),
    "filter.duplicates": (frozenset(), lambda c: {}),
    "group.field": (frozenset({"fieldId"}), lambda c: {"fieldId": _field_id(c)}),
    "sort.field": (
        frozenset({"fieldId", "direction"}),
        lambda c: {
            "fieldId": _field_id(c),
            "direction": _choice(c, "direction", ("asc", "desc"), "asc"),
        },
    ),
    "sort.rank": (
        frozenset({"direction"}),
        lambda c: {"direction": _choice(c, "direction", ("asc", "desc"), "asc")},
    ),
}


def generator_config_validate(*, kind: str, config: Any) -> dict[str, Any]:
    """The normalised configuration (defaults filled in), or `ConfigError`."""
    if kind not in VALIDATORS:
        raise ConfigError(
            f"unknown generator kind {kind!r}; expected one of {', '.join(VALIDATORS)}"
        )
    if not isinstance(config, dict):
        raise ConfigError("'config' must be an object")
    allowed, validate = VALIDATORS[kind]
    unknown = sorted(set(config) - allowed)
    if unknown:
        raise ConfigError(f"unknown key(s) for {kind}: {', '.join(unknown)}")
    return validate(config)
