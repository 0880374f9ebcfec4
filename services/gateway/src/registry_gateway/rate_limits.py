"""Per-user rate limits on the expensive routes: a token bucket per (route group, user).

A bucket holds up to `per_minute` tokens (so a burst of one minute's worth passes) and
refills continuously at `per_minute` a minute; each request takes one. An empty bucket
answers 429 with the seconds until the next token in `Retry-After`.

The buckets live in the gateway process. Embedded mode has one gateway, so the limit is
exact; in distributed mode each gateway task keeps its own buckets, so a user spread over N
tasks by the balancer gets up to N times the limit (stated in docs/decisions.md). That bounds
what one account can cost; it is not a quota.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from registry_common.errors import TooManyRequests


class RateLimited(TooManyRequests):
    code = "rate_limited"


@dataclass
class _Bucket:
    tokens: float
    updated: float


class TokenBuckets:
    """One bucket per key; the least recently used keys are dropped past `max_keys` (a
    dropped key starts again full, which only ever errs towards letting a request through)."""

    def __init__(
        self,
        per_minute: float,
        *,
        clock: Callable[[], float] = time.monotonic,
        max_keys: int = 100_000,
    ) -> None:
        if per_minute <= 0:
            raise ValueError("a token bucket needs a positive rate")
        self.per_minute = per_minute
        self._rate = per_minute / 60.0
        self._capacity = float(per_minute)
        self._clock = clock
        self._max_keys = max_keys
        self._buckets: OrderedDict[str, _Bucket] = OrderedDict()

    def take(self, key: str) -> float:
        """Take one token: 0.0 if one was there, else the seconds until one will be."""
        now = self._clock()
        bucket = self._buckets.pop(key, None) or _Bucket(self._capacity, now)
        bucket.tokens = min(self._capacity, bucket.tokens + (now - bucket.updated) * self._rate)
        bucket.updated = now
        self._buckets[key] = bucket  # most recently used last
        if len(self._buckets) > self._max_keys:
            self._buckets.popitem(last=False)
        if bucket.tokens >= 1.0:
            bucket.tokens -= 1.0
            return 0.0
        return (1.0 - bucket.tokens) / self._rate


# What each limited route group is called in the 429's sentence.
DESCRIPTIONS = {
    "regex": "regular-expression searches",
    "ingest": "artifact registrations and uploads",
}


class RateLimits:
    """The configured limits by route group; a group without one is unlimited."""

    def __init__(
        self, per_minute: Mapping[str, int], *, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._groups = {
            group: TokenBuckets(limit, clock=clock) for group, limit in per_minute.items() if limit
        }

    def spend(self, group: str, user: str) -> None:
        """Count one request of `user` in `group`; raises RateLimited (429) when over."""
        buckets = self._groups.get(group)
        if buckets is None:
            return
        wait = buckets.take(user)
        if wait > 0:
            seconds = max(1, int(wait + 0.999))
            raise RateLimited(
                f"You have made too many {DESCRIPTIONS.get(group, group)} (the limit is "
                f"{buckets.per_minute:g} a minute per user); wait {seconds} s and try again.",
                retry_after=wait,
            )
