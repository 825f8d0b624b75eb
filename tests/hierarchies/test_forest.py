"""The pure forest engine against a simple nested-list reference model."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hierarchies.forest import (
    ITEM_FOLDER,
    ITEM_GENERATOR,
    ITEM_ISSUE,
    MAX_LEVELS,
    Action,
    AddAction,
    CopyAction,
    Forest,
    ForestError,
    MoveAction,
    RemoveAction,
    Row,
    actions_parse,
    forest_for_viewer,
    forest_formula,
    viewer_columns_keep,
)


@dataclass
class Node:
    row_id: int
    item: tuple[int, int]
    children: list[Node] = field(default_factory=list)


class Reference:
    """The obvious tree: nodes with child lists. Slow and simple."""

    def __init__(self) -> None:
        self.top: list[Node] = []
        self.next_row_id = 1

    def _find(self, row_id: int, nodes: list[Node] | None = None) -> Any:
        nodes = self.top if nodes is None else nodes
        for node in nodes:
            if node.row_id == row_id:
                return node, nodes
            found = self._find(row_id, node.children)
            if found:
                return found
        return None

    def _depth(self, row_id: int) -> int:
        return next(r.depth for r in self.rows() if r.row_id == row_id)

    def _height(self, node: Node) -> int:
        return 1 + max((self._height(c) for c in node.children), default=0)

    def _siblings(self, under: int | None) -> tuple[list[Node], int]:
        if under is None:
            return self.top, 0
        found = self._find(under)
        if not found:
            raise ForestError("no parent")
        return found[0].children, self._depth(under) + 1

    def _position(self, siblings: list[Node], after: int | None) -> int:
        if after is None:
            return 0
        for index, node in enumerate(siblings):
            if node.row_id == after:
                return index + 1
        raise ForestError("after not a sibling")

    def add(self, item: tuple[int, int], under: int | None, after: int | None) -> int:
        siblings, depth = self._siblings(under)
        pos = self._position(siblings, after)
        if depth >= MAX_LEVELS:
            raise ForestError("deep")
        node = Node(self.next_row_id, item)
        self.next_row_id += 1
        siblings.insert(pos, node)
        return node.row_id

    def _contains(self, node: Node, row_id: int) -> bool:
        return node.row_id == row_id or any(
            self._contains(c, row_id) for c in node.children
        )

    def move(self, row: int, under: int | None, after: int | None) -> None:
        found = self._find(row)
        if not found:
            raise ForestError("no row")
        node, home = found
        if under is not None and self._contains(node, under):
            raise ForestError("own descendant")
        if after == row:
            parent = self._parent_id(row)
            if parent != under:
                raise ForestError("after itself")
            return
        if after is not None and self._contains(node, after):
            raise ForestError("after inside")
        index = home.index(node)
        home.remove(node)
        try:
            siblings, depth = self._siblings(under)
            pos = self._position(siblings, after)
            if depth + self._height(node) - 1 >= MAX_LEVELS:
                raise ForestError("deep")
        except ForestError:
            home.insert(index, node)
            raise
        siblings.insert(pos, node)

    def _parent_id(
        self, row_id: int, nodes: list[Node] | None = None, parent: int | None = None
    ) -> Any:
        nodes = self.top if nodes is None else nodes
        for node in nodes:
            if node.row_id == row_id:
                return parent
            found = self._parent_id(row_id, node.children, node.row_id)
            if found is not False:
                return found
        return False

    def remove(self, row: int) -> None:
        found = self._find(row)
        if not found:
            raise ForestError("no row")
        found[1].remove(found[0])

    def _clone(self, node: Node) -> Node:
        clone = Node(self.next_row_id, node.item)
        self.next_row_id += 1
        clone.children = [self._clone(c) for c in node.children]
        return clone

    def copy(self, row: int, under: int | None, after: int | None) -> int:
        found = self._find(row)
        if not found:
            raise ForestError("no row")
        siblings, depth = self._siblings(under)
        pos = self._position(siblings, after)
        if depth + self._height(found[0]) - 1 >= MAX_LEVELS:
            raise ForestError("deep")
        clone = self._clone(found[0])
        siblings.insert(pos, clone)
        return clone.row_id

    def rows(self) -> list[Row]:
        out: list[Row] = []

        def walk(nodes: list[Node], depth: int) -> None:
            for node in nodes:
                out.append(Row(node.row_id, depth, node.item[0], node.item[1]))
                walk(node.children, depth + 1)

        walk(self.top, 0)
        return out


def assert_invariants(rows: list[Row]) -> None:
    if rows:
        assert rows[0].depth == 0
    for before, after in itertools.pairwise(rows):
        assert after.depth <= before.depth + 1
    assert len({r.row_id for r in rows}) == len(rows)


def run_both(actions, ref=None) -> tuple[Forest, Reference]:
    """Apply actions one by one to both models; errors must agree."""
    forest = Forest(chunk_target=3)
    ref = Reference() if ref is None else ref
    for action in actions:
        before = list(forest.rows())
        try:
            if isinstance(action, AddAction):
                expected = ref.add(
                    (action.item_type, action.item_id), action.under, action.after
                )
            elif isinstance(action, MoveAction):
                expected = ref.move(action.row, action.under, action.after)
            elif isinstance(action, RemoveAction):
                expected = ref.remove(action.row)
            else:
                expected = ref.copy(action.row, action.under, action.after)
            ref_failed = False
        except ForestError:
            ref_failed = True
        try:
            result = forest.apply([action])
            failed = False
        except ForestError:
            failed = True
        assert failed == ref_failed, action
        if failed:
            assert list(forest.rows()) == before
        elif isinstance(action, AddAction | CopyAction) and action.temp_id:
            assert result.temp_ids[action.temp_id] == expected
        rows = list(forest.rows())
        assert rows == ref.rows()
        assert_invariants(rows)
    return forest, ref


def draw_actions(data: Any, ref: Reference, count: int) -> Iterator[Action]:
    """Actions drawn against the reference's current rows, mostly valid ones."""
    for _ in range(count):
        ids = [r.row_id for r in ref.rows()]
        any_row = st.sampled_from(ids) if ids else st.just(999)
        maybe_row = st.one_of(st.none(), any_row, st.just(999)) if ids else st.none()
        kind = data.draw(st.sampled_from("aaammrc"))
        under = data.draw(maybe_row)
        children = [
            r.row_id
            for r in ref.rows()
            if (under is None and r.depth == 0) or ref._parent_id(r.row_id) == under
        ]
        after_choices = [st.none(), maybe_row]
        if children:
            after_choices.insert(0, st.sampled_from(children))
        after = data.draw(st.one_of(*after_choices))
        if kind == "a":
            item_type = data.draw(
                st.sampled_from([ITEM_ISSUE, ITEM_FOLDER, ITEM_GENERATOR])
            )
            yield AddAction(item_type, data.draw(st.integers(1, 9)), under, after, -1)
        elif kind == "m":
            yield MoveAction(data.draw(any_row), under, after)
        elif kind == "r":
            yield RemoveAction(data.draw(any_row))
        else:
            yield CopyAction(data.draw(any_row), under, after, -1)


def run_drawn(data, count) -> tuple[Forest, Reference]:
    ref = Reference()
    return run_both(draw_actions(data, ref, count), ref)


@settings(max_examples=300, deadline=None)
@given(data=st.data(), count=st.integers(0, 60))
def test_forest_random_ops_agree_with_reference(data, count):
    run_drawn(data, count)


@settings(max_examples=100, deadline=None)
@given(data=st.data(), count=st.integers(0, 60))
def test_forest_chunk_plan_round_trips(data, count):
    forest, _ = run_drawn(data, count)
    store: dict[int, tuple[int, bytes | None]] = {}
    plan = forest.chunk_plan()
    ids, sizes = [], []
    for cid, size, payload in plan:
        if cid is None:
            cid = len(store) + 1
            store[cid] = (size, payload)
        ids.append(cid)
        sizes.append(size)
    assert sum(sizes) == len(forest)
    loaded = Forest.from_chunks(
        [(cid, store[cid][0], store[cid][1] or b"") for cid in ids],
        next_row_id=forest.next_row_id,
    )
    assert list(loaded.rows()) == list(forest.rows())


def build(spec: str) -> Forest:
    """'0:1 1:2 0:3' → depth:issueId rows with row IDs 1.. in order."""
    rows = [
        Row(n + 1, int(d), ITEM_ISSUE, int(i))
        for n, (d, i) in enumerate(p.split(":") for p in spec.split())
    ]
    return Forest.from_rows(rows, next_row_id=len(rows) + 1)


def shape(forest: Forest) -> str:
    return " ".join(f"{r.depth}:{r.item_id}" for r in forest.rows())


def test_batch_uses_temp_ids_of_earlier_actions():
    forest = build("0:10")
    result = forest.apply(
        actions_parse(
            [
                {
                    "op": "add",
                    "item": {"type": "issue", "id": 11},
                    "under": 1,
                    "after": None,
                    "tempId": -1,
                },
                {
                    "op": "add",
                    "item": {"type": "folder", "id": 3},
                    "under": -1,
                    "after": None,
                    "tempId": -2,
                },
                {"op": "move", "row": -2, "under": None, "after": 1},
            ]
        )
    )
    assert result.temp_ids == {-1: 2, -2: 3}
    assert forest_formula(forest.rows()) == "1:0:10,2:1:11,3:0:folder/3"


def test_move_subtree_keeps_its_shape():
    forest = build("0:1 1:2 2:3 1:4 0:5")
    forest.apply([MoveAction(2, 5, None)])
    assert shape(forest) == "0:1 1:4 0:5 1:2 2:3"


def test_move_under_own_descendant_is_refused():
    forest = build("0:1 1:2 2:3")
    with pytest.raises(ForestError, match="own descendant"):
        forest.apply([MoveAction(1, 3, None)])
    assert shape(forest) == "0:1 1:2 2:3"


def test_depth_limit_is_enforced_with_a_clear_message():
    forest = Forest()
    parent = None
    for n in range(MAX_LEVELS):
        parent = forest.add(ITEM_ISSUE, n + 1, parent, None)
    with pytest.raises(ForestError, match="at most 50 levels"):
        forest.add(ITEM_ISSUE, 99, parent, None)


def test_row_limit_is_enforced():
    forest = Forest(max_rows=2)
    forest.add(ITEM_ISSUE, 1, None, None)
    forest.add(ITEM_ISSUE, 2, None, None)
    with pytest.raises(ForestError, match="at most 2 rows"):
        forest.add(ITEM_ISSUE, 3, None, None)


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ([{"op": "jump"}], "unknown op"),
        ([{"op": "add", "item": {"type": "epic", "id": 1}}], "unknown item type"),
        ([{"op": "add", "item": {"type": "issue", "id": "x"}}], "positive integer"),
        ([{"op": "add", "item": {"type": "issue", "id": 1}, "tempId": 4}], "negative"),
        ([{"op": "move", "under": 1}], "'row' is required"),
        ([{"op": "remove", "row": True}], "integer"),
        (["add"], "must be an object"),
        ([{"op": "remove", "row": 1}] * 3, "at most 2 actions"),
    ],
)
def test_actions_parse_rejects_bad_input(raw, message):
    with pytest.raises(ForestError, match=message):
        actions_parse(raw, max_actions=2)


def test_unknown_temp_id_is_refused():
    with pytest.raises(ForestError, match="unknown tempId -5"):
        Forest().apply([MoveAction(-5, None, None)])


def test_remove_items_drops_every_row_of_an_item():
    forest = Forest.from_rows(
        [
            Row(1, 0, ITEM_FOLDER, 7),
            Row(2, 1, ITEM_ISSUE, 7),
            Row(3, 0, ITEM_ISSUE, 7),
            Row(4, 0, ITEM_FOLDER, 7),
        ]
    )
    assert forest.remove_items(ITEM_FOLDER, 7) == 3
    assert [r.row_id for r in forest.rows()] == [3]


def test_viewer_forest_lifts_children_of_hidden_issues():
    rows = [
        Row(1, 0, ITEM_ISSUE, 100),  # hidden
        Row(2, 1, ITEM_ISSUE, 101),
        Row(3, 2, ITEM_ISSUE, 102),  # hidden
        Row(4, 3, ITEM_ISSUE, 103),
        Row(5, 1, ITEM_FOLDER, 1),
        Row(6, 0, ITEM_ISSUE, 104),
    ]
    seen = forest_for_viewer(rows, browsable_issue_ids={101, 103, 104})
    assert [(r.row_id, r.depth) for r in seen] == [(2, 0), (4, 1), (5, 0), (6, 0)]
    everything = forest_for_viewer(rows, browsable_issue_ids={100, 101, 102, 103, 104})
    assert everything == rows


@settings(max_examples=200, deadline=None)
@given(data=st.data(), count=st.integers(0, 40), hidden=st.sets(st.integers(1, 9)))
def test_viewer_forest_keeps_invariants_and_order(data, count, hidden):
    forest, _ = run_drawn(data, count)
    rows = list(forest.rows())
    browsable = set(range(1, 10)) - hidden
    seen = forest_for_viewer(rows, browsable_issue_ids=browsable)
    assert_invariants(seen)
    assert [r.row_id for r in seen] == [
        r.row_id for r in rows if r.item_type != ITEM_ISSUE or r.item_id in browsable
    ]
    assert all(r.item_id in browsable for r in seen if r.item_type == ITEM_ISSUE)


@settings(max_examples=200, deadline=None)
@given(data=st.data(), count=st.integers(0, 40), hidden=st.sets(st.integers(1, 9)))
def test_viewer_rule_on_columns_gives_the_same_rows_as_on_row_objects(
    data, count, hidden
):
    forest, _ = run_drawn(data, count)
    rows = list(forest.rows())
    browsable = set(range(1, 10)) - hidden
    row_ids, depths, types, items = forest.columns()
    hidden = [
        t == ITEM_ISSUE and i not in browsable
        for t, i in zip(types, items, strict=True)
    ]
    keep, new_depths = viewer_columns_keep(depths, hidden)
    assert [
        Row(row_ids[k], d, types[k], items[k])
        for k, d in zip(keep, new_depths, strict=True)
    ] == forest_for_viewer(rows, browsable_issue_ids=browsable)
