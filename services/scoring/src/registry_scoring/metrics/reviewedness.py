"""reviewedness: share of the linked repository's code that arrived through reviewed PRs.

Inputs (GitHub REST, cached): the default branch's newest commits (at most
``ctx.reviewedness_max_commits``), each commit's per-file line counts, the pull requests a
commit belongs to (``/commits/{sha}/pulls``) and those pull requests' reviews.

    reviewedness = lines added by commits that belong to a merged PR with at least one review
                   / lines added by all commits

- Lines: additions of code files only: weights, data, media and other binaries, vendored
  and generated files, lockfiles and license texts are left out (see `repository.is_code`).
- Merge commits (two parents) are skipped: their stats repeat the whole PR diff, whose
  commits are already counted one by one. A squash merge is one ordinary commit of its PR.
- A review counts when it was submitted (APPROVED, CHANGES_REQUESTED or COMMENTED) by
  someone other than the PR's author and not by a bot: some other human read the change.
  A PR merged after "changes requested" still had a reviewer look at it.
- Direct pushes and PRs merged without any such review count as unreviewed.
- -1 when there is no linked GitHub repository (or GitHub does not know the linked one),
  and when the inspected history adds no code line (nothing to review).
- Large histories: only the newest N commits are read (recent practice; 2 calls each).
"""

from __future__ import annotations

import asyncio
from typing import Any, Final

from registry_scoring.metrics.base import MetricResult, timed
from registry_scoring.metrics.context import MetricContext
from registry_scoring.metrics.facts import ModelFacts
from registry_scoring.metrics.github_client import GitHubClient, GitHubNotFound
from registry_scoring.metrics.repository import is_bot, is_code

NAME = "reviewedness"
NO_REPOSITORY: Final = -1.0
REVIEW_STATES: Final = frozenset({"APPROVED", "CHANGES_REQUESTED", "COMMENTED"})
CONCURRENCY: Final = 8


async def pull_is_reviewed(github: GitHubClient, full_name: str, pull: dict[str, Any]) -> bool:
    """A merged PR with a submitted review by a human other than its author."""
    if not pull.get("merged_at") or not isinstance(pull.get("number"), int):
        return False
    author = (pull.get("user") or {}).get("login")
    for review in await github.pull_reviews(full_name, pull["number"]):
        reviewer = review.get("user") or {}
        if (
            review.get("state") in REVIEW_STATES
            and reviewer.get("login")
            and reviewer.get("login") != author
            and not is_bot(reviewer.get("login"), reviewer.get("type"))
        ):
            return True
    return False


def code_additions(commit: dict[str, Any]) -> int:
    files = commit.get("files")
    if isinstance(files, list):
        return sum(
            int(f.get("additions") or 0)
            for f in files
            if isinstance(f, dict) and is_code(str(f.get("filename") or ""))
        )
    stats = commit.get("stats") or {}
    return int(stats.get("additions") or 0)


async def compute(facts: ModelFacts, ctx: MetricContext) -> MetricResult:
    async def run() -> tuple[float, dict[str, Any]]:
        full_name = facts.github_repo
        if full_name is None:
            return NO_REPOSITORY, {"repository": None, "reason": "no linked GitHub repository"}
        github = ctx.github
        try:
            repo = await github.repository(full_name)
            branch = str(repo.get("default_branch") or "main")
            commits = await github.commits(
                full_name, branch, max_items=ctx.reviewedness_max_commits
            )
        except GitHubNotFound:
            return NO_REPOSITORY, {"repository": full_name, "reason": "GitHub does not know it"}
        singles = [c for c in commits if len(c.get("parents") or []) < 2 and c.get("sha")]
        gate = asyncio.Semaphore(CONCURRENCY)

        async def examine(sha: str) -> tuple[int, int | None]:
            async with gate:
                lines = code_additions(await github.commit(full_name, sha))
                if lines == 0:
                    return 0, None
                for pull in await github.commit_pulls(full_name, sha):
                    if await pull_is_reviewed(github, full_name, pull):
                        return lines, int(pull["number"])
                return lines, None

        results = await asyncio.gather(*(examine(str(c["sha"])) for c in singles))
        total = sum(lines for lines, _ in results)
        reviewed = sum(lines for lines, pr in results if pr is not None)
        detail = {
            "repository": full_name,
            "branch": branch,
            "commits_inspected": len(singles),
            "merge_commits_skipped": len(commits) - len(singles),
            "code_lines": total,
            "reviewed_lines": reviewed,
            "reviewed_pulls": sorted({pr for _, pr in results if pr is not None}),
            "history_truncated": len(commits) >= ctx.reviewedness_max_commits,
        }
        if total == 0:
            return NO_REPOSITORY, {**detail, "reason": "no code lines in the inspected history"}
        return reviewed / total, detail

    return await timed(run)
