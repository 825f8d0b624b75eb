"""Totals and progress over a forest: plain data in, plain data out, O(n).

The forest is the viewer's forest in pre-order (DFS) order: one entry per row with its
depth and, for issue rows, the numeric issue ID (``None`` for folders, generators and
group rows). Hidden issues are not in it (the viewer forest has already dropped them),
so nothing here can count them; values are looked up only for the IDs given.

Every aggregate is one forward pass (parents and subtree ends from the depths) and one
reverse pass that adds each row into its parent, so a 100,000-row forest costs a few
list operations per row.

Each issue is counted once per subtree even where it appears in several rows of it,
which is the incumbent's default. The classic trick for distinct values over subtrees
does it in linear time: every occurrence adds its value, and for each pair of
consecutive occurrences of one issue (in DFS order) the value is subtracted once at
their lowest common ancestor. A subtree holding k occurrences then holds exactly k - 1
of those subtractions, because a subtree is a contiguous range of the DFS order.
"""

from collections.abc import Callable, Container, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum

ROOT = -1


@dataclass(frozen=True)
class ForestShape:
    """Parent and subtree end (exclusive) of every row; parent is ROOT at the top."""

    parent: list[int]
    end: list[int]

    def __len__(self) -> int:
        return len(self.parent)

    def has_children(self, row: int) -> bool:
        return self.end[row] > row + 1


def forest_shape(depths: Sequence[int]) -> ForestShape:
    """Parents and subtree ends of a pre-order forest given by its depths."""
    n = len(depths)
    parent = [ROOT] * n
    end = [n] * n
    # Well-formed depths (every row at most one deeper than the row before, as the
    # forest and the viewer rule keep them): the open rows are exactly one per depth
    # above the next row, so the stack's length is the depth and one stack will do.
    stack: list[int] = []
    for i, depth in enumerate(depths):
        open_rows = len(stack)
        if depth > open_rows:
            return _forest_shape_any(depths)
        while open_rows > depth:
            end[stack.pop()] = i
            open_rows -= 1
        if open_rows:
            parent[i] = stack[-1]
        stack.append(i)
    return ForestShape(parent=parent, end=end)


def _forest_shape_any(depths: Sequence[int]) -> ForestShape:
    """`forest_shape` for depths that skip levels (the nearest shallower row is the
    parent)."""
    n = len(depths)
    parent = [ROOT] * n
    end = [n] * n
    stack: list[int] = []
    stack_depth: list[int] = []
    for i, depth in enumerate(depths):
        while stack_depth and stack_depth[-1] >= depth:
            stack_depth.pop()
            end[stack.pop()] = i
        if stack:
            parent[i] = stack[-1]
        stack.append(i)
        stack_depth.append(depth)
    return ForestShape(parent=parent, end=end)


def _lca(shape: ForestShape, earlier: int, later: int) -> int:
    """Lowest common ancestor of two rows, `earlier` before `later` in DFS order."""
    node = later
    while node != ROOT and node > earlier:
        node = shape.parent[node]
    # `node` is an ancestor of `later` at or before `earlier`: its subtree is a
    # contiguous range from `node` past `later`, so it holds `earlier` too.
    return node


def _duplicate_corrections(
    shape: ForestShape,
    issue_ids: Sequence[int | None],
    value_of: Callable[[int], float | None],
) -> tuple[dict[int, float], float]:
    """Per-row amounts to subtract so that each issue counts once per subtree."""
    last_seen: dict[int, int] = {}
    corrections: dict[int, float] = {}
    root_correction = 0.0
    for row, issue_id in enumerate(issue_ids):
        if issue_id is None:
            continue
        previous = last_seen.get(issue_id)
        last_seen[issue_id] = row
        if previous is None:
            continue
        value = value_of(issue_id)
        if value is None:
            continue
        ancestor = _lca(shape, previous, row)
        if ancestor == ROOT:
            root_correction += value
        else:
            corrections[ancestor] = corrections.get(ancestor, 0.0) + value
    return corrections, root_correction


@dataclass(frozen=True)
class Aggregate:
    """Σ of one numeric field per row (the row and its sub-items), and for the forest.

    `count` is the number of distinct issues in the subtree that have a value, so the
    average over sub-items is ``sum / count``.
    """

    sum: list[float]
    count: list[int]
    min: list[float | None]
    max: list[float | None]
    total_sum: float
    total_count: int
    total_min: float | None
    total_max: float | None

    def avg(self, row: int) -> float | None:
        return self.sum[row] / self.count[row] if self.count[row] else None

    @property
    def total_avg(self) -> float | None:
        return self.total_sum / self.total_count if self.total_count else None


def aggregate_field(
    shape: ForestShape,
    issue_ids: Sequence[int | None],
    values: Mapping[int, float],
) -> Aggregate:
    """Sum, count, min and max of `values` (by issue ID) over every subtree."""
    n = len(shape)
    sums = [0.0] * n
    counts = [0] * n
    mins: list[float | None] = [None] * n
    maxs: list[float | None] = [None] * n
    get = values.get
    for row, issue_id in enumerate(issue_ids):
        if issue_id is None:
            continue
        value = get(issue_id)
        if value is not None:
            sums[row] = value
            counts[row] = 1
            mins[row] = value
            maxs[row] = value
    sum_fix, root_sum_fix = _duplicate_corrections(shape, issue_ids, get)
    count_fix, root_count_fix = _duplicate_corrections(
        shape, issue_ids, lambda i: 1.0 if get(i) is not None else None
    )
    for row, amount in sum_fix.items():
        sums[row] -= amount
    for row, amount in count_fix.items():
        counts[row] -= int(amount)
    total_sum = -root_sum_fix
    total_count = -int(root_count_fix)
    total_min: float | None = None
    total_max: float | None = None
    parent = shape.parent
    for row in range(n - 1, -1, -1):
        up = parent[row]
        low, high = mins[row], maxs[row]
        if up == ROOT:
            total_sum += sums[row]
            total_count += counts[row]
            if low is not None and (total_min is None or low < total_min):
                total_min = low
            if high is not None and (total_max is None or high > total_max):
                total_max = high
            continue
        sums[up] += sums[row]
        counts[up] += counts[row]
        if low is not None:
            current = mins[up]
            if current is None or low < current:
                mins[up] = low
        if high is not None:
            current = maxs[up]
            if current is None or high > current:
                maxs[up] = high
    return Aggregate(
        sum=sums,
        count=counts,
        min=mins,
        max=maxs,
        total_sum=total_sum,
        total_count=total_count,
        total_min=total_min,
        total_max=total_max,
    )


def issue_counts(
    shape: ForestShape, issue_ids: Sequence[int | None]
) -> tuple[list[int], int]:
    """Distinct issues in every subtree (the row included), and in the forest."""
    ones = {issue_id: 1.0 for issue_id in issue_ids if issue_id is not None}
    aggregate = aggregate_field(shape, issue_ids, ones)
    return aggregate.count, aggregate.total_count


def leaf_counts(shape: ForestShape) -> tuple[list[int], int]:
    """Leaf rows in every subtree (a leaf counts itself), and in the forest."""
    n = len(shape)
    leaves = [0] * n
    total = 0
    parent = shape.parent
    end = shape.end
    for row in range(n - 1, -1, -1):
        if end[row] == row + 1:
            leaves[row] += 1
        up = parent[row]
        if up == ROOT:
            total += leaves[row]
        else:
            leaves[up] += leaves[row]
    return leaves, total


class ProgressMode(StrEnum):
    RESOLUTION = "resolution"
    STATUS_CATEGORY = "status"
    TIME_TRACKING = "time"


# Jira's status category keys; "in progress" counts as half done.
STATUS_CATEGORY_PROGRESS = {"new": 0.0, "indeterminate": 0.5, "done": 1.0}


@dataclass(frozen=True)
class ProgressFacts:
    """What an issue's own progress depends on (all optional; missing means unknown)."""

    resolved: bool = False
    status_category: str | None = None
    time_spent: float | None = None
    time_remaining: float | None = None


def progress_own(mode: ProgressMode, facts: ProgressFacts) -> float | None:
    """An issue's own progress in [0, 1], or None when the mode cannot tell."""
    if mode is ProgressMode.RESOLUTION:
        return 1.0 if facts.resolved else 0.0
    if mode is ProgressMode.STATUS_CATEGORY:
        if facts.status_category is None:
            return None
        return STATUS_CATEGORY_PROGRESS.get(facts.status_category)
    if facts.resolved:
        return 1.0
    spent = facts.time_spent or 0.0
    remaining = facts.time_remaining or 0.0
    if spent + remaining <= 0:
        return None
    return spent / (spent + remaining)


def progress_rollup(
    shape: ForestShape,
    issue_ids: Sequence[int | None],
    own: Mapping[int, float],
    *,
    weights: Mapping[int, float] | None = None,
    resolved: Container[int] = (),
) -> tuple[list[float | None], float | None]:
    """Progress of every row and of the whole forest.

    A leaf has its own progress. A parent has the weighted average of its children's
    progress (its own progress is ignored, as the incumbent does by default); a
    resolved parent issue is complete whatever its children say. Children whose
    progress is unknown are left out.

    With `weights=None` every child weighs the same. With a numeric field (for example
    story points) a leaf weighs its value and a parent the sum of its children's
    weights; a child without a value weighs the average of its siblings that have one,
    and a weight of 0 leaves the child out.
    """
    n = len(shape)
    progress: list[float | None] = [None] * n
    row_weight: list[float | None] = [None] * n
    # Per-parent accumulators (index n is the forest root).
    weighted = [0.0] * (n + 1)
    known_weight = [0.0] * (n + 1)
    known_count = [0] * (n + 1)
    unweighted_sum = [0.0] * (n + 1)
    unweighted_count = [0] * (n + 1)
    child_weight_sum = [0.0] * (n + 1)
    child_weight_known = [False] * (n + 1)
    parent = shape.parent
    end = shape.end

    def settle(slot: int) -> float | None:
        if known_count[slot] == 0 and unweighted_count[slot] == 0:
            return None
        fill = known_weight[slot] / known_count[slot] if known_count[slot] else 1.0
        total_weight = known_weight[slot] + fill * unweighted_count[slot]
        if total_weight <= 0:
            return None
        return (weighted[slot] + fill * unweighted_sum[slot]) / total_weight

    for row in range(n - 1, -1, -1):
        issue_id = issue_ids[row]
        if end[row] > row + 1:
            value = settle(row)
            if issue_id is not None and issue_id in resolved:
                value = 1.0
            weight: float | None = (
                child_weight_sum[row] if child_weight_known[row] else None
            )
            if weights is not None and weight is None and issue_id is not None:
                weight = weights.get(issue_id)
        else:
            value = own.get(issue_id) if issue_id is not None else None
            weight = (
                weights.get(issue_id) if (weights and issue_id is not None) else None
            )
        progress[row] = value
        row_weight[row] = weight
        slot = n if parent[row] == ROOT else parent[row]
        if weight is not None:
            child_weight_sum[slot] += weight
            child_weight_known[slot] = True
        if value is None:
            continue
        if weights is None:
            weighted[slot] += value
            known_weight[slot] += 1.0
            known_count[slot] += 1
        elif weight is None:
            unweighted_sum[slot] += value
            unweighted_count[slot] += 1
        elif weight > 0:
            weighted[slot] += value * weight
            known_weight[slot] += weight
            known_count[slot] += 1
    return progress, settle(n)
