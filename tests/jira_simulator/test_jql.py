"""JQL parsing and evaluation against the demo data."""

from __future__ import annotations

import pytest

from jira_simulator import datasets, jql

ADMIN = datasets.ADMIN


@pytest.fixture(scope="module")
def site():
    return datasets.build_demo()


def run(site, text: str, viewer: str = ADMIN) -> list[int]:
    return jql.Search(site, text, viewer).run()


def keys(site, text: str, viewer: str = ADMIN) -> list[str]:
    return [site.issues[i].key for i in run(site, text, viewer)]


def test_jql_parse_precedence_and_binds_tighter_than_or():
    query = jql.parse("project = WEB OR project = MOB AND status = Done")
    assert isinstance(query.where, jql.Compound)
    assert query.where.operator == "or"
    assert isinstance(query.where.clauses[1], jql.Compound)
    assert query.where.clauses[1].operator == "and"


def test_jql_parse_reads_every_operator():
    text = (
        'a = 1 and b != 2 and c in (x, "y z") and d not in (q) and e ~ "t" and f !~ u '
        "and g is empty and h is not null and i < 1 and j > 2 and k <= 3 and l >= 4"
    )
    query = jql.parse(text)
    assert isinstance(query.where, jql.Compound)
    ops = [c.operator for c in query.where.clauses if isinstance(c, jql.Clause)]
    assert ops == [
        "=",
        "!=",
        "in",
        "not in",
        "~",
        "!~",
        "is",
        "is not",
        "<",
        ">",
        "<=",
        ">=",
    ]


def test_jql_parse_order_by_and_quoted_custom_field_names():
    query = jql.parse('"Story Points" > 3 ORDER BY rank ASC, cf[10016] desc, key')
    assert isinstance(query.where, jql.Clause)
    assert query.where.field == jql.FieldRef("Story Points", quoted=True)
    assert [(o.field.name, o.direction) for o in query.order_by] == [
        ("rank", "asc"),
        ("cf[10016]", "desc"),
        ("key", None),
    ]


def test_jql_parse_functions_escapes_and_symbol_operators():
    query = jql.parse(
        r'assignee = currentUser() && summary ~ "say \"hi\"" || !(labels is empty)'
    )
    assert isinstance(query.where, jql.Compound)
    assert query.where.operator == "or"
    first = query.where.clauses[0]
    assert isinstance(first, jql.Compound)
    clause = first.clauses[0]
    assert isinstance(clause, jql.Clause)
    assert clause.operand == jql.Function("currentUser", ())
    text_clause = first.clauses[1]
    assert isinstance(text_clause, jql.Clause)
    assert text_clause.operand == jql.Value('say "hi"', quoted=True)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "project = ",
            "Expecting either a value, list or function before the end of the query.",
        ),
        ("project WEB", "Expecting operator but got 'WEB'."),
        ("(project = WEB", "Expecting ')' before the end of the query."),
        (
            'summary ~ "unfinished',
            "The quoted string 'unfinished' has not been completed.",
        ),
        ("project = WEB ORDER rank", "Expecting 'by' but got 'rank'."),
        ("project = WEB ORDER BY", "Expecting a field name at the end of the query."),
        (
            "project = WEB project = MOB",
            "Expecting either 'OR' or 'AND' but got 'project'.",
        ),
        (
            "project in (WEB,",
            "Expecting either a value, list or function before the end of the query.",
        ),
        ("= WEB", "Expecting a field name but got '='."),
        ("status was Done", "The operator 'WAS' is not supported"),
        ("project = and", "You must surround 'reserved words' with quotation marks."),
        ("key = x(", "Expecting ')' before the end of the query."),
    ],
)
def test_jql_parse_rejects_malformed_queries_with_jira_messages(text, message):
    with pytest.raises(jql.JqlError) as caught:
        jql.parse(text)
    assert str(caught.value).startswith("Error in the JQL Query: ")
    assert message in str(caught.value)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "foo = bar",
            "Field 'foo' does not exist or you do not have permission to view it.",
        ),
        ("project = NOPE", "The value 'NOPE' does not exist for the field 'project'."),
        ("summary = x", "The operator '=' is not supported by the 'summary' field."),
        ("assignee = nobody()", "Unable to find JQL function 'nobody()'."),
        (
            "created > yesterday",
            "Date value 'yesterday' for field 'created' is invalid.",
        ),
        (
            "project = WEB ORDER BY description",
            "Field 'description' does not support sorting.",
        ),
        ("rank = 1", "Field 'Rank' does not support searching, only ordering."),
        ("ORDER BY rank", "Unbounded JQL queries are not allowed here."),
        ('"Story Points" = many', "not a valid number"),
    ],
)
def test_jql_search_rejects_invalid_queries(site, text, message):
    with pytest.raises(jql.JqlError) as caught:
        jql.Search(site, text, ADMIN)
    assert message in str(caught.value)


def test_jql_project_the_viewer_cannot_browse_is_reported_as_missing(site):
    with pytest.raises(
        jql.JqlError, match="The value 'FIN' does not exist for the field 'project'"
    ):
        jql.Search(site, "project = FIN", ADMIN)
    assert run(site, "project = FIN", datasets.ERIN)


def test_jql_equality_in_and_not_in(site):
    web = set(run(site, "project = WEB"))
    both = set(run(site, "project in (WEB, MOB)"))
    mob = set(run(site, "project = MOB"))
    assert web
    assert mob
    assert both == web | mob
    assert set(run(site, "project not in (MOB) AND project in (WEB, MOB)")) == web
    assert set(run(site, "project != MOB AND project in (WEB, MOB)")) == web


def test_jql_issuetype_alias_and_hierarchy_functions(site):
    epics = keys(site, "type = Epic AND project = WEB ORDER BY key")
    assert epics == keys(site, "issuetype = Epic AND project = WEB ORDER BY key")
    assert epics[0] == "WEB-1"
    subtasks = run(site, "issuetype in subTaskIssueTypes()")
    standard = run(site, "issuetype in standardIssueTypes()")
    assert set(subtasks).isdisjoint(standard)
    assert all(site.issues[i].issuetype_id == datasets.SUBTASK for i in subtasks)


def test_jql_empty_semantics_of_not_equal(site):
    unassigned = set(run(site, "assignee is EMPTY"))
    not_bob = set(run(site, f"assignee != {datasets.BOB}"))
    assert unassigned
    assert not_bob.isdisjoint(unassigned), "!= never matches empty values, as in Jira"
    everyone = set(run(site, "project in (WEB, MOB)"))
    bob = set(run(site, f"assignee = {datasets.BOB}"))
    assert not_bob == everyone - unassigned - bob


def test_jql_current_user_parent_and_labels(site):
    mine = run(site, "assignee = currentUser()", datasets.BOB)
    assert mine
    assert all(site.issues[i].assignee == datasets.BOB for i in mine)
    children = run(site, "parent = WEB-1")
    assert children
    assert all(site.issues[i].parent_id == 10000 for i in children)
    ux = run(site, "labels = UX")
    assert ux
    assert all("ux" in site.issues[i].labels for i in ux)


def test_jql_text_search_and_status_category(site):
    found = keys(site, 'text ~ "checkout" AND project = WEB')
    assert found
    assert all(
        "checkout" in site.issue_lookup(k).summary.lower()
        or "checkout" in (site.issue_lookup(k).description or "").lower()
        for k in found
    )
    in_progress = run(site, 'statusCategory = "In Progress"')
    assert in_progress
    assert all(
        site.statuses[site.issues[i].status_id].category.key == "indeterminate"
        for i in in_progress
    )
    assert set(run(site, "statusCategory = indeterminate")) == set(in_progress)


def test_jql_custom_fields_by_id_and_name(site):
    by_id = run(site, "cf[10016] >= 8")
    by_name = run(site, '"Story Points" >= 8')
    assert by_id
    assert set(by_id) == set(by_name)
    assert all(site.issues[i].story_points >= 8 for i in by_id)
    team = run(site, 'Team = "Team Phoenix"')
    assert team
    assert all(
        site.issues[i].team_id == "36885b3c-1bf0-4f85-a357-c5b858c31de4" for i in team
    )


def test_jql_dates_resolution_and_fix_version(site):
    assert run(site, 'created >= "2025-09-01" AND project = WEB') == run(
        site, "project = WEB"
    )
    assert run(site, 'created < "2025-01-01" AND project = WEB') == []
    unresolved = run(site, "resolution = Unresolved")
    assert unresolved == run(site, "resolution is EMPTY")
    assert all(site.issues[i].resolution_id is None for i in unresolved)
    web_dec = run(site, 'fixVersion = "Web 2026.12"')
    assert web_dec
    assert all(10101 in site.issues[i].fix_version_ids for i in web_dec)


def test_jql_not_and_parentheses(site):
    web = set(run(site, "project = WEB"))
    done_web = set(run(site, "project = WEB AND status = Done"))
    assert set(run(site, "project = WEB AND NOT status = Done")) == web - done_web
    assert (
        set(run(site, "(project = WEB) AND (status = Done OR status = Done)"))
        == done_web
    )


def test_jql_order_by_rank_and_multiple_keys(site):
    ranked = run(site, "project = WEB ORDER BY rank")
    ranks = [site.issues[i].rank for i in ranked]
    assert ranks == sorted(ranks)
    assert ranked != sorted(ranked), "rank order is not creation order in the demo"
    by_points = run(
        site, '"Story Points" is not EMPTY ORDER BY "Story Points" DESC, key ASC'
    )
    points = [site.issues[i].story_points for i in by_points]
    assert points == sorted(points, reverse=True)


def test_jql_id_and_key_comparisons(site):
    assert run(site, "id = 10000") == [10000]
    assert keys(site, "key in (WEB-1, WEB-2) ORDER BY key DESC") == ["WEB-2", "WEB-1"]
    assert keys(site, "project = WEB AND key <= WEB-3 ORDER BY key") == [
        "WEB-1",
        "WEB-2",
        "WEB-3",
    ]


def test_jql_structure_for_parse_endpoint():
    structure = jql.structure(
        jql.parse('project in (WEB, "MOB") AND assignee is EMPTY ORDER BY rank DESC')
    )
    assert structure["where"]["operator"] == "and"
    first, second = structure["where"]["clauses"]
    assert first["operand"] == {
        "values": [{"value": "WEB"}, {"value": "MOB", "encodedValue": '"MOB"'}]
    }
    assert second == {
        "field": {"name": "assignee"},
        "operator": "is",
        "operand": {"keyword": "empty"},
    }
    assert structure["orderBy"] == {
        "fields": [{"field": {"name": "rank"}, "direction": "desc"}]
    }
