"""bus_factor: how many people would have to disappear before the model is orphaned?

Inputs: the authors of the model repository's commits on the Hugging Face Hub (models
fetched from the Hub) and the contributors of the linked GitHub repository with their commit
counts (GitHub REST, cached). Bots and automation accounts ("system", "web-flow",
"*[bot]") are not people and are left out. Each commit is one unit of contribution.

    shares p_i  = commits of person i / all commits (Hub and GitHub together)
    n_eff       = 1 / sum(p_i ** 2)        (effective number of maintainers: 1 for a solo
                                            project, k for k people who share work evenly)
    bus_factor  = min(1, log2(n_eff) / log2(4))

So one maintainer gives 0, two even maintainers 0.5, and four or more even maintainers 1.
The logarithm reflects diminishing returns: going from 1 to 2 people removes the single point
of failure, going from 8 to 9 changes little. No known contributor at all (e.g. an uploaded
zip without a linked repository): 0.
"""

from __future__ import annotations

import asyncio
import math
from collections import Counter
from typing import Any, Final

from registry_scoring.metrics.base import MetricResult, clamp, timed
from registry_scoring.metrics.context import MetricContext
from registry_scoring.metrics.facts import ModelFacts
from registry_scoring.metrics.github_client import GitHubNotFound
from registry_scoring.metrics.repository import is_bot

NAME = "bus_factor"
TARGET_MAINTAINERS: Final = 4
_HUB_AUTOMATION: Final = frozenset({"system", "huggingface", "hf-bot", "parquet-converter"})


def effective_people(contributions: Counter[str]) -> float:
    total = sum(contributions.values())
    if total <= 0:
        return 0.0
    return 1.0 / sum((count / total) ** 2 for count in contributions.values() if count > 0)


def bus_value(n_eff: float) -> float:
    if n_eff <= 1.0:
        return 0.0
    return clamp(math.log2(n_eff) / math.log2(TARGET_MAINTAINERS))


async def _hub_people(facts: ModelFacts, ctx: MetricContext) -> Counter[str]:
    people: Counter[str] = Counter()
    repo_id = facts.hub_repo_id
    if repo_id is None:
        return people
    commits = await ctx.hub.commit_authors(repo_id)
    for authors in commits or []:
        for author in authors:
            if author and author.lower() not in _HUB_AUTOMATION and not is_bot(author):
                people[author.lower()] += 1
    return people


async def _github_people(facts: ModelFacts, ctx: MetricContext) -> tuple[Counter[str], str]:
    people: Counter[str] = Counter()
    full_name = facts.github_repo
    if full_name is None:
        return people, "no linked repository"
    try:
        contributors = await ctx.github.contributors(full_name)
    except GitHubNotFound:
        return people, "linked repository not found"
    for item in contributors:
        login = item.get("login")
        count = item.get("contributions")
        if not isinstance(login, str) or not isinstance(count, int):
            continue
        if not is_bot(login, item.get("type")):
            people[login.lower()] += count
    return people, full_name


async def compute(facts: ModelFacts, ctx: MetricContext) -> MetricResult:
    async def run() -> tuple[float, dict[str, Any]]:
        hub, (github, github_note) = await asyncio.gather(
            _hub_people(facts, ctx), _github_people(facts, ctx)
        )
        people = hub + github
        n_eff = effective_people(people)
        detail = {
            "hub_authors": dict(hub.most_common(10)),
            "github": github_note,
            "github_contributors": dict(github.most_common(10)),
            "people": len(people),
            "effective_maintainers": round(n_eff, 3),
        }
        return bus_value(n_eff), detail

    return await timed(run)
