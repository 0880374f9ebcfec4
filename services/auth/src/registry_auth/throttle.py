"""Brute-force protection for /authenticate, with no global lockout.

Failures are counted under three keys, each with its own allowance of free failures after
which the next attempt must wait (doubling from one second up to a cap):

- one client on one account (`free_failures`, up to `max_delay`): a guesser at one address
  is stopped on that account, while the account's owner elsewhere is not;
- one client across accounts (`client_free_failures`, up to `max_delay`): password spraying
  from one address is stopped, while other addresses are not;
- one account across clients (`account_free_failures`, up to `account_max_delay`, a few
  seconds): a guesser spread over many addresses gets few guesses. Clients that signed in to
  the account before are exempt, so the owner's usual machine is never locked out by
  strangers, and the cap bounds what a new machine of the owner's can be made to wait.

While a key waits, attempts under it are refused without being counted, so a flood from one
address adds at most one failure per wait to the account's count. A success clears its
(client, account) key and remembers the client for that account.

The client is the address the gateway established (X-Forwarded-For from trusted proxies
only); IPv6 clients are counted per /64, the block one subscriber usually holds. State is
in memory, per auth process: a restart forgets it, and N auth processes allow N times the
failures (see docs/decisions.md).
"""

from __future__ import annotations

import ipaddress
import time
from collections.abc import Callable
from dataclasses import dataclass

from registry_common.errors import TooManyRequests

ANY = "*"


class TooManyAttempts(TooManyRequests):
    code = "too_many_attempts"


@dataclass
class _Record:
    failures: int = 0
    blocked_until: float = 0.0
    last_seen: float = 0.0


def client_key(client: str) -> str:
    """The unit a client is counted in: its IPv4 address, or its IPv6 /64."""
    try:
        address = ipaddress.ip_address(client)
    except ValueError:
        return client
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is None:
        return str(ipaddress.IPv6Network((address, 64), strict=False))
    mapped = getattr(address, "ipv4_mapped", None)
    return str(mapped or address)


class LoginThrottle:
    def __init__(
        self,
        *,
        free_failures: int = 10,
        client_free_failures: int = 100,
        account_free_failures: int = 50,
        max_delay: float = 60.0,
        account_max_delay: float = 5.0,
        forget_after: float = 900.0,
        remember_success: float = 30 * 86400.0,
        known_clients_per_account: int = 16,
        clock: Callable[[], float] = time.monotonic,
        max_entries: int = 100_000,
    ) -> None:
        self._free = free_failures
        self._client_free = client_free_failures
        self._account_free = account_free_failures
        self._max_delay = max_delay
        self._account_max_delay = account_max_delay
        self._forget_after = forget_after
        self._remember_success = remember_success
        self._known_per_account = known_clients_per_account
        self._clock = clock
        self._max_entries = max_entries
        self._records: dict[tuple[str, str], _Record] = {}
        # account -> {client: when it last signed in}; insertion order is age order.
        self._known: dict[str, dict[str, float]] = {}

    def check(self, client: str, user: str) -> None:
        """Raise TooManyAttempts (429, with Retry-After) while the caller must wait."""
        now = self._clock()
        client = client_key(client)
        checks = [
            ((client, user), "Too many failed sign-ins to this account from your address"),
            ((client, ANY), "Too many failed sign-ins from your address"),
        ]
        if not self._is_known(client, user, now):
            checks.append(((ANY, user), "Too many failed sign-ins to this account recently"))
        for key, reason in checks:
            record = self._records.get(key)
            if record is not None and record.blocked_until > now:
                wait = record.blocked_until - now
                raise TooManyAttempts(
                    f"{reason}; wait {max(1, int(wait + 0.999))} s and try again.",
                    retry_after=wait,
                )

    def failed(self, client: str, user: str) -> None:
        now = self._clock()
        client = client_key(client)
        self._bump((client, user), self._free, self._max_delay, now)
        self._bump((client, ANY), self._client_free, self._max_delay, now)
        self._bump((ANY, user), self._account_free, self._account_max_delay, now)
        if len(self._records) > self._max_entries:
            self._evict(now)

    def succeeded(self, client: str, user: str) -> None:
        now = self._clock()
        client = client_key(client)
        self._records.pop((client, user), None)
        known = self._known.setdefault(user, {})
        known.pop(client, None)  # re-inserted as the newest
        known[client] = now
        while len(known) > self._known_per_account:
            del known[next(iter(known))]
        if len(self._known) > self._max_entries:
            self._evict(now)

    def _is_known(self, client: str, user: str, now: float) -> bool:
        seen = self._known.get(user, {}).get(client)
        return seen is not None and now - seen <= self._remember_success

    def _bump(self, key: tuple[str, str], free: int, cap: float, now: float) -> None:
        record = self._records.get(key)
        if record is None or now - record.last_seen > self._forget_after:
            record = self._records[key] = _Record()
        record.failures += 1
        record.last_seen = now
        over = record.failures - free  # 0 on the last free failure: the next attempt waits
        if over >= 0:
            record.blocked_until = now + min(2.0 ** min(over, 64), cap)

    def _evict(self, now: float) -> None:
        """Forget stale entries; under a flood of fresh ones (many addresses), the oldest
        half, so memory stays bounded whatever the attacker sends."""
        for key in [k for k, r in self._records.items() if now - r.last_seen > self._forget_after]:
            del self._records[key]
        if len(self._records) > self._max_entries:
            oldest = sorted(self._records, key=lambda k: self._records[k].last_seen)
            for key in oldest[: len(oldest) // 2]:
                del self._records[key]
        for user in [u for u, k in self._known.items() if not k]:
            del self._known[user]
        if len(self._known) > self._max_entries:
            for user in list(self._known)[: len(self._known) // 2]:
                del self._known[user]
