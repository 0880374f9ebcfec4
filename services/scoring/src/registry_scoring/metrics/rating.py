"""`rate`: every metric of a model, concurrently, as the spec's `ModelRating` (26 fields).

Order of work:
1. ramp_up_time, bus_factor, performance_claims, license, dataset_and_code_score,
   dataset_quality, code_quality, size_score, reviewedness, reproducibility (supplied by the
   caller: the sandbox lives in `registry_scoring.reproducibility`) and the look-up of the
   parents' net scores all run concurrently (`asyncio`), each timing itself;
2. tree_score: the parents' mean net score, or, without a rated parent, the model's own net
   score computed without tree_score;
3. net_score: the weighted combination (see `net.WEIGHTS`).

A metric that cannot be computed (an upstream service unavailable or rate limited, a timeout,
or an unexpected error) fails the whole rating with `RatingFailed(metric, reason)`: the spec
answers 500 for such a rating, and a made-up value would mislead the ingest gate. The other
metrics still running are cancelled.

Only models are rated (the spec's /rate is for models; datasets and code are not rated).

Latencies are wall-clock seconds (`time.perf_counter`). ``net_score_latency`` is the time to
obtain the net score: the whole rating's wall-clock time (the concurrent metrics, then the
tree and net combination), not the sum of the metric latencies.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from registry_common import rating as rating_names
from registry_scoring.metrics import (
    bus_factor,
    code_quality,
    dataset_and_code,
    dataset_quality,
    licensing,
    performance_claims,
    ramp_up,
    reviewedness,
    size,
    tree,
)
from registry_scoring.metrics.base import (
    MetricResult,
    MetricUnavailable,
    RatingFailed,
    Stopwatch,
)
from registry_scoring.metrics.context import MetricContext
from registry_scoring.metrics.facts import ModelFacts
from registry_scoring.metrics.net import combine

Reproducibility = Callable[[ModelFacts], Awaitable[MetricResult]]
MetricFunction = Callable[[ModelFacts, MetricContext], Awaitable[MetricResult]]

METRICS: Final[dict[str, MetricFunction]] = {
    "ramp_up_time": ramp_up.compute,
    "bus_factor": bus_factor.compute,
    "performance_claims": performance_claims.compute,
    "license": licensing.compute,
    "dataset_and_code_score": dataset_and_code.compute,
    "dataset_quality": dataset_quality.compute,
    "code_quality": code_quality.compute,
    "size_score": size.compute,
    "reviewedness": reviewedness.compute,
}
REPRODUCIBILITY: Final = "reproducibility"
PARENTS: Final = "tree_score"

FIELDS: Final = rating_names.FIELDS  # the spec's ModelRating, in its order
DEFAULT_CATEGORY: Final = "MODEL"


@dataclass(frozen=True)
class Rating:
    """The spec's 26 fields plus, per metric, the detail explaining its value."""

    fields: dict[str, Any]
    details: dict[str, dict[str, Any]] = field(default_factory=dict)


async def rate(
    facts: ModelFacts, ctx: MetricContext, reproducibility: Reproducibility
) -> dict[str, Any]:
    """The `ModelRating` of a model (exactly the spec's 26 fields); raises `RatingFailed`."""
    return (await rate_detailed(facts, ctx, reproducibility)).fields


async def rate_detailed(
    facts: ModelFacts, ctx: MetricContext, reproducibility: Reproducibility
) -> Rating:
    """Like `rate`, with each metric's explanation (for storage and debugging)."""
    watch = Stopwatch()
    jobs: dict[str, Callable[[], Awaitable[Any]]] = {
        name: _bind(function, facts, ctx) for name, function in METRICS.items()
    }
    jobs[REPRODUCIBILITY] = lambda: reproducibility(facts)
    jobs[PARENTS] = lambda: _timed_parents(facts, ctx)
    timeouts = {name: ctx.metric_timeout for name in jobs}
    timeouts[REPRODUCIBILITY] = max(ctx.metric_timeout, ctx.reproducibility_timeout)
    outcomes = await _run_all(jobs, timeouts)

    results: dict[str, MetricResult] = {name: outcomes[name] for name in jobs if name != PARENTS}
    parents, parents_latency = outcomes[PARENTS]
    combine_watch = Stopwatch()
    values = {name: result.value for name, result in results.items()}
    own_net = combine(values, exclude=("tree_score",))
    tree_score, tree_detail = tree.tree_value(parents, own_net)
    values["tree_score"] = tree_score
    net = combine(values)
    combine_latency = combine_watch.elapsed()

    devices = results["size_score"].detail.get("devices")
    if not isinstance(devices, Mapping) or set(devices) != set(size.DEVICES):
        raise RatingFailed("size_score", "the size metric produced no per-device scores")
    rating: dict[str, Any] = {
        "name": facts.name,
        "category": _category(facts),
        "net_score": round(net, 4),
        "net_score_latency": watch.elapsed(),
    }
    for name in (*METRICS, REPRODUCIBILITY):
        if name == "size_score":
            continue
        rating[name] = results[name].value
        rating[f"{name}_latency"] = results[name].latency
    rating["tree_score"] = round(tree_score, 4)
    rating["tree_score_latency"] = parents_latency + combine_latency
    rating["size_score"] = {device: float(devices[device]) for device in size.DEVICES}
    rating["size_score_latency"] = results["size_score"].latency
    _check(rating)
    details = {name: dict(result.detail) for name, result in results.items()}
    details["tree_score"] = tree_detail
    details["net_score"] = {"own_net_without_tree": round(own_net, 4)}
    return Rating(fields={key: rating[key] for key in FIELDS}, details=details)


def _bind(function: MetricFunction, facts: ModelFacts, ctx: MetricContext) -> Callable[[], Any]:
    return lambda: function(facts, ctx)


async def _timed_parents(facts: ModelFacts, ctx: MetricContext) -> tuple[dict[str, float], float]:
    watch = Stopwatch()
    parents = await tree.parent_scores(facts, ctx)
    return parents, watch.elapsed()


async def _guarded(name: str, job: Callable[[], Awaitable[Any]], timeout: float) -> Any:
    try:
        return await asyncio.wait_for(job(), timeout)
    except RatingFailed:
        raise
    except MetricUnavailable as exc:
        raise RatingFailed(name, str(exc)) from exc
    except TimeoutError as exc:
        raise RatingFailed(name, f"no answer within {timeout:g} s") from exc
    except asyncio.CancelledError:
        raise
    except Exception as exc:
        raise RatingFailed(name, f"unexpected {type(exc).__name__}: {exc}") from exc


async def _run_all(
    jobs: Mapping[str, Callable[[], Awaitable[Any]]], timeouts: Mapping[str, float]
) -> dict[str, Any]:
    """Run every job concurrently; on the first failure cancel the rest and raise it."""
    tasks = {
        name: asyncio.create_task(_guarded(name, job, timeouts[name]), name=f"metric:{name}")
        for name, job in jobs.items()
    }
    try:
        pending = set(tasks.values())
        while pending:
            done, pending = await asyncio.wait(pending, return_when=asyncio.FIRST_EXCEPTION)
            failed = [t for t in done if not t.cancelled() and t.exception() is not None]
            if failed:
                # Deterministic: the first failed metric in rating order.
                first = min(failed, key=lambda t: list(tasks.values()).index(t))
                raise first.exception()  # type: ignore[misc]
    finally:
        for task in tasks.values():
            if not task.done():
                task.cancel()
        await asyncio.gather(*tasks.values(), return_exceptions=True)
    return {name: task.result() for name, task in tasks.items()}


def _category(facts: ModelFacts) -> str:
    tag = facts.get("pipeline_tag")
    return str(tag) if isinstance(tag, str) and tag.strip() else DEFAULT_CATEGORY


def _check(rating: Mapping[str, Any]) -> None:
    """Refuse values outside the contract (a bug, never a rating)."""
    for key, value in rating.items():
        if key in ("name", "category", "size_score"):
            continue
        if not isinstance(value, int | float) or value != value:
            raise RatingFailed(key.removesuffix("_latency"), f"{key} is not a number")
        if key.endswith("_latency"):
            if value < 0:
                raise RatingFailed(key.removesuffix("_latency"), "negative latency")
        elif not (0.0 <= value <= 1.0 or (key == "reviewedness" and value == -1)):
            raise RatingFailed(key, f"value {value} outside [0, 1]")
    for device, value in rating["size_score"].items():
        if not 0.0 <= value <= 1.0:
            raise RatingFailed("size_score", f"{device} value {value} outside [0, 1]")
