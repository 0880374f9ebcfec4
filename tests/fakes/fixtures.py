"""The fixture table: every repository the fakes serve, as plain dataclasses.

Tests import from here to know what to expect (``TABLE.hub_repo("openai/whisper-tiny")``)
instead of hard-coding numbers twice. Add a repository by appending a record to
``hub_repos.HUB_REPOS`` or ``github_repos.GITHUB_REPOS`` (see README.md).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from .fixture_types import (
    CommitSpec,
    FileChange,
    GitHubRepo,
    GitHubUser,
    HubFile,
    HubRepo,
    HubRevision,
    PullRequestSpec,
    ReleaseSpec,
    ReviewSpec,
    TagSpec,
)
from .github_repos import GITHUB_REPOS, GITHUB_USERS
from .hub_repos import HUB_REPOS

__all__ = [
    "TABLE",
    "CommitSpec",
    "FileChange",
    "FixtureTable",
    "GitHubRepo",
    "GitHubUser",
    "HubFile",
    "HubRepo",
    "HubRevision",
    "PullRequestSpec",
    "ReleaseSpec",
    "ReviewSpec",
    "TagSpec",
]


@dataclass(frozen=True)
class FixtureTable:
    hub_repos: tuple[HubRepo, ...]
    github_repos: tuple[GitHubRepo, ...]
    github_users: Mapping[str, GitHubUser]

    def __post_init__(self) -> None:
        self._check_consistency()

    @property
    def models(self) -> tuple[HubRepo, ...]:
        return tuple(r for r in self.hub_repos if r.repo_type == "model")

    @property
    def datasets(self) -> tuple[HubRepo, ...]:
        return tuple(r for r in self.hub_repos if r.repo_type == "dataset")

    def hub_repo(self, repo_id: str, repo_type: str = "model") -> HubRepo:
        """Look a Hub repo up by canonical id or legacy alias; KeyError if absent."""
        for repo in self.hub_repos:
            if repo.repo_type == repo_type and (repo.repo_id == repo_id or repo_id in repo.aliases):
                return repo
        raise KeyError(f"no {repo_type} fixture {repo_id!r}")

    def github_repo(self, full_name: str) -> GitHubRepo:
        for repo in self.github_repos:
            if repo.full_name.lower() == full_name.lower():
                return repo
        raise KeyError(f"no GitHub fixture {full_name!r}")

    def _check_consistency(self) -> None:
        # Fail at import time, with a readable message, rather than deep inside a server route.
        seen: set[tuple[str, str]] = set()
        for repo in self.hub_repos:
            for name in (repo.repo_id, *repo.aliases):
                key = (repo.repo_type, name)
                if key in seen:
                    raise ValueError(f"duplicate Hub id {key}")
                seen.add(key)
            if not repo.revisions:
                raise ValueError(f"{repo.repo_id}: needs at least one revision")
            for f in repo.files:
                if f.since_revision >= len(repo.revisions) or any(
                    r >= len(repo.revisions) for r in f.revised_in
                ):
                    raise ValueError(f"{repo.repo_id}:{f.path}: revision index out of range")
        for gh in self.github_repos:
            logins = {item.author for item in gh.history}
            for item in gh.history:
                if isinstance(item, PullRequestSpec):
                    logins |= {c.author for c in item.commits} | {r.reviewer for r in item.reviews}
                    logins |= {item.merged_by} if item.merged_by else set()
            unknown = logins - set(self.github_users)
            if unknown:
                raise ValueError(f"{gh.full_name}: unknown GitHub users {sorted(unknown)}")
            for tag in gh.tags:
                target = gh.history[tag.history_index]
                if isinstance(target, PullRequestSpec) and not target.merged_at:
                    raise ValueError(f"{gh.full_name}: tag {tag.name} points at an unmerged PR")


TABLE = FixtureTable(hub_repos=HUB_REPOS, github_repos=GITHUB_REPOS, github_users=GITHUB_USERS)
