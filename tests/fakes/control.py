"""Test-facing switches shared by both fakes: injected failures and a log of requests seen.

The servers run in another thread (or process), so every mutation goes through a lock.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

ANY_REPO = "*"


@dataclass
class FailureRule:
    status: int
    remaining: int | None  # None = fail until cleared
    retry_after: int | None = None


@dataclass(frozen=True)
class RecordedRequest:
    method: str
    path: str
    query: str
    status: int
    authorization: str | None


@dataclass
class ServerControl:
    """Failure injection keyed by repository id (or ``ANY_REPO``) plus a request log."""

    _failures: dict[str, FailureRule] = field(default_factory=dict)
    _requests: list[RecordedRequest] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def fail(
        self,
        repo: str = ANY_REPO,
        *,
        status: int = 503,
        times: int | None = None,
        retry_after: int | None = None,
    ) -> None:
        """Answer ``status`` to requests touching ``repo``: ``times`` times, or until cleared.

        403/429 on the GitHub fake are rate-limit answers; 5xx are server errors; on the Hub fake
        429 carries ``Retry-After`` like the real one.
        """
        with self._lock:
            self._failures[repo.lower()] = FailureRule(
                status=status, remaining=times, retry_after=retry_after
            )

    def clear_failures(self) -> None:
        with self._lock:
            self._failures.clear()

    def take_failure(self, repo: str | None) -> FailureRule | None:
        """Consume one injected failure matching ``repo`` (exact id first, then the wildcard)."""
        with self._lock:
            keys = ([repo.lower()] if repo else []) + [ANY_REPO]
            for key in keys:
                rule = self._failures.get(key)
                if rule is None:
                    continue
                if rule.remaining is not None:
                    rule.remaining -= 1
                    if rule.remaining <= 0:
                        del self._failures[key]
                return FailureRule(rule.status, rule.remaining, rule.retry_after)
            return None

    def record(self, request: RecordedRequest) -> None:
        with self._lock:
            self._requests.append(request)

    @property
    def requests(self) -> list[RecordedRequest]:
        with self._lock:
            return list(self._requests)

    def clear_requests(self) -> None:
        with self._lock:
            self._requests.clear()

    def reset(self) -> None:
        """Back to a healthy server with an empty log (subclasses extend this)."""
        self.clear_failures()
        self.clear_requests()
