"""The datasets: the demo's documented facts, and deterministic generated sites."""

from __future__ import annotations

from collections import Counter

import pytest

from jira_simulator import datasets


@pytest.fixture(scope="module")
def demo():
    return datasets.build_demo()


def test_demo_has_the_documented_shape(demo):
    assert 270 <= len(demo.issues) <= 330
    assert {p.key for p in demo.projects.values()} == {"WEB", "MOB", "FIN"}
    assert min(demo.issues) == 10000
    types = Counter(demo.issue_types[i.issuetype_id].name for i in demo.issues.values())
    assert set(types) == {"Epic", "Story", "Task", "Bug", "Sub-task"}
    links = Counter(demo.link_types[lk.type_id].name for lk in demo.links.values())
    assert set(links) == {"Blocks", "Relates", "Duplicate", "Cloners"}
    assert len(demo.users) >= 10


def test_demo_hierarchy_is_consistent(demo):
    for issue in demo.issues.values():
        level = demo.issue_types[issue.issuetype_id].hierarchy_level
        if issue.parent_id is None:
            assert level >= 0, f"{issue.key} is a sub-task without a parent"
            continue
        parent = demo.issues[issue.parent_id]
        assert demo.issue_types[parent.issuetype_id].hierarchy_level == level + 1
        assert parent.project_id == issue.project_id


def test_demo_access_rules(demo):
    browse = {
        a: {demo.projects[p].key for p in demo.browsable_projects(a)}
        for a in demo.users
    }
    assert browse[datasets.ADMIN] == {"WEB", "MOB"}
    assert demo.is_admin(datasets.ADMIN)
    assert browse[datasets.CONTRACTOR] == {"WEB"}
    assert browse[datasets.NO_GROUP] == set()
    assert browse[datasets.ERIN] == {"WEB", "MOB", "FIN"}
    only_finance = [a for a, keys in browse.items() if "FIN" in keys]
    assert all(datasets.G_FINANCE in demo.users[a].groups for a in only_finance)
    secured = [i for i in demo.issues.values() if i.security_level_id]
    assert secured
    assert all(demo.can_browse(datasets.CAROL, i) for i in secured)
    assert not all(demo.can_browse(datasets.BOB, i) for i in secured)


def test_demo_fields_are_filled(demo):
    issues = list(demo.issues.values())
    assert any(i.story_points for i in issues)
    assert any(i.team_id for i in issues)
    assert any(i.labels for i in issues)
    assert any(i.fix_version_ids for i in issues)
    assert any(i.original_estimate_s for i in issues)
    assert any(i.resolution_id for i in issues)
    assert len({i.rank for i in issues}) == len(issues)


def test_generated_is_deterministic_per_seed():
    a = datasets.build_generated(2000, seed=7)
    b = datasets.build_generated(2000, seed=7)
    c = datasets.build_generated(2000, seed=8)
    assert len(a.issues) == 2000
    assert [(i.key, i.parent_id, i.summary, i.assignee) for i in a.issues.values()] == [
        (i.key, i.parent_id, i.summary, i.assignee) for i in b.issues.values()
    ]
    assert [(lk.outward_id, lk.inward_id) for lk in a.links.values()] == [
        (lk.outward_id, lk.inward_id) for lk in b.links.values()
    ]
    assert [i.parent_id for i in a.issues.values()] != [
        i.parent_id for i in c.issues.values()
    ]


def test_generated_has_fan_out_links_and_depth():
    site = datasets.build_generated(5000, seed=1)
    children = Counter(i.parent_id for i in site.issues.values() if i.parent_id)
    depth_two = [
        i
        for i in site.issues.values()
        if i.parent_id and site.issues[i.parent_id].parent_id
    ]
    assert depth_two, "epic → story → sub-task chains exist"
    assert max(children.values()) >= 10
    assert len(site.links) >= 1000
    assert len(site.projects) >= 3
    assert any(i.security_level_id for i in site.issues.values())


@pytest.mark.parametrize("size", [-1, datasets.MAX_GENERATED_ISSUES + 1])
def test_generated_size_is_bounded(size):
    with pytest.raises(ValueError, match="between 0 and 200000"):
        datasets.build_generated(size, seed=1)


def test_unknown_dataset_is_refused():
    with pytest.raises(ValueError, match="unknown dataset"):
        datasets.build("huge")
