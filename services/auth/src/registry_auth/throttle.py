"""Brute-force protection for /authenticate.

Failures are counted per (client, user) pair and per client. After `free_failures`
consecutive failures the pair must wait, doubling from one second up to `max_delay`; a
success clears the pair. The wait is per client, never per user, so an attacker hammering the
default admin's name from one address cannot lock out the real admin elsewhere, and a client
that mistypes a few times is never slowed down at all.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from registry_common.errors import RegistryError


class TooManyAttempts(RegistryError):
    status = 429
    code = "too_many_attempts"


@dataclass
class _Record:
    failures: int = 0
    blocked_until: float = 0.0
    last_seen: float = 0.0


class LoginThrottle:
    def __init__(
        self,
        *,
        free_failures: int = 10,
        client_free_failures: int = 100,
        max_delay: float = 60.0,
        forget_after: float = 900.0,
        clock: Callable[[], float] = time.monotonic,
        max_entries: int = 100_000,
    ) -> None:
        self._free = free_failures
        self._client_free = client_free_failures
        self._max_delay = max_delay
        self._forget_after = forget_after
        self._clock = clock
        self._max_entries = max_entries
        self._records: dict[tuple[str, str], _Record] = {}

    def check(self, client: str, user: str) -> None:
        """Raise TooManyAttempts (429, with Retry-After) while the caller must wait."""
        now = self._clock()
        for key in ((client, user), (client, "*")):
            record = self._records.get(key)
            if record is not None and record.blocked_until > now:
                wait = int(record.blocked_until - now) + 1
                raise TooManyAttempts(
                    f"Too many failed sign-ins from this client; wait {wait} s and try again.",
                    details={"retry_after": wait},
                )

    def failed(self, client: str, user: str) -> None:
        now = self._clock()
        self._bump((client, user), self._free, now)
        self._bump((client, "*"), self._client_free, now)
        if len(self._records) > self._max_entries:
            self._evict(now)

    def succeeded(self, client: str, user: str) -> None:
        self._records.pop((client, user), None)

    def _bump(self, key: tuple[str, str], free: int, now: float) -> None:
        record = self._records.get(key)
        if record is None or now - record.last_seen > self._forget_after:
            record = self._records[key] = _Record()
        record.failures += 1
        record.last_seen = now
        over = record.failures - free  # 0 on the last free failure: the next attempt waits
        if over >= 0:
            record.blocked_until = now + min(2.0**over, self._max_delay)

    def _evict(self, now: float) -> None:
        for key in [k for k, r in self._records.items() if now - r.last_seen > self._forget_after]:
            del self._records[key]
