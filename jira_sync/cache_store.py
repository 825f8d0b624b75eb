"""Batch access to the `jira` cache: one Redis round trip per batch, collapsed misses.

Internal to jira_sync (selectors and services use it). On Redis (django-redis) reads
are MGET in chunks, writes one pipeline per chunk, concurrent misses for the same key
collapse into one fetch through a per-key `SET NX PX` lock, and namespaces are purged
with SCAN (never FLUSHDB: other apps share the server). Without REDIS_URL (the local
demo) Django's local-memory cache is used, without locks.
"""

import logging
import pickle
import random
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, cast

from django.conf import settings
from django.core.cache import BaseCache, caches
from django.core.cache.backends.base import default_key_func
from django.core.cache.backends.locmem import LocMemCache
from django_redis.client import DefaultClient
from django_redis.compressors.identity import IdentityCompressor
from django_redis.serializers.pickle import PickleSerializer
from redis import Redis

from jira_sync import cache_keys

logger = logging.getLogger(__name__)

BATCH_KEYS = 2000  # keys per MGET / pipeline: bounded command size, few round trips
LOCK_POLL_S = 0.05
ACTIVE_USER_KEEP_S = 2 * 3600
ACTIVE_TOUCH_EVERY_S = 60.0

_RELEASE_LOCKS = """
local n = 0
for _, key in ipairs(KEYS) do
  if redis.call('GET', key) == ARGV[1] then
    redis.call('DEL', key)
    n = n + 1
  end
end
return n
"""


def jira_cache() -> BaseCache:
    return caches["jira"]


def _redis(cache: BaseCache) -> Redis | None:
    client = getattr(cache, "client", None)
    if client is None or not hasattr(client, "get_client"):
        return None
    return cast(Redis, client.get_client(write=True))


def _chunks(items: Sequence[str], size: int = BATCH_KEYS) -> Iterable[Sequence[str]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _fast_mget(
    cache: BaseCache,
) -> tuple[Redis, str, Callable[[bytes | str], Any]] | None:
    """(client, full key prefix, decode) when the cache is django-redis with its
    default key function, pickle serializer and no compression, else None.

    django-redis's own get_many builds each key through three calls and decodes each
    value by first trying int() and catching the error: about 15 us per key, which is
    most of a warm read of 30,000 issues. This reads the same bytes the same way.
    """
    client = getattr(cache, "client", None)
    if (
        not isinstance(client, DefaultClient)
        or not isinstance(getattr(client, "_serializer", None), PickleSerializer)
        or not isinstance(getattr(client, "_compressor", None), IdentityCompressor)
        or getattr(cache, "key_func", None) is not default_key_func
    ):
        return None

    def decode(value: bytes | str) -> Any:
        # django-redis stores ints as digits and everything else pickled (protocol
        # 2+ output starts with 0x80); anything else goes through its own decode.
        if isinstance(value, bytes) and value[:1] == b"\x80":
            return pickle.loads(value)  # noqa: S301  (our own cache entries)
        return client.decode(value)

    return client.get_client(write=False), cache.make_key(""), decode


def get_many(keys: Sequence[str]) -> dict[str, Any]:
    """Cached values of `keys` that exist (one MGET per 2000 keys)."""
    unique = list(dict.fromkeys(keys))
    return {
        k: v for k, v in zip(unique, get_list(unique), strict=True) if v is not None
    }


def get_list(keys: Sequence[str]) -> list[Any]:
    """The cached value of each of `keys`, in order; None where absent.

    For big batches read in a loop (a warm regeneration reads 30,000 issues): no
    intermediate dict, values decoded in one pass per MGET.
    """
    cache = jira_cache()
    fast = _fast_mget(cache)
    if fast is None:
        out: list[Any] = []
        for chunk in _chunks(keys):
            found = cache.get_many(chunk)
            out += [found.get(k) for k in chunk]
        return out
    redis, prefix, decode = fast
    loads = pickle.loads
    values: list[Any] = []
    for chunk in _chunks(keys):
        values += redis.mget([prefix + k for k in chunk])
    # django-redis stores ints as digits and everything else pickled (protocol 2+
    # output starts with 0x80); anything else goes through its own decode.
    return [
        None
        if v is None
        else loads(v)  # our own cache entries
        if isinstance(v, bytes) and v[:1] == b"\x80"
        else decode(v)
        for v in values
    ]


def set_many(data: Mapping[str, Any], ttl: int) -> None:
    """Store `data` for `ttl` seconds (one pipeline per 2000 keys); None is never stored."""
    if ttl <= 0:
        raise ValueError("a Jira cache entry must expire")
    values = {k: v for k, v in data.items() if v is not None}
    cache = jira_cache()
    keys = list(values)
    for chunk in _chunks(keys):
        cache.set_many({k: values[k] for k in chunk}, timeout=ttl)


def delete_many(keys: Sequence[str]) -> None:
    if keys:
        jira_cache().delete_many(list(keys))


def ttl_remaining(key: str) -> int | None:
    """Seconds until `key` expires; None if absent or unknown (local-memory cache)."""
    cache = jira_cache()
    if _redis(cache) is None:
        return None
    remaining = cache.ttl(key)  # type: ignore[attr-defined]
    return int(remaining) if remaining and remaining > 0 else None


def incr(key: str, ttl: int) -> int:
    """Increment a counter (created at 1), keeping it for `ttl` seconds."""
    cache = jira_cache()
    if cache.add(key, 1, timeout=ttl):
        return 1
    try:
        value = int(cache.incr(key))
    except ValueError:  # expired between add and incr
        cache.add(key, 1, timeout=ttl)
        return 1
    cache.touch(key, timeout=ttl)
    return value


def _glob_escape(text: str) -> str:
    return "".join(f"\\{c}" if c in "*?[]\\" else c for c in text)


def keys_with_prefix(prefix: str) -> list[str]:
    """Every key (as the builders spell it) that starts with `prefix`, via SCAN."""
    cache = jira_cache()
    redis = _redis(cache)
    if redis is None:
        return [k for k in _locmem_keys(cache) if k.startswith(prefix)]
    full_prefix = cache.make_key(prefix)
    strip = len(full_prefix) - len(prefix)
    return [
        (k.decode() if isinstance(k, bytes) else str(k))[strip:]
        for k in redis.scan_iter(match=_glob_escape(full_prefix) + "*", count=1000)
    ]


def delete_prefix(prefix: str, suffix: str = "") -> int:
    """Delete every key `prefix*suffix` (SCAN + batched DEL); the count deleted."""
    cache = jira_cache()
    redis = _redis(cache)
    if redis is None:
        keys = [
            k
            for k in _locmem_keys(cache)
            if k.startswith(prefix) and k.endswith(suffix)
        ]
        cache.delete_many(keys)
        return len(keys)
    pattern = _glob_escape(cache.make_key(prefix)) + "*" + _glob_escape(suffix)
    deleted = 0
    batch: list[Any] = []
    for key in redis.scan_iter(match=pattern, count=1000):
        batch.append(key)
        if len(batch) >= 500:
            deleted += int(redis.delete(*batch))
            batch = []
    if batch:
        deleted += int(redis.delete(*batch))
    return deleted


def _locmem_keys(cache: BaseCache) -> list[str]:
    if not isinstance(cache, LocMemCache):
        return []
    # Local-memory keys are "<KEY_PREFIX>:<version>:<key>"; reverse make_key.
    probe = cache.make_key("")
    with cache._lock:  # type: ignore[attr-defined]
        full = list(cache._cache)  # type: ignore[attr-defined]
    return [k[len(probe) :] for k in full if k.startswith(probe)]


# ---- collapsed fills -----------------------------------------------------------------


def get_or_fill(
    keys: Sequence[str],
    *,
    fetch: Callable[[list[str]], Mapping[str, Any]],
    ttl: int,
    usable: Callable[[Any], bool] | None = None,
) -> dict[str, Any]:
    """Values of `keys`: cached ones, the rest fetched once (`fetch(missing_keys)`)."""
    hits = {k: v for k, v in get_many(keys).items() if usable is None or usable(v)}
    missing = [k for k in dict.fromkeys(keys) if k not in hits]
    if missing:
        hits.update(fill_misses(missing, fetch=fetch, ttl=ttl, usable=usable))
    return hits


def fill_misses(
    keys: Sequence[str],
    *,
    fetch: Callable[[list[str]], Mapping[str, Any]],
    ttl: int,
    usable: Callable[[Any], bool] | None = None,
) -> dict[str, Any]:
    """Fetch `keys` (known misses), store them, and return what was found.

    Each key is locked (`SET NX PX`) by whoever misses it first; a caller that finds
    a key locked waits for the holder's result instead of asking Jira again, and
    takes over if the holder gives up (lock released or expired with no value).
    """
    cache = jira_cache()
    redis = _redis(cache)
    if redis is None:
        fetched = dict(fetch(list(keys)))
        set_many(fetched, ttl)
        return fetched
    lock_s: float = settings.JIRA_CACHE_LOCK_TIMEOUT_S
    token = random.getrandbits(62) + 1  # an int: django-redis stores and reads it raw
    lock_keys = {k: cache.make_key(cache_keys.lock(k)) for k in keys}
    # MULTI/EXEC: two callers missing the same keys must not interleave their SET NX
    # and each win part of them, which would cost Jira one fetch per caller.
    pipe = redis.pipeline(transaction=True)
    for k in keys:
        pipe.set(lock_keys[k], token, nx=True, px=int(lock_s * 1000))
    acquired = pipe.execute()
    owned = [k for k, ok in zip(keys, acquired, strict=True) if ok]
    pending = [k for k, ok in zip(keys, acquired, strict=True) if not ok]
    result: dict[str, Any] = {}
    if owned:
        try:
            # Double-check under the lock: another caller may have filled a key
            # between our miss and our lock (it held the lock, stored, released).
            filled = {
                k: v
                for k, v in cache.get_many(owned).items()
                if v is not None and (usable is None or usable(v))
            }
            result.update(filled)
            missing = [k for k in owned if k not in filled]
            if missing:
                fetched = dict(fetch(missing))
                set_many(fetched, ttl)
                result.update(fetched)
        finally:
            redis.eval(
                _RELEASE_LOCKS, len(owned), *[lock_keys[k] for k in owned], token
            )
    if pending:
        result.update(_wait_for(pending, fetch=fetch, ttl=ttl, usable=usable))
    return result


def _wait_for(
    keys: Sequence[str],
    *,
    fetch: Callable[[list[str]], Mapping[str, Any]],
    ttl: int,
    usable: Callable[[Any], bool] | None,
) -> dict[str, Any]:
    cache = jira_cache()
    deadline = time.monotonic() + settings.JIRA_CACHE_LOCK_TIMEOUT_S
    result: dict[str, Any] = {}
    waiting = list(keys)
    while waiting and time.monotonic() < deadline:
        time.sleep(LOCK_POLL_S)
        lock_names = [cache_keys.lock(k) for k in waiting]
        seen = cache.get_many(waiting + lock_names)
        still: list[str] = []
        orphaned: list[str] = []
        for k in waiting:
            value = seen.get(k)
            if value is not None and (usable is None or usable(value)):
                result[k] = value
            elif cache_keys.lock(k) in seen:
                still.append(k)
            else:
                orphaned.append(k)
        if orphaned:
            # The holder finished without a value (not found, or it failed): ask
            # Jira ourselves rather than wait for nothing.
            fetched = dict(fetch(orphaned))
            set_many(fetched, ttl)
            result.update(fetched)
        waiting = still
    if waiting:
        logger.warning("cache lock wait timed out for %d key(s)", len(waiting))
        fetched = dict(fetch(waiting))
        set_many(fetched, ttl)
        result.update(fetched)
    return result


# ---- active users --------------------------------------------------------------------

_touched: dict[tuple[str, str], float] = {}
_touched_lock = threading.Lock()


def active_user_touch(client_key: str, account_id: str) -> None:
    """Record that `account_id` read their permissions now (at most once a minute)."""
    now = time.time()
    memo = (client_key, account_id)
    with _touched_lock:
        if now - _touched.get(memo, 0.0) < ACTIVE_TOUCH_EVERY_S:
            return
        _touched[memo] = now
        if len(_touched) > 100_000:
            _touched.clear()
    cache = jira_cache()
    key = cache_keys.active_users(client_key)
    redis = _redis(cache)
    if redis is None:
        users = cache.get(key) or {}
        users[account_id] = now
        cache.set(key, users, ACTIVE_USER_KEEP_S)
        return
    full = cache.make_key(key)
    pipe = redis.pipeline(transaction=False)
    pipe.zadd(full, {account_id: now})
    pipe.zremrangebyscore(full, "-inf", now - ACTIVE_USER_KEEP_S)
    pipe.expire(full, ACTIVE_USER_KEEP_S)
    pipe.execute()


def active_users_since(client_key: str, since: float) -> list[str]:
    """AccountIds of a tenant whose permissions were read at or after `since`."""
    cache = jira_cache()
    key = cache_keys.active_users(client_key)
    redis = _redis(cache)
    if redis is None:
        users: dict[str, float] = cache.get(key) or {}
        return sorted(a for a, seen in users.items() if seen >= since)
    members = redis.zrangebyscore(cache.make_key(key), since, "+inf")
    return [m.decode() if isinstance(m, bytes) else str(m) for m in members]


def active_user_memo_clear() -> None:
    """Forget the in-process throttle of `active_user_touch` (tests, purge)."""
    with _touched_lock:
        _touched.clear()
