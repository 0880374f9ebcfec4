"""Replays a ``GitHubRepo`` history into commits, branches, tags and pull requests.

The result is a tiny commit graph with deterministic shas, from which the GitHub fake answers
``/commits``, ``/pulls``, ``/contributors`` and friends. Files are not replayed (see
``GitHubRepo``): every ref serves the same tree.
"""

from __future__ import annotations

import posixpath
from collections import Counter
from dataclasses import dataclass
from functools import cached_property

from .blobs import fake_sha1, git_blob_sha1, git_tree_sha1
from .fixture_types import CommitSpec, FileChange, GitHubRepo, PullRequestSpec

WEB_FLOW = "web-flow"  # GitHub's committer for merges made through the web UI


@dataclass(frozen=True)
class Commit:
    sha: str
    sequence: int  # creation order; newer commits have larger numbers
    author: str
    committer: str
    date: str
    message: str
    parents: tuple[str, ...]
    changes: tuple[FileChange, ...]
    pull_numbers: tuple[int, ...]  # PRs containing this commit (``/commits/{sha}/pulls``)

    @property
    def additions(self) -> int:
        return sum(c.additions for c in self.changes)

    @property
    def deletions(self) -> int:
        return sum(c.deletions for c in self.changes)


@dataclass(frozen=True)
class PullRequest:
    spec: PullRequestSpec
    commit_shas: tuple[str, ...]  # the PR branch commits, oldest first
    base_sha: str
    merge_commit_sha: str | None

    @property
    def head_sha(self) -> str:
        return self.commit_shas[-1]


def combine_changes(changes: list[FileChange]) -> tuple[FileChange, ...]:
    """Sum per-file changes, as the diff of a squash or merge commit shows them."""
    totals: dict[str, list[int]] = {}
    statuses: dict[str, str] = {}
    for change in changes:
        added, deleted = totals.setdefault(change.path, [0, 0])
        totals[change.path] = [added + change.additions, deleted + change.deletions]
        statuses.setdefault(change.path, change.status)
    return tuple(
        FileChange(path=path, additions=a, deletions=d, status=statuses[path])  # type: ignore[arg-type]
        for path, (a, d) in totals.items()
    )


class RepoGraph:
    """Commit graph of one fixture repository."""

    def __init__(self, repo: GitHubRepo) -> None:
        self.repo = repo
        self.commits: dict[str, Commit] = {}
        self.pulls: dict[int, PullRequest] = {}
        self._history_heads: list[str | None] = []
        self.head = self._replay()
        self.tags = {tag.name: self._tag_target(tag.history_index) for tag in repo.tags}

    # ------------------------------------------------------------------ replay

    def _new_commit(
        self,
        spec: CommitSpec,
        parents: tuple[str, ...],
        *,
        committer: str | None = None,
        pulls: tuple[int, ...] = (),
        changes: tuple[FileChange, ...] | None = None,
    ) -> Commit:
        sequence = len(self.commits)
        sha = fake_sha1("github", self.repo.full_name, str(sequence), spec.message, *parents)
        commit = Commit(
            sha=sha,
            sequence=sequence,
            author=spec.author,
            committer=committer or spec.author,
            date=spec.date,
            message=spec.message,
            parents=parents,
            changes=spec.changes if changes is None else changes,
            pull_numbers=pulls,
        )
        self.commits[sha] = commit
        return commit

    def _replay(self) -> str:
        head: str | None = None
        for item in self.repo.history:
            if isinstance(item, CommitSpec):
                head = self._new_commit(item, (head,) if head else ()).sha
            else:
                head = self._replay_pull(item, head)
            self._history_heads.append(head)
        if head is None:
            raise ValueError(f"{self.repo.full_name}: empty history")
        return head

    def _replay_pull(self, pr: PullRequestSpec, base: str | None) -> str | None:
        if base is None:
            raise ValueError(
                f"{self.repo.full_name}#{pr.number}: a PR needs an existing base commit"
            )
        branch_tip = base
        shas: list[str] = []
        for spec in pr.commits:
            branch_tip = self._new_commit(spec, (branch_tip,), pulls=(pr.number,)).sha
            shas.append(branch_tip)
        diff = combine_changes([c for spec in pr.commits for c in spec.changes])
        merge_sha: str | None = None
        new_head = base
        if pr.merged_at:
            if pr.merge_method == "squash":
                squash = CommitSpec(
                    author=pr.author,
                    date=pr.merged_at,
                    message=f"{pr.title} (#{pr.number})",
                    changes=diff,
                )
                merge_sha = self._new_commit(
                    squash, (base,), committer=WEB_FLOW, pulls=(pr.number,)
                ).sha
            else:
                merge = CommitSpec(
                    author=pr.merged_by or pr.author,
                    date=pr.merged_at,
                    message=(
                        f"Merge pull request #{pr.number} from {pr.author}/{pr.head_ref}"
                        f"\n\n{pr.title}"
                    ),
                    changes=diff,
                )
                merge_sha = self._new_commit(
                    merge, (base, branch_tip), committer=WEB_FLOW, pulls=(pr.number,)
                ).sha
            new_head = merge_sha
        self.pulls[pr.number] = PullRequest(
            spec=pr, commit_shas=tuple(shas), base_sha=base, merge_commit_sha=merge_sha
        )
        return new_head

    def _tag_target(self, history_index: int) -> str:
        target = self._history_heads[history_index]
        assert target is not None
        return target

    # ------------------------------------------------------------------ queries

    def resolve(self, ref: str | None) -> str | None:
        """Branch name, tag, full or abbreviated (>= 7 hex) sha -> commit sha."""
        if ref is None or ref in {self.repo.default_branch, "HEAD"}:
            return self.head
        for prefix in ("refs/heads/", "refs/tags/"):
            if ref.startswith(prefix):
                ref = ref[len(prefix) :]
        if ref == self.repo.default_branch:
            return self.head
        if ref in self.tags:
            return self.tags[ref]
        for pr in self.pulls.values():
            if ref == pr.spec.head_ref:
                return pr.head_sha
        if len(ref) >= 7:
            matches = [sha for sha in self.commits if sha.startswith(ref.lower())]
            if len(matches) == 1:
                return matches[0]
        return None

    def ancestors(self, sha: str) -> list[Commit]:
        """``sha`` and everything reachable from it, newest first (like ``git log``)."""
        seen: set[str] = set()
        stack = [sha]
        while stack:
            current = stack.pop()
            if current in seen:
                continue
            seen.add(current)
            stack.extend(self.commits[current].parents)
        return sorted(
            (self.commits[s] for s in seen), key=lambda c: (c.date, c.sequence), reverse=True
        )

    @cached_property
    def default_branch_commits(self) -> list[Commit]:
        return self.ancestors(self.head)

    @cached_property
    def contributions(self) -> list[tuple[str, int]]:
        """(login, commits authored on the default branch), most active first: ``/contributors``."""
        counts = Counter(c.author for c in self.default_branch_commits)
        return sorted(counts.items(), key=lambda item: (-item[1], item[0].lower()))

    # ------------------------------------------------------------------ files

    def file_bytes(self, path: str) -> bytes | None:
        text = self.repo.files.get(path)
        return text.encode() if text is not None else None

    @cached_property
    def directories(self) -> frozenset[str]:
        dirs: set[str] = set()
        for path in self.repo.files:
            parent = posixpath.dirname(path)
            while parent:
                dirs.add(parent)
                parent = posixpath.dirname(parent)
        return frozenset(dirs)

    def children(self, directory: str) -> list[tuple[str, str]]:
        """Immediate ``(name, "file"|"dir")`` children of ``directory`` ("" = root), sorted."""
        prefix = f"{directory}/" if directory else ""
        found: dict[str, str] = {}
        for path in [*self.repo.files, *self.directories]:
            if path.startswith(prefix) and path != directory:
                rest = path[len(prefix) :]
                if "/" not in rest:
                    found[rest] = "dir" if path in self.directories else "file"
        return sorted(found.items())

    def blob_sha(self, path: str) -> str:
        return git_blob_sha1(self.repo.files[path].encode())

    def tree_sha(self, directory: str = "") -> str:
        entries: list[tuple[str, str, str]] = []
        for name, kind in self.children(directory):
            full = posixpath.join(directory, name) if directory else name
            entries.append(
                ("40000", name, self.tree_sha(full))
                if kind == "dir"
                else ("100644", name, self.blob_sha(full))
            )
        return git_tree_sha1(entries)
