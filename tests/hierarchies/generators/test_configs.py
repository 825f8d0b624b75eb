"""Generator configuration shapes: defaults filled in, bad input named clearly."""

from typing import Any

import pytest

from hierarchies.generators.configs import GeneratorConfigError, generator_config_clean


@pytest.mark.parametrize(
    ("kind", "config", "expected"),
    [
        ("insert.jql", {"jql": " project = DEMO "}, {"jql": "project = DEMO"}),
        ("insert.text", {"text": "login"}, {"text": "login"}),
        ("insert.children", {"issueId": "10001"}, {"issueId": 10001}),
        (
            "extend.links",
            {"linkTypeId": 10000, "direction": "inward"},
            {"linkTypeId": 10000, "direction": "inward", "levels": 10},
        ),
        ("extend.subtasks", {}, {"levels": 10}),
        ("extend.children", {"levels": 3}, {"levels": 3}),
        (
            "filter.jql",
            {"jql": "status = Done"},
            {"jql": "status = Done", "keepFolders": False},
        ),
        ("filter.duplicates", {}, {}),
        (
            "group.field",
            {"fieldId": "customfield_10020"},
            {"fieldId": "customfield_10020"},
        ),
        (
            "sort.field",
            {"fieldId": "priority"},
            {"fieldId": "priority", "direction": "asc"},
        ),
        ("sort.rank", {}, {"direction": "asc"}),
    ],
)
def test_generator_config_clean_fills_defaults(
    kind: str, config: dict[str, Any], expected: dict[str, Any]
) -> None:
    assert generator_config_clean(kind=kind, config=config) == expected


@pytest.mark.parametrize(
    ("kind", "config", "message"),
    [
        ("insert.everything", {}, "Unknown generator kind 'insert.everything'"),
        ("insert.jql", [], "'config' must be a JSON object"),
        ("insert.jql", {"jql": ""}, "'jql' must be a non-empty string"),
        ("insert.jql", {"jql": "x" * 5001}, "longer than 5000"),
        (
            "insert.jql",
            {"jql": "a", "limit": 3},
            "Unknown option(s) for insert.jql: limit",
        ),
        ("insert.children", {"issueId": -1}, "'issueId' must be a positive numeric ID"),
        (
            "extend.links",
            {"linkTypeId": 1, "direction": "up"},
            "'direction' must be one of",
        ),
        ("extend.links", {"direction": "outward"}, "'linkTypeId' must be a positive"),
        ("extend.subtasks", {"levels": 0}, "'levels' must be between 1 and 50"),
        ("extend.subtasks", {"levels": True}, "'levels' must be a whole number"),
        (
            "filter.jql",
            {"jql": "a", "keepFolders": "yes"},
            "'keepFolders' must be true",
        ),
        (
            "group.field",
            {"fieldId": "Status; DROP"},
            "'fieldId' must be a Jira field ID",
        ),
        (
            "sort.field",
            {"fieldId": "priority", "direction": "up"},
            "'direction' must be",
        ),
    ],
)
def test_generator_config_clean_rejects_bad_input(
    kind: str, config: Any, message: str
) -> None:
    with pytest.raises(GeneratorConfigError) as exc:
        generator_config_clean(kind=kind, config=config)
    assert message in str(exc.value)
