"""tree_score: how trustworthy is the model's ancestry?

Inputs: the model's parents as the lineage graph sees them: the card's ``base_model``
entries and config.json's ``_name_or_path`` (or an adapter's ``base_model_name_or_path``)
when it names another repository; and ``ctx.parents_net_scores``, which answers the net
scores of those parents that are registered and rated in this registry.

    tree_score = mean(net_score of each registered, rated parent)

A model without a registered, rated parent (a root model, or one whose parents were never
registered) is judged on itself: its tree_score is its own net score computed without
tree_score. This keeps the net score of a root model unchanged by the tree term, and a
fine-tune of a poor parent is pulled down. `rating.rate` therefore computes tree_score after
every other metric. Self references and cycles are not followed: only direct parents count,
and the model itself is never its own parent.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from registry_scoring.metrics.base import MetricResult, Stopwatch, clamp
from registry_scoring.metrics.context import MetricContext
from registry_scoring.metrics.facts import ModelFacts

NAME = "tree_score"


async def parent_scores(facts: ModelFacts, ctx: MetricContext) -> dict[str, float]:
    """Net scores of the model's registered, rated parents (reference -> score)."""
    refs = facts.parent_refs
    if not refs:
        return {}
    answer = await ctx.parents_net_scores(refs)
    wanted = {r.lower() for r in refs}
    return {
        str(ref): clamp(float(score))
        for ref, score in answer.items()
        if str(ref).lower() in wanted and isinstance(score, int | float)
    }


def tree_value(parents: Mapping[str, float], own_net: float) -> tuple[float, dict[str, Any]]:
    if not parents:
        return own_net, {"parents": {}, "basis": "no registered rated parent: the model itself"}
    mean = sum(parents.values()) / len(parents)
    return mean, {"parents": dict(parents), "basis": "mean net score of rated parents"}


async def compute(facts: ModelFacts, ctx: MetricContext, own_net: float) -> MetricResult:
    """tree_score on its own, given the model's net score without tree_score (`rate` runs the
    parents look-up concurrently with the other metrics instead)."""
    watch = Stopwatch()
    value, detail = tree_value(await parent_scores(facts, ctx), own_net)
    return MetricResult(value=round(value, 4), latency=watch.elapsed(), detail=detail)
