"""Bounded retries with backoff for upstream hubs: few attempts, a cap on total waiting."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from registry_common.outbound import parse_retry_after

__all__ = ["RETRYABLE_STATUSES", "RetryPolicy", "parse_retry_after"]

RETRYABLE_STATUSES: Final = frozenset({408, 425, 429, 500, 502, 503, 504})


@dataclass(frozen=True)
class RetryPolicy:
    """``attempts`` tries in all; exponential backoff from ``base_delay``; ``Retry-After`` is
    honoured while the total wait stays within ``max_total_wait`` seconds."""

    attempts: int = 3
    base_delay: float = 0.25
    max_delay: float = 2.0
    max_total_wait: float = 4.0

    def next_delay(self, attempt: int, retry_after: float | None, waited: float) -> float | None:
        """Seconds to sleep before try ``attempt + 2`` (0-based ``attempt``), or None to stop."""
        if attempt + 1 >= self.attempts:
            return None
        left = self.max_total_wait - waited
        if retry_after is not None:
            return retry_after if 0 <= retry_after <= left else None
        delay = min(self.max_delay, self.base_delay * (2.0**attempt))
        return max(0.0, min(delay, left))
