"""The forest: an ordered tree of rows, and the pure algorithms that edit it.

Storage choice
--------------
A forest is a preorder (DFS) list of rows ``(row_id, depth, item_type, item_id)``. It is
stored as **immutable chunks** of about ``CHUNK_TARGET`` consecutive rows, each chunk one
database row holding four packed arrays (row IDs and item IDs as big-endian int64,
depths and item types as one byte each, ~18 bytes per row). A structure version is a
*manifest*: the ordered list of chunk IDs that make up its forest.

* Reading 100,000 rows is one query for ~100 chunk rows of packed bytes, decoded with a
  memcpy into arrays, instead of 100,000 ORM rows.
* An edit loads the forest into four flat ``bytearray``s and works with C-speed
  primitives only (``bytearray.find`` to locate a row ID, a regex over the depth bytes
  to find where a subtree ends, ``bytes.translate`` to shift the depths of a moved
  block, slice assignment to cut and paste). Only the chunks an edit touched are written
  back as new chunks, plus a new manifest: moving a 1,000-row subtree writes a few
  chunks (~100 KB) whatever the forest's size, where nested-set trees rewrite up to the
  whole table and materialised paths rewrite the subtree and its later siblings.
* Chunks never change once written, so every past version stays readable by its
  manifest (history and "view version N" cost the same as reading the current forest),
  and undo is "make the manifest of version N current again", recorded as a new version.

Everything here is plain data in, plain data out: no database, no Django. A `Forest`
that raised `ForestError` in `apply` must be discarded (the service rolls back);
a single action validates fully before it mutates anything.
"""

from __future__ import annotations

import re
import sys
from array import array
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from itertools import accumulate, pairwise
from typing import Any

MAX_ROWS = 200_000
MAX_LEVELS = 50  # depths 0..49
MAX_ACTIONS = 5_000
CHUNK_TARGET = 1024

ITEM_ISSUE = 0
ITEM_FOLDER = 1
ITEM_GENERATOR = 2
ITEM_TYPES: dict[str, int] = {
    "issue": ITEM_ISSUE,
    "folder": ITEM_FOLDER,
    "generator": ITEM_GENERATOR,
}
ITEM_TYPE_NAMES: dict[int, str] = {code: name for name, code in ITEM_TYPES.items()}
_MAX_ID = 2**63 - 1
_LITTLE_ENDIAN = sys.byteorder == "little"


class ForestError(ValueError):
    """An action cannot be applied; `message` is safe to show to the client."""

    def __init__(self, message: str, *, index: int | None = None) -> None:
        self.message = message if index is None else f"actions[{index}]: {message}"
        super().__init__(self.message)
        self.index = index


@dataclass(frozen=True)
class Row:
    row_id: int
    depth: int
    item_type: int
    item_id: int


@dataclass(frozen=True)
class AddAction:
    item_type: int
    item_id: int
    under: int | None
    after: int | None
    temp_id: int | None = None


@dataclass(frozen=True)
class MoveAction:
    row: int
    under: int | None
    after: int | None


@dataclass(frozen=True)
class RemoveAction:
    row: int


@dataclass(frozen=True)
class CopyAction:
    row: int
    under: int | None
    after: int | None
    temp_id: int | None = None


Action = AddAction | MoveAction | RemoveAction | CopyAction


@dataclass
class ApplyResult:
    temp_ids: dict[int, int] = field(default_factory=dict)
    touches_generators: bool = False
    counts: dict[str, int] = field(default_factory=dict)
    added_items: set[tuple[int, int]] = field(default_factory=set)


# --- packing -------------------------------------------------------------------------


def pack_ids(values: Iterable[int]) -> bytes:
    """Big-endian int64s (row IDs, item IDs, chunk IDs of a manifest).

    Big-endian on purpose: `Forest.find` searches the packed bytes for an 8-byte ID,
    and with the varying low byte last the substring search skips ahead quickly
    (little-endian puts the long run of zero high bytes last and it crawls).
    """
    arr = array("q", values)
    if _LITTLE_ENDIAN:
        arr.byteswap()
    return arr.tobytes()


def unpack_ids(data: bytes | bytearray | memoryview) -> list[int]:
    arr = array("q")
    arr.frombytes(data)
    if _LITTLE_ENDIAN:
        arr.byteswap()
    return arr.tolist()


def _id_bytes(value: int) -> bytes:
    return value.to_bytes(8, "big", signed=True)


def chunk_encode(rid: bytes, iid: bytes, dep: bytes, typ: bytes) -> bytes:
    """One chunk's payload: row IDs, item IDs, depths, item types (sizes implied)."""
    return b"".join((rid, iid, dep, typ))


def chunk_decode(data: bytes, size: int) -> tuple[bytes, bytes, bytes, bytes]:
    view = memoryview(data)
    return (
        bytes(view[: 8 * size]),
        bytes(view[8 * size : 16 * size]),
        bytes(view[16 * size : 17 * size]),
        bytes(view[17 * size : 18 * size]),
    )


# --- depth scanning --------------------------------------------------------------------

_AT_MOST: dict[int, re.Pattern[bytes]] = {}


def _at_most(depth: int) -> re.Pattern[bytes]:
    """A regex matching one byte whose value is <= depth."""
    pattern = _AT_MOST.get(depth)
    if pattern is None:
        pattern = re.compile(
            b"[" + re.escape(b"\x00") + b"-" + re.escape(bytes([depth])) + b"]"
        )
        _AT_MOST[depth] = pattern
    return pattern


_SHIFT_TABLES: dict[int, bytes] = {}


def _shift_table(delta: int) -> bytes:
    table = _SHIFT_TABLES.get(delta)
    if table is None:
        table = bytes((b + delta) % 256 for b in range(256))
        _SHIFT_TABLES[delta] = table
    return table


# --- the forest ------------------------------------------------------------------------


class Forest:
    """A mutable forest in flat packed arrays, remembering which stored chunks it reuses."""

    def __init__(
        self,
        *,
        rid: bytes = b"",
        iid: bytes = b"",
        dep: bytes = b"",
        typ: bytes = b"",
        next_row_id: int = 1,
        chunk_ids: Sequence[int | None] = (),
        chunk_sizes: Sequence[int] = (),
        chunk_target: int = CHUNK_TARGET,
        max_rows: int | None = None,
    ) -> None:
        self._rid = bytearray(rid)
        self._iid = bytearray(iid)
        self._dep = bytearray(dep)
        self._typ = bytearray(typ)
        self.next_row_id = next_row_id
        self._chunk_ids: list[int | None] = list(chunk_ids)
        self._chunk_sizes: list[int] = list(chunk_sizes)
        if not self._chunk_sizes and self._dep:
            self._chunk_ids, self._chunk_sizes = [None], [len(self._dep)]
        self.chunk_target = chunk_target
        self.max_rows = MAX_ROWS if max_rows is None else max_rows
        self._hint = 0

    # construction ------------------------------------------------------------------

    @classmethod
    def from_rows(cls, rows: Iterable[Row], **kwargs: Any) -> Forest:
        rows = list(rows)
        return cls(
            rid=pack_ids(r.row_id for r in rows),
            iid=pack_ids(r.item_id for r in rows),
            dep=bytes(r.depth for r in rows),
            typ=bytes(r.item_type for r in rows),
            **kwargs,
        )

    @classmethod
    def from_chunks(
        cls,
        chunks: Sequence[tuple[int, int, bytes]],
        *,
        next_row_id: int,
        **kwargs: Any,
    ) -> Forest:
        """From stored chunks in manifest order: ``(chunk_id, size, payload)``."""
        # Each column is joined straight from views of the payloads: one copy per byte.
        views = [(memoryview(data), size) for _, size, data in chunks]
        rid = bytearray().join([v[: 8 * n] for v, n in views])
        iid = bytearray().join([v[8 * n : 16 * n] for v, n in views])
        dep = bytearray().join([v[16 * n : 17 * n] for v, n in views])
        typ = bytearray().join([v[17 * n : 18 * n] for v, n in views])
        forest = cls(
            next_row_id=next_row_id,
            chunk_ids=[c[0] for c in chunks],
            chunk_sizes=[c[1] for c in chunks],
            **kwargs,
        )
        forest._rid, forest._iid, forest._dep, forest._typ = rid, iid, dep, typ
        return forest

    # reading -----------------------------------------------------------------------

    def __len__(self) -> int:
        return len(self._dep)

    def columns(self) -> tuple[list[int], list[int], list[int], list[int]]:
        """Row IDs, depths, item types, item IDs as plain lists (fast bulk read)."""
        return (
            unpack_ids(self._rid),
            list(self._dep),
            list(self._typ),
            unpack_ids(self._iid),
        )

    def rows(self) -> Iterator[Row]:
        for rid, dep, typ, iid in zip(*self.columns(), strict=True):
            yield Row(rid, dep, typ, iid)

    def find(self, row_id: int) -> int:
        """Index of a row by ID, or -1. Searches near the last hit first."""
        needle = _id_bytes(row_id)
        size = len(self._dep)
        lo = max(0, self._hint - 4096) * 8
        hi = min(size, self._hint + 4096) * 8
        for start, end in ((lo, hi), (0, size * 8)):
            pos = self._rid.find(needle, start, end)
            while pos != -1 and pos % 8:
                pos = self._rid.find(needle, pos + 1, end)
            if pos != -1:
                self._hint = pos // 8
                return pos // 8
        return -1

    def subtree_end(self, index: int) -> int:
        """Index just past the subtree rooted at `index`."""
        match = _at_most(self._dep[index]).search(self._dep, index + 1)
        return match.start() if match else len(self._dep)

    def parent_index(self, index: int) -> int:
        """Index of the parent row, or -1 for a top-level row."""
        depth = self._dep[index]
        if depth == 0:
            return -1
        return self._dep.rindex(bytes([depth - 1]), 0, index)

    # chunk bookkeeping -------------------------------------------------------------

    def _dirty_delete(self, start: int, end: int) -> None:
        ids, sizes = self._chunk_ids, self._chunk_sizes
        pos = 0
        new_ids: list[int | None] = []
        new_sizes: list[int] = []
        for cid, size in zip(ids, sizes, strict=True):
            lo, hi = pos, pos + size
            pos = hi
            overlap = max(0, min(hi, end) - max(lo, start))
            if overlap == 0:
                new_ids.append(cid)
                new_sizes.append(size)
            elif overlap < size:
                new_ids.append(None)
                new_sizes.append(size - overlap)
        self._chunk_ids, self._chunk_sizes = new_ids, new_sizes

    def _dirty_insert(self, at: int, count: int) -> None:
        if not self._chunk_sizes:
            self._chunk_ids, self._chunk_sizes = [None], [count]
            return
        # Rows inserted at a chunk boundary join the end of the earlier chunk.
        chunk, pos = len(self._chunk_sizes) - 1, 0
        for k, size in enumerate(self._chunk_sizes):
            if at <= pos + size:
                chunk = k
                break
            pos += size
        self._chunk_ids[chunk] = None
        self._chunk_sizes[chunk] += count

    def _dirty_range(self, start: int, end: int) -> None:
        pos = 0
        for k, size in enumerate(self._chunk_sizes):
            if pos < end and start < pos + size:
                self._chunk_ids[k] = None
            pos += size

    def _splice(self, at: int, rid: bytes, iid: bytes, dep: bytes, typ: bytes) -> None:
        self._rid[8 * at : 8 * at] = rid
        self._iid[8 * at : 8 * at] = iid
        self._dep[at:at] = dep
        self._typ[at:at] = typ
        self._dirty_insert(at, len(dep))

    def _cut(self, start: int, end: int) -> tuple[bytes, bytes, bytes, bytes]:
        block = (
            bytes(self._rid[8 * start : 8 * end]),
            bytes(self._iid[8 * start : 8 * end]),
            bytes(self._dep[start:end]),
            bytes(self._typ[start:end]),
        )
        del self._rid[8 * start : 8 * end]
        del self._iid[8 * start : 8 * end]
        del self._dep[start:end]
        del self._typ[start:end]
        self._dirty_delete(start, end)
        return block

    def chunk_plan(self) -> list[tuple[int | None, int, bytes | None]]:
        """The chunks of the current forest, in order: reused ``(id, size, None)`` or new
        ``(None, size, payload)``. Runs of edited chunks are re-split near the target
        size; a small edited run absorbs a stored neighbour so chunks don't fragment."""
        ids, sizes = list(self._chunk_ids), list(self._chunk_sizes)
        small = max(1, self.chunk_target // 4)
        # Absorb clean neighbours of small dirty chunks.
        for k in range(len(ids)):
            if ids[k] is None and sizes[k] < small:
                if k + 1 < len(ids):
                    ids[k + 1] = None
                elif k > 0:
                    ids[k - 1] = None
        plan: list[tuple[int | None, int, bytes | None]] = []
        starts = [0, *accumulate(sizes)]
        k = 0
        while k < len(ids):
            if ids[k] is not None:
                plan.append((ids[k], sizes[k], None))
                k += 1
                continue
            run_start = starts[k]
            while k < len(ids) and ids[k] is None:
                k += 1
            run_end = starts[k]
            total = run_end - run_start
            pieces = max(1, round(total / self.chunk_target))
            bounds = [run_start + total * p // pieces for p in range(pieces + 1)]
            for a, b in pairwise(bounds):
                if b > a:
                    payload = chunk_encode(
                        bytes(self._rid[8 * a : 8 * b]),
                        bytes(self._iid[8 * a : 8 * b]),
                        bytes(self._dep[a:b]),
                        bytes(self._typ[a:b]),
                    )
                    plan.append((None, b - a, payload))
        return plan

    def chunks_stored(self, plan_ids: Sequence[int], plan_sizes: Sequence[int]) -> None:
        """After the plan was saved: every chunk is now stored with these IDs."""
        self._chunk_ids = list(plan_ids)
        self._chunk_sizes = list(plan_sizes)

    # resolving positions -------------------------------------------------------------

    def _index_of(self, row_id: int, what: str) -> int:
        index = self.find(row_id)
        if index < 0:
            raise ForestError(f"{what} row {row_id} is not in this structure")
        return index

    def _insert_point(self, under: int | None, after: int | None) -> tuple[int, int]:
        """(position, depth) for a new child of `under` placed after sibling `after`."""
        if under is None:
            parent, depth = -1, 0
        else:
            parent = self._index_of(under, "parent")
            depth = self._dep[parent] + 1
        if after is None:
            return parent + 1, depth
        sibling = self._index_of(after, "sibling")
        if self._dep[sibling] != depth or self.parent_index(sibling) != parent:
            where = "at the top level" if under is None else f"under row {under}"
            raise ForestError(f"row {after} is not a child {where}")
        return self.subtree_end(sibling), depth

    def _check_depth(self, depth: int, block_dep: bytes) -> None:
        deepest = depth + (max(block_dep) - block_dep[0] if block_dep else 0)
        if deepest >= MAX_LEVELS:
            raise ForestError(
                f"a structure has at most {MAX_LEVELS} levels; this would make {deepest + 1}"
            )

    def _check_size(self, extra: int) -> None:
        if len(self._dep) + extra > self.max_rows:
            raise ForestError(
                f"a structure has at most {self.max_rows} rows; this would make "
                f"{len(self._dep) + extra}"
            )

    def _new_ids(self, count: int) -> bytes:
        first = self.next_row_id
        self.next_row_id += count
        return pack_ids(range(first, first + count))

    # operations ----------------------------------------------------------------------

    def add(
        self, item_type: int, item_id: int, under: int | None, after: int | None
    ) -> int:
        """Add one row; returns its new row ID."""
        at, depth = self._insert_point(under, after)
        self._check_depth(depth, b"")
        self._check_size(1)
        row_id = self.next_row_id
        self._splice(
            at, self._new_ids(1), _id_bytes(item_id), bytes([depth]), bytes([item_type])
        )
        self._hint = at
        return row_id

    def move(self, row: int, under: int | None, after: int | None) -> bool:
        """Move a row with its subtree; returns whether the block holds generators."""
        start = self._index_of(row, "moved")
        end = self.subtree_end(start)
        if under is not None:
            target = self._index_of(under, "parent")
            if start <= target < end:
                raise ForestError(
                    f"row {row} cannot move under itself or its own descendant {under}"
                )
        if after == row:
            parent = self.parent_index(start)
            current = None if parent < 0 else self.row_id_at(parent)
            if current != under:
                raise ForestError(f"row {row} cannot be placed after itself")
            return False
        if after is not None:
            sibling = self._index_of(after, "sibling")
            if start <= sibling < end:
                raise ForestError(f"row {after} is inside the moved subtree")
        # Resolve the target in the forest without the block, validating first.
        block_dep = bytes(self._dep[start:end])
        holds_generators = self._typ.find(ITEM_GENERATOR, start, end) != -1
        rid, iid, dep, typ = self._cut(start, end)
        try:
            at, depth = self._insert_point(under, after)
            self._check_depth(depth, block_dep)
        except ForestError:
            self._splice(start, rid, iid, dep, typ)
            raise
        self._splice(at, rid, iid, dep.translate(_shift_table(depth - dep[0])), typ)
        self._hint = at
        return holds_generators

    def remove(self, row: int) -> bool:
        """Remove a row with its subtree; returns whether the block held generators."""
        start = self._index_of(row, "removed")
        end = self.subtree_end(start)
        holds_generators = self._typ.find(ITEM_GENERATOR, start, end) != -1
        self._cut(start, end)
        return holds_generators

    def copy(self, row: int, under: int | None, after: int | None) -> tuple[int, bool]:
        """Copy a row with its subtree (new row IDs); returns (new root ID, generators)."""
        start = self._index_of(row, "copied")
        end = self.subtree_end(start)
        at, depth = self._insert_point(under, after)
        dep = bytes(self._dep[start:end])
        self._check_depth(depth, dep)
        self._check_size(end - start)
        holds_generators = self._typ.find(ITEM_GENERATOR, start, end) != -1
        root = self.next_row_id
        self._splice(
            at,
            self._new_ids(end - start),
            bytes(self._iid[8 * start : 8 * end]),
            dep.translate(_shift_table(depth - dep[0])),
            bytes(self._typ[start:end]),
        )
        self._hint = at
        return root, holds_generators

    def remove_items(self, item_type: int, item_id: int) -> int:
        """Remove every row (with subtree) that shows this item; returns rows removed."""
        removed = 0
        needle = _id_bytes(item_id)
        pos = 0
        while True:
            pos = self._iid.find(needle, pos)
            if pos == -1:
                return removed
            if pos % 8 or self._typ[pos // 8] != item_type:
                pos += 1
                continue
            start = pos // 8
            end = self.subtree_end(start)
            self._cut(start, end)
            removed += end - start
            pos = 8 * start

    def row_id_at(self, index: int) -> int:
        return int.from_bytes(self._rid[8 * index : 8 * index + 8], "big", signed=True)

    def apply(self, actions: Sequence[Action]) -> ApplyResult:
        """Apply a batch in order; later actions may name earlier actions' temp IDs."""
        result = ApplyResult()
        temp = result.temp_ids

        def real(value: int | None, index: int) -> int | None:
            if value is None or value >= 0:
                return value
            if value not in temp:
                raise ForestError(f"unknown tempId {value}", index=index)
            return temp[value]

        def real_row(value: int, index: int) -> int:
            resolved = real(value, index)
            return value if resolved is None else resolved

        for index, action in enumerate(actions):
            try:
                if isinstance(action, AddAction):
                    new = self.add(
                        action.item_type,
                        action.item_id,
                        real(action.under, index),
                        real(action.after, index),
                    )
                    if action.item_type == ITEM_GENERATOR:
                        result.touches_generators = True
                    result.added_items.add((action.item_type, action.item_id))
                    self._remember(temp, action.temp_id, new, index)
                    op = "add"
                elif isinstance(action, MoveAction):
                    row = real_row(action.row, index)
                    if self.move(
                        row, real(action.under, index), real(action.after, index)
                    ):
                        result.touches_generators = True
                    op = "move"
                elif isinstance(action, RemoveAction):
                    row = real_row(action.row, index)
                    if self.remove(row):
                        result.touches_generators = True
                    op = "remove"
                else:
                    row = real_row(action.row, index)
                    new, gens = self.copy(
                        row, real(action.under, index), real(action.after, index)
                    )
                    result.touches_generators |= gens
                    self._remember(temp, action.temp_id, new, index)
                    op = "copy"
            except ForestError as exc:
                if exc.index is not None:
                    raise
                raise ForestError(exc.message, index=index) from None
            result.counts[op] = result.counts.get(op, 0) + 1
        return result

    @staticmethod
    def _remember(
        temp: dict[int, int], temp_id: int | None, new: int, index: int
    ) -> None:
        if temp_id is None:
            return
        if temp_id in temp:
            raise ForestError(f"tempId {temp_id} is used twice", index=index)
        temp[temp_id] = new


# --- the viewer's forest ---------------------------------------------------------------


def forest_for_viewer(
    rows: Iterable[Row], *, browsable_issue_ids: set[int] | frozenset[int]
) -> list[Row]:
    """The rows a viewer sees: issue rows they may not browse are left out, and their
    visible descendants move up to the nearest visible ancestor, keeping their order."""
    visible: list[Row] = []
    stack: list[int] = []  # original depths of the visible ancestors of the next row
    for row in rows:
        while stack and stack[-1] >= row.depth:
            stack.pop()
        if row.item_type == ITEM_ISSUE and row.item_id not in browsable_issue_ids:
            continue
        visible.append(Row(row.row_id, len(stack), row.item_type, row.item_id))
        stack.append(row.depth)
    return visible


def viewer_columns_keep(
    depths: Sequence[int],
    hidden: Sequence[bool],
) -> tuple[list[int], list[int]]:
    """The viewer rule over parallel columns: the indices of the rows kept and their
    new depths. `hidden[i]` says row i is an issue the viewer may not browse; its
    visible descendants move up to the nearest visible ancestor, keeping their order
    (`forest_for_viewer` on rows, as two int lists and no object per row)."""
    keep: list[int] = []
    new_depths: list[int] = []
    stack: list[int] = []  # original depths of the visible ancestors of the next row
    for index, (depth, gone) in enumerate(zip(depths, hidden, strict=True)):
        while stack and stack[-1] >= depth:
            stack.pop()
        if gone:
            continue
        keep.append(index)
        new_depths.append(len(stack))
        stack.append(depth)
    return keep, new_depths


def forest_formula(rows: Iterable[Row]) -> str:
    """The incumbent's compact form: ``rowId:depth:item``, non-issues as ``type/id``."""
    parts = []
    for row in rows:
        item = (
            str(row.item_id)
            if row.item_type == ITEM_ISSUE
            else f"{ITEM_TYPE_NAMES[row.item_type]}/{row.item_id}"
        )
        parts.append(f"{row.row_id}:{row.depth}:{item}")
    return ",".join(parts)


# --- parsing client actions -------------------------------------------------------------


def _int_or_none(data: dict[str, Any], key: str, index: int) -> int | None:
    value = data.get(key)
    if value is None:
        return None
    if (
        isinstance(value, bool)
        or not isinstance(value, int)
        or not -_MAX_ID <= value <= _MAX_ID
    ):
        raise ForestError(f"'{key}' must be a row ID (integer) or null", index=index)
    if value == 0:
        raise ForestError(f"'{key}' must not be 0", index=index)
    return int(value)


def _row(data: dict[str, Any], key: str, index: int) -> int:
    value = _int_or_none(data, key, index)
    if value is None:
        raise ForestError(f"'{key}' is required", index=index)
    return value


def _temp_id(data: dict[str, Any], index: int) -> int | None:
    value = _int_or_none(data, "tempId", index)
    if value is not None and value >= 0:
        raise ForestError("'tempId' must be a negative integer", index=index)
    return value


def actions_parse(
    raw: Sequence[Any], *, max_actions: int = MAX_ACTIONS
) -> list[Action]:
    """Client JSON actions → typed actions, with a clear message for the first bad one."""
    if len(raw) > max_actions:
        raise ForestError(f"at most {max_actions} actions per request; got {len(raw)}")
    actions: list[Action] = []
    for index, data in enumerate(raw):
        if not isinstance(data, dict):
            raise ForestError("an action must be an object", index=index)
        op = data.get("op")
        if op == "add":
            item = data.get("item")
            if not isinstance(item, dict):
                raise ForestError(
                    '\'item\' must be an object like {"type": "issue", "id": 10001}',
                    index=index,
                )
            kind = item.get("type")
            if kind not in ITEM_TYPES:
                raise ForestError(
                    f"unknown item type {kind!r}; expected one of "
                    f"{', '.join(sorted(ITEM_TYPES))}",
                    index=index,
                )
            item_id = item.get("id")
            if (
                isinstance(item_id, bool)
                or not isinstance(item_id, int)
                or not 0 < item_id <= _MAX_ID
            ):
                raise ForestError("'item.id' must be a positive integer", index=index)
            actions.append(
                AddAction(
                    ITEM_TYPES[kind],
                    item_id,
                    _int_or_none(data, "under", index),
                    _int_or_none(data, "after", index),
                    _temp_id(data, index),
                )
            )
        elif op == "move":
            actions.append(
                MoveAction(
                    _row(data, "row", index),
                    _int_or_none(data, "under", index),
                    _int_or_none(data, "after", index),
                )
            )
        elif op == "remove":
            actions.append(RemoveAction(_row(data, "row", index)))
        elif op == "copy":
            actions.append(
                CopyAction(
                    _row(data, "row", index),
                    _int_or_none(data, "under", index),
                    _int_or_none(data, "after", index),
                    _temp_id(data, index),
                )
            )
        else:
            raise ForestError(
                f"unknown op {op!r}; expected add, move, remove or copy", index=index
            )
    return actions


def generated_moves(actions: Sequence[Action]) -> list[MoveAction]:
    """The batch's moves if it only moves generated rows (negative row IDs that no
    earlier action made as a tempId), else []; a batch that mixes them with other
    actions is refused: generated moves are stored as rules, not forest edits."""
    temp_ids: set[int] = set()
    generated: list[MoveAction] = []
    for action in actions:
        if isinstance(action, AddAction | CopyAction) and action.temp_id is not None:
            temp_ids.add(action.temp_id)
        elif (
            isinstance(action, MoveAction)
            and action.row < 0
            and action.row not in temp_ids
        ):
            generated.append(action)
    if generated and len(generated) != len(actions):
        raise ForestError(
            "moves of generated rows (negative row IDs) go in a request of their own"
        )
    return generated
