"""Totals and progress on plain data: what the Σ and Progress columns show."""

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from boards.totals import (
    ROOT,
    ProgressFacts,
    ProgressMode,
    aggregate_field,
    forest_shape,
    issue_counts,
    leaf_counts,
    progress_own,
    progress_rollup,
)

# Release plan: epic 1 → stories 10, 11 → sub-tasks; folder row (None) at the top.
#   0 folder
#   1   1 epic
#   2     10 story
#   3       100 sub-task
#   4       101 sub-task
#   5     11 story
#   6   2 epic
DEPTHS = [0, 1, 2, 3, 3, 2, 1]
ISSUES: list[int | None] = [None, 1, 10, 100, 101, 11, 2]
POINTS = {10: 5.0, 100: 2.0, 101: 3.0, 11: 8.0, 2: 13.0}


def test_forest_shape_gives_parents_and_subtree_ends():
    shape = forest_shape(DEPTHS)
    assert shape.parent == [ROOT, 0, 1, 2, 2, 1, 0]
    assert shape.end == [7, 6, 5, 4, 5, 6, 7]
    assert shape.has_children(2)
    assert not shape.has_children(3)


def test_sum_includes_the_row_and_all_sub_items():
    shape = forest_shape(DEPTHS)
    points = aggregate_field(shape, ISSUES, POINTS)
    assert points.sum[2] == 10.0  # story 5 + sub-tasks 2 + 3
    assert points.sum[1] == 18.0
    assert points.sum[0] == 31.0
    assert points.total_sum == 31.0
    assert points.count[1] == 4  # the epic itself has no points
    assert points.min[1] == 2.0
    assert points.max[0] == 13.0
    assert points.avg(1) == pytest.approx(4.5)
    assert points.min[6] == points.max[6] == 13.0


def test_rows_without_value_show_no_min_max_and_no_average():
    shape = forest_shape([0, 1])
    agg = aggregate_field(shape, [1, 2], {})
    assert agg.sum == [0.0, 0.0]
    assert agg.min == [None, None]
    assert agg.avg(0) is None
    assert agg.total_avg is None


def test_an_issue_in_two_rows_of_a_subtree_counts_once():
    # Story 10 also appears under epic 2: Σ of the folder counts it once, each epic once.
    depths = [0, 1, 2, 1, 2]
    issues: list[int | None] = [None, 1, 10, 2, 10]
    shape = forest_shape(depths)
    agg = aggregate_field(shape, issues, {10: 5.0, 1: 1.0, 2: 2.0})
    assert agg.sum[1] == 6.0
    assert agg.sum[3] == 7.0
    assert agg.sum[0] == 8.0
    assert agg.total_sum == 8.0
    counts, total = issue_counts(shape, issues)
    assert counts[0] == 3
    assert total == 3


def test_duplicates_across_top_level_trees_count_once_in_the_grand_total():
    shape = forest_shape([0, 0, 1])
    agg = aggregate_field(shape, [7, 8, 7], {7: 4.0, 8: 1.0})
    assert agg.sum[0] == 4.0
    assert agg.sum[1] == 5.0
    assert agg.total_sum == 5.0
    assert agg.total_count == 2


def test_an_issue_under_itself_counts_once():
    shape = forest_shape([0, 1, 2])
    agg = aggregate_field(shape, [7, 8, 7], {7: 4.0, 8: 1.0})
    assert agg.sum == [5.0, 5.0, 4.0]


def test_hidden_issues_are_not_counted_because_the_viewer_forest_omits_them():
    # The viewer forest of a contractor lacks issue 100; its sibling moves up nothing.
    full = aggregate_field(forest_shape(DEPTHS), ISSUES, POINTS)
    depths = [0, 1, 2, 3, 2, 1]
    issues: list[int | None] = [None, 1, 10, 101, 11, 2]
    seen = aggregate_field(forest_shape(depths), issues, POINTS)
    assert seen.total_sum == full.total_sum - POINTS[100]
    assert seen.sum[2] == 8.0


def test_leaf_counts_count_leaf_rows_below_each_row():
    leaves, total = leaf_counts(forest_shape(DEPTHS))
    assert leaves == [4, 3, 2, 1, 1, 1, 1]
    assert total == 4


def test_progress_own_by_mode():
    done = ProgressFacts(resolved=True, status_category="done")
    doing = ProgressFacts(
        status_category="indeterminate", time_spent=1, time_remaining=3
    )
    fresh = ProgressFacts(status_category="new")
    assert progress_own(ProgressMode.RESOLUTION, done) == 1.0
    assert progress_own(ProgressMode.RESOLUTION, doing) == 0.0
    assert progress_own(ProgressMode.STATUS_CATEGORY, doing) == 0.5
    assert progress_own(ProgressMode.STATUS_CATEGORY, ProgressFacts()) is None
    assert progress_own(ProgressMode.TIME_TRACKING, doing) == 0.25
    assert progress_own(ProgressMode.TIME_TRACKING, fresh) is None
    assert progress_own(ProgressMode.TIME_TRACKING, done) == 1.0


def test_progress_rollup_weighted_by_story_points_matches_the_incumbent_example():
    # Top issue 1: sub-issue 2 (children 0% with 2 SP, 100% with 3 SP), sub-issue 3
    # (0%, 1 SP): sub-issue 2 is 60%, the top issue (60*5 + 0*1) / 6 = 50%.
    depths = [0, 1, 2, 2, 1]
    issues: list[int | None] = [1, 2, 20, 21, 3]
    own = {1: 0.0, 2: 0.0, 20: 0.0, 21: 1.0, 3: 0.0}
    weights = {20: 2.0, 21: 3.0, 3: 1.0}
    progress, total = progress_rollup(
        forest_shape(depths), issues, own, weights=weights
    )
    assert progress[1] == pytest.approx(0.6)
    assert progress[0] == pytest.approx(0.5)
    assert total == pytest.approx(0.5)


def test_progress_rollup_with_equal_weights_and_resolved_parent():
    depths = [0, 1, 1, 0, 1, 1, 1]
    issues: list[int | None] = [1, 10, 11, 2, 20, 21, 22]
    own = {1: 0.0, 10: 1.0, 11: 0.0, 2: 1.0, 20: 0.0, 21: 0.0, 22: 0.0}
    progress, total = progress_rollup(forest_shape(depths), issues, own, resolved={2})
    assert progress[0] == 0.5
    assert progress[3] == 1.0  # resolved parent is complete
    assert total == 0.75


def test_progress_rollup_leaves_out_unknown_and_zero_weight_children():
    depths = [0, 1, 1, 1]
    issues: list[int | None] = [1, 10, 11, 12]
    own = {10: 1.0, 11: 0.0}  # 12 has no progress
    progress, _ = progress_rollup(
        forest_shape(depths), issues, own, weights={10: 2.0, 11: 0.0, 12: 5.0}
    )
    assert progress[0] == 1.0
    progress, _ = progress_rollup(forest_shape(depths), issues, own, weights={10: 2.0})
    # 11 has no weight: it weighs the average of its weighted siblings (2).
    assert progress[0] == 0.5


def test_progress_of_a_folder_rolls_up_and_empty_forest_has_none():
    progress, _ = progress_rollup(
        forest_shape([0, 1, 1]), [None, 1, 2], {1: 1.0, 2: 0.0}
    )
    assert progress == [0.5, 1.0, 0.0]
    assert progress_rollup(forest_shape([]), [], {}) == ([], None)


def _forest() -> Any:
    """Random pre-order forests: depth rises by at most one per row."""

    @st.composite
    def build(draw):
        n = draw(st.integers(min_value=0, max_value=40))
        depths: list[int] = []
        for i in range(n):
            top = 0 if i == 0 else depths[-1] + 1
            depths.append(draw(st.integers(min_value=0, max_value=top)))
        issues = [
            draw(st.one_of(st.none(), st.integers(min_value=1, max_value=8)))
            for _ in range(n)
        ]
        return depths, issues

    return build()


@given(_forest(), st.dictionaries(st.integers(1, 8), st.integers(-5, 20)))
def test_aggregate_matches_a_naive_distinct_sum(forest, raw_values):
    depths, issues = forest
    values = {k: float(v) for k, v in raw_values.items()}
    shape = forest_shape(depths)
    agg = aggregate_field(shape, issues, values)
    for row in range(len(depths)):
        distinct = {i for i in issues[row : shape.end[row]] if i in values}
        assert agg.sum[row] == sum(values[i] for i in distinct)
        assert agg.count[row] == len(distinct)
        expected_min = min((values[i] for i in distinct), default=None)
        assert agg.min[row] == expected_min
    everything = {i for i in issues if i in values}
    assert agg.total_sum == sum(values[i] for i in everything)
    assert agg.total_count == len(everything)


def test_forest_shape_of_depths_that_skip_a_level_takes_the_nearest_shallower_row():
    # A row two levels deeper than the one before (not made by the forest itself)
    # still gets the nearest shallower row as its parent.
    shape = forest_shape([0, 2, 2, 1, 3, 0])
    assert shape.parent == [ROOT, 0, 0, 0, 3, ROOT]
    assert shape.end == [5, 2, 3, 5, 5, 6]


@given(st.lists(st.integers(0, 4), max_size=60))
def test_forest_shape_parent_is_the_nearest_earlier_shallower_row(depths):
    shape = forest_shape(depths)
    for i, depth in enumerate(depths):
        expected = ROOT
        for j in reversed(range(i)):
            if depths[j] < depth:
                expected = j
                break
        assert shape.parent[i] == expected
        later = [k for k in range(i + 1, len(depths)) if depths[k] <= depth]
        assert shape.end[i] == (later[0] if later else len(depths))
