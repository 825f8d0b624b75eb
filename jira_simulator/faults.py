"""Injectable faults and Jira's per-tenant rate limit."""

from __future__ import annotations

import datetime as dt
import math
import random
import threading
import time
from dataclasses import asdict, dataclass, field
from typing import Any


class FaultConfigError(ValueError):
    pass


@dataclass
class Faults:
    """What goes wrong, and where.

    `endpoint` limits the faults to one endpoint, written as in the call counters
    ("POST /rest/api/3/issue/bulkfetch") or as a bare path; `times` limits them to the
    next N matching calls. Rates are probabilities in [0, 1]; 1.0 means every call.
    """

    latency_ms: int = 0
    error_rate: float = 0.0
    error_status: int = 503
    reset_rate: float = 0.0
    slow_body_ms: int = 0  # pause between body chunks
    endpoint: str | None = None
    times: int | None = None
    rate_limit_per_s: float | None = None  # token bucket refill per installation
    rate_limit_burst: int | None = None  # bucket size (defaults to the per-second rate)
    seed: int | None = None

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Faults:
        names = set(cls.__dataclass_fields__)
        camel = {
            "latencyMs": "latency_ms",
            "errorRate": "error_rate",
            "errorStatus": "error_status",
            "resetRate": "reset_rate",
            "slowBodyMs": "slow_body_ms",
            "rateLimitPerS": "rate_limit_per_s",
            "rateLimitBurst": "rate_limit_burst",
        }
        kwargs: dict[str, Any] = {}
        for key, value in data.items():
            name = camel.get(key, key)
            if name not in names:
                raise FaultConfigError(f"unknown fault option {key!r}")
            kwargs[name] = value
        faults = cls(**kwargs)
        faults.validate()
        return faults

    def validate(self) -> None:
        for name in ("error_rate", "reset_rate"):
            value = getattr(self, name)
            if not isinstance(value, int | float) or not 0 <= value <= 1:
                raise FaultConfigError(f"{name} must be a number between 0 and 1")
        for name in ("latency_ms", "slow_body_ms"):
            value = getattr(self, name)
            if not isinstance(value, int) or value < 0:
                raise FaultConfigError(f"{name} must be a non-negative integer")
        if (
            not isinstance(self.error_status, int)
            or not 400 <= self.error_status <= 599
        ):
            raise FaultConfigError(
                "error_status must be an HTTP error status (400-599)"
            )
        if self.times is not None and (
            not isinstance(self.times, int) or self.times < 0
        ):
            raise FaultConfigError("times must be a non-negative integer")
        if self.rate_limit_per_s is not None and (
            not isinstance(self.rate_limit_per_s, int | float)
            or self.rate_limit_per_s <= 0
        ):
            raise FaultConfigError("rate_limit_per_s must be a positive number")
        if self.rate_limit_burst is not None and (
            not isinstance(self.rate_limit_burst, int) or self.rate_limit_burst < 1
        ):
            raise FaultConfigError("rate_limit_burst must be a positive integer")

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def parse_rate(text: str) -> float:
    """ "10/s", "600/min" or "10" → requests per second."""
    value, _, unit = text.strip().partition("/")
    try:
        number = float(value)
    except ValueError:
        raise FaultConfigError(f"bad rate {text!r}: use N/s or N/min") from None
    unit = unit.strip().lower() or "s"
    if unit in ("s", "sec", "second"):
        rate = number
    elif unit in ("m", "min", "minute"):
        rate = number / 60
    else:
        raise FaultConfigError(f"bad rate unit in {text!r}: use /s or /min")
    if rate <= 0:
        raise FaultConfigError("a rate limit must be positive")
    return rate


@dataclass
class Decision:
    latency_s: float = 0.0
    error_status: int | None = None
    reset: bool = False
    slow_body_s: float = 0.0


@dataclass
class _Bucket:
    tokens: float
    stamp: float


@dataclass
class RateLimitResult:
    allowed: bool
    limit: int
    remaining: int
    retry_after_s: int
    reset_at: dt.datetime


@dataclass
class FaultState:
    """Thread-safe holder of the current faults and the rate-limit buckets."""

    faults: Faults = field(default_factory=Faults)
    buckets: dict[str, _Bucket] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)
    rng: random.Random = field(default_factory=random.Random)

    def set(self, faults: Faults) -> None:
        faults.validate()
        with self.lock:
            self.faults = faults
            self.buckets.clear()
            self.rng = random.Random(faults.seed)

    def decide(self, endpoint: str, path: str) -> Decision:
        with self.lock:
            f = self.faults
            if f.endpoint and f.endpoint not in (
                endpoint,
                path,
                endpoint.split(" ", 1)[-1],
            ):
                return Decision()
            active = (
                f.latency_ms or f.error_rate or f.reset_rate or f.slow_body_ms
            ) and f.times != 0
            if not active:
                return Decision()
            if f.times is not None:
                f.times -= 1
            decision = Decision(
                latency_s=f.latency_ms / 1000, slow_body_s=f.slow_body_ms / 1000
            )
            if f.reset_rate and self.rng.random() < f.reset_rate:
                decision.reset = True
            elif f.error_rate and self.rng.random() < f.error_rate:
                decision.error_status = f.error_status
            return decision

    def take_token(self, tenant: str) -> RateLimitResult | None:
        """Spend one request from the tenant's bucket; None when no limit is set."""
        with self.lock:
            rate = self.faults.rate_limit_per_s
            if rate is None:
                return None
            burst = self.faults.rate_limit_burst or max(1, math.ceil(rate))
            now = time.monotonic()
            bucket = self.buckets.get(tenant)
            if bucket is None:
                bucket = self.buckets[tenant] = _Bucket(float(burst), now)
            bucket.tokens = min(
                float(burst), bucket.tokens + (now - bucket.stamp) * rate
            )
            bucket.stamp = now
            allowed = bucket.tokens >= 1
            if allowed:
                bucket.tokens -= 1
            missing = max(0.0, 1 - bucket.tokens)
            retry_after = max(1, math.ceil(missing / rate)) if not allowed else 0
            full_in = (burst - bucket.tokens) / rate
            reset_at = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=full_in)
            return RateLimitResult(
                allowed, burst, int(bucket.tokens), retry_after, reset_at
            )
