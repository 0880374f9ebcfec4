"""code_quality: engineering quality of the code linked to the model (its GitHub repository).

Good code is documented, tested, installable and maintained. Inputs (GitHub REST, cached):
the repository (license, stars, archived flag, default branch), its recursive file tree and
its README. The repository is the card's first GitHub link (its primary code), or the source
itself when the model came from GitHub.

    code_quality = 0.20 * documentation   (README: 0.5, plus 0.5 with a usage/setup code block)
                 + 0.20 * tests           (test files or test folders in the tree)
                 + 0.15 * dependencies    (requirements.txt, pyproject.toml, setup.py, ...)
                 + 0.10 * license         (a license GitHub recognises, or a LICENSE file)
                 + 0.10 * CI              (GitHub Actions workflows, Travis, CircleCI, ...)
                 + 0.05 * contributing guide
                 + 0.10 * adoption        (min(1, log10(stars + 1) / 4): 10k stars)
                 + 0.10 * maintained      (not archived)

No linked repository, or a link to a repository GitHub does not know: 0 (no code to judge).
GitHub unavailable or rate limited: the metric fails (MetricUnavailable naming GitHub).
"""

from __future__ import annotations

import asyncio
import math
from pathlib import PurePosixPath
from typing import Any

from registry_scoring.metrics.base import MetricResult, clamp, timed
from registry_scoring.metrics.card import code_blocks
from registry_scoring.metrics.context import MetricContext
from registry_scoring.metrics.facts import ModelFacts
from registry_scoring.metrics.github_client import GitHubNotFound
from registry_scoring.metrics.repository import (
    CI_PATTERN,
    CONTRIBUTING,
    DEPENDENCY_NAMES,
    LICENSE_NAMES,
    TEST_PATTERN,
)

NAME = "code_quality"


def repository_score(
    repo: dict[str, Any], paths: list[str], readme: str | None
) -> tuple[float, dict[str, Any]]:
    names = {PurePosixPath(p).name.lower() for p in paths}
    documentation = 0.0
    if readme and readme.strip():
        documentation = 1.0 if code_blocks(readme) else 0.5
    license_info = repo.get("license")
    licensed = bool(isinstance(license_info, dict) and license_info.get("spdx_id")) or any(
        LICENSE_NAMES.match(PurePosixPath(p).name) for p in paths if "/" not in p
    )
    stars = repo.get("stargazers_count")
    stars = stars if isinstance(stars, int | float) and stars > 0 else 0
    terms = {
        "documentation": 0.20 * documentation,
        "tests": 0.20 * any(TEST_PATTERN.search(p) for p in paths),
        "dependencies": 0.15 * bool(names & DEPENDENCY_NAMES),
        "license": 0.10 * licensed,
        "ci": 0.10 * any(CI_PATTERN.search(p) for p in paths),
        "contributing": 0.05 * any(CONTRIBUTING.match(p) for p in paths),
        "adoption": 0.10 * min(1.0, math.log10(stars + 1) / 4),
        "maintained": 0.10 * (not repo.get("archived")),
    }
    return clamp(sum(terms.values())), {"terms": {k: round(v, 4) for k, v in terms.items()}}


async def compute(facts: ModelFacts, ctx: MetricContext) -> MetricResult:
    async def run() -> tuple[float, dict[str, Any]]:
        full_name = facts.github_repo
        if full_name is None:
            return 0.0, {"repository": None, "reason": "no linked code repository"}
        try:
            repo = await ctx.github.repository(full_name)
            branch = str(repo.get("default_branch") or "main")
            tree, readme = await asyncio.gather(
                ctx.github.tree(full_name, branch), ctx.github.readme(full_name)
            )
        except GitHubNotFound:
            return 0.0, {"repository": full_name, "reason": "GitHub does not know it"}
        paths = [str(item.get("path")) for item in tree if item.get("type") == "blob"]
        value, detail = repository_score(repo, paths, readme)
        return value, {"repository": full_name, "files": len(paths), **detail}

    return await timed(run)
