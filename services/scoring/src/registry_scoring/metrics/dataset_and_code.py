"""dataset_and_code_score: does the model say what it was trained on and where its code is?

Both halves are what an auditor needs to retrace a model: the training data by a resolvable
name, and the code that trained or runs it. Inputs: the metadata's declared datasets
(``datasets`` of the card, ``dataset:`` Hub tags, Hub dataset links in the card) and code
links (``linked_code`` GitHub URLs; a model fetched from GitHub is its own code).

    dataset_and_code_score = 0.5 * (at least one training dataset is identified)
                           + 0.5 * (a code repository is linked)

Prose that describes the data without naming a dataset ("collected from the internet") does
not count: nobody can fetch it. Whether the named dataset and code are any good is the job of
dataset_quality and code_quality.
"""

from __future__ import annotations

from typing import Any

from registry_scoring.metrics.base import MetricResult, timed
from registry_scoring.metrics.context import MetricContext
from registry_scoring.metrics.facts import ModelFacts

NAME = "dataset_and_code_score"


def score(facts: ModelFacts) -> tuple[float, dict[str, Any]]:
    datasets = facts.dataset_ids
    code = [str(link) for link in facts.get("linked_code", [])]
    if facts.source_kind == "github" and facts.github_repo:
        code = [f"https://github.com/{facts.github_repo}", *code]
    value = 0.5 * bool(datasets) + 0.5 * bool(code)
    return value, {"datasets": datasets[:20], "code": code[:10]}


async def compute(facts: ModelFacts, ctx: MetricContext) -> MetricResult:
    async def run() -> tuple[float, dict[str, Any]]:
        return score(facts)

    return await timed(run)
