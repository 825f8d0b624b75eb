"""A per-process cache of forest chunk payloads, keyed by chunk ID.

Safe without invalidation because chunks never change once written and PostgreSQL
never hands out a sequence value twice; entries are added only for committed chunks
(reads, or a write's `on_commit`). Other databases (SQLite for the demo can reuse the
IDs of deleted rows) get no cache. Bounded by `HIERARCHIES_CHUNK_CACHE_BYTES`.
"""

import threading
from collections import OrderedDict
from collections.abc import Iterable

from django.conf import settings
from django.db import connection

_lock = threading.Lock()
_entries: OrderedDict[int, tuple[int, bytes]] = OrderedDict()
_bytes = 0


def _limit() -> int:
    return int(getattr(settings, "HIERARCHIES_CHUNK_CACHE_BYTES", 64 * 1024 * 1024))


def enabled() -> bool:
    return connection.vendor == "postgresql" and _limit() > 0


def chunks_get(ids: Iterable[int]) -> dict[int, tuple[int, bytes]]:
    """The cached (size, payload) of those IDs that are cached."""
    found = {}
    with _lock:
        for cid in ids:
            entry = _entries.get(cid)
            if entry is not None:
                _entries.move_to_end(cid)
                found[cid] = entry
    return found


def chunks_put(chunks: dict[int, tuple[int, bytes]]) -> None:
    """Remember committed chunks; evicts least recently used ones past the limit."""
    global _bytes
    if not enabled():
        return
    limit = _limit()
    with _lock:
        for cid, entry in chunks.items():
            if cid not in _entries:
                _entries[cid] = entry
                _bytes += len(entry[1])
        while _bytes > limit and _entries:
            _, (_, payload) = _entries.popitem(last=False)
            _bytes -= len(payload)


def clear() -> None:
    global _bytes
    with _lock:
        _entries.clear()
        _bytes = 0
