"""Shared vocabulary of the metrics: results, errors, timing and the parents look-up protocol."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol


@dataclass(frozen=True)
class MetricResult:
    """One metric's value in [0, 1] (reviewedness may be -1), its latency in seconds, and why."""

    value: float
    latency: float
    detail: dict[str, Any] = field(default_factory=dict)


class MetricUnavailable(Exception):
    """A metric could not be computed because an upstream service did not answer usefully.

    ``service`` names the upstream ("GitHub", "Hugging Face Hub"); ``retry_at`` is when it
    should answer again (a rate limit's reset time) when known.
    """

    def __init__(self, service: str, reason: str, *, retry_at: datetime | None = None) -> None:
        self.service = service
        self.reason = reason
        self.retry_at = retry_at
        text = f"{service}: {reason}"
        if retry_at is not None:
            text += f" (retry after {retry_at.astimezone(UTC).isoformat(timespec='seconds')})"
        super().__init__(text)


class RatingFailed(Exception):
    """The rating has no value because ``metric`` could not be computed (never a guess)."""

    def __init__(self, metric: str, reason: str) -> None:
        self.metric = metric
        self.reason = reason
        super().__init__(f"metric {metric!r} could not be computed: {reason}")


class ParentsNetScores(Protocol):
    """Net scores of the given parent references that are registered and rated.

    ``references`` are Hugging Face repo ids or artifact names (from the card's ``base_model``
    and config.json's ``_name_or_path``). The answer maps each reference that matched a rated
    artifact to its net score; unmatched references are simply absent.
    """

    def __call__(self, references: Sequence[str]) -> Awaitable[Mapping[str, float]]: ...


async def no_rated_parents(references: Sequence[str]) -> Mapping[str, float]:
    """A `ParentsNetScores` for callers without a rating store: no parent is ever rated."""
    return {}


def clamp(value: float, low: float = 0.0, high: float = 1.0) -> float:
    return max(low, min(high, value))


class Stopwatch:
    """``perf_counter`` seconds since creation."""

    def __init__(self) -> None:
        self._start = time.perf_counter()

    def elapsed(self) -> float:
        return max(0.0, time.perf_counter() - self._start)


async def timed(
    compute: Callable[[], Awaitable[tuple[float, dict[str, Any]]]],
) -> MetricResult:
    """Run ``compute`` (returning ``(value, detail)``) and attach its latency."""
    watch = Stopwatch()
    value, detail = await compute()
    return MetricResult(value=round(float(value), 4), latency=watch.elapsed(), detail=detail)
