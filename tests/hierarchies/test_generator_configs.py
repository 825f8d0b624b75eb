"""Generator configurations: each kind's shape, with clear messages for bad ones."""

import pytest

from hierarchies.generator_configs import ConfigError, generator_config_validate


@pytest.mark.parametrize(
    ("kind", "config", "message"),
    [
        ("insert.jql", {}, "'jql' must be a non-empty string"),
        ("insert.jql", {"jql": "  "}, "'jql' must be a non-empty string"),
        ("insert.children", {"issueId": -1}, "'issueId' must be a positive integer"),
        (
            "extend.links",
            {"linkTypeId": 1, "direction": "sideways"},
            "'direction' must be one of",
        ),
        ("extend.subtasks", {"levels": 0}, "'levels' must be an integer from 1 to 50"),
        (
            "filter.jql",
            {"jql": "a", "keepFolders": "yes"},
            "'keepFolders' must be true or false",
        ),
        (
            "filter.duplicates",
            {"extra": 1},
            "unknown key(s) for filter.duplicates: extra",
        ),
        ("group.field", {"fieldId": "drop table"}, "'fieldId' must be a Jira field ID"),
        (
            "sort.field",
            {"fieldId": "priority", "direction": "down"},
            "'direction' must be one of asc, desc",
        ),
        ("teleport", {}, "unknown generator kind"),
        ("sort.rank", [], "'config' must be an object"),
    ],
)
def test_bad_configurations_are_refused(kind, config, message):
    with pytest.raises(ConfigError) as info:
        generator_config_validate(kind=kind, config=config)
    assert message in str(info.value)


def test_defaults_are_filled_in():
    assert generator_config_validate(kind="extend.children", config={}) == {
        "levels": 10
    }
    assert generator_config_validate(kind="filter.jql", config={"jql": " x "}) == {
        "jql": "x",
        "keepFolders": False,
    }
