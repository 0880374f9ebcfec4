"""Turns a ``HubRepo`` fixture into what a git-backed Hub repository would hold.

For every revision: a commit (deterministic sha), the list of files present, their bytes,
git/LFS object ids, and the README whose YAML front matter becomes ``cardData``.
"""

from __future__ import annotations

import json
import posixpath
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import yaml

from .blobs import (
    fake_sha1,
    git_blob_sha1,
    git_tree_sha1,
    lfs_pointer,
    pseudo_random_bytes,
    sha256_hex,
    tiny_safetensors,
)
from .fixture_types import HubFile, HubRepo

# Like the .gitattributes the Hub creates for every new repository (abridged).
GITATTRIBUTES = "".join(
    f"{pattern} filter=lfs diff=lfs merge=lfs -text\n"
    for pattern in (
        "*.bin",
        "*.h5",
        "*.msgpack",
        "*.onnx",
        "*.ot",
        "*.parquet",
        "*.pt",
        "*.pth",
        "*.safetensors",
        "*.tflite",
        "*.zip",
    )
)


@dataclass(frozen=True)
class HubCommit:
    index: int
    sha: str
    title: str
    date: str
    author: str
    tags: tuple[str, ...]


@dataclass(frozen=True)
class ServedFile:
    """A file as served at one revision. ``size`` is what is served; see HubFile for why."""

    path: str
    data: bytes
    is_lfs: bool
    declared_size_bytes: int
    last_commit: HubCommit

    @property
    def size(self) -> int:
        return len(self.data)

    @cached_property
    def sha256(self) -> str:
        return sha256_hex(self.data)

    @cached_property
    def pointer(self) -> bytes:
        return lfs_pointer(self.data)

    @cached_property
    def blob_id(self) -> str:
        # For LFS files git stores the pointer, so the blob id is the pointer's hash.
        return git_blob_sha1(self.pointer if self.is_lfs else self.data)

    @property
    def etag(self) -> str:
        # The Hub's ETag for LFS files is the sha256 of the content, for others the git blob id.
        return self.sha256 if self.is_lfs else self.blob_id


def parse_front_matter(readme: str) -> dict[str, Any] | None:
    """YAML metadata of a model card, or None if absent or not parseable (as on the Hub)."""
    if not readme.startswith("---\n"):
        return None
    end = readme.find("\n---", 4)
    if end == -1:
        return None
    try:
        data = yaml.safe_load(readme[4:end])
    except yaml.YAMLError:
        return None
    return data if isinstance(data, dict) else None


def render_readme(repo: HubRepo) -> str:
    if repo.raw_card_yaml is not None:
        return f"---\n{repo.raw_card_yaml}\n---\n\n{repo.readme_body}"
    if repo.card_metadata is not None:
        front = yaml.safe_dump(dict(repo.card_metadata), sort_keys=False, allow_unicode=True)
        return f"---\n{front}---\n\n{repo.readme_body}"
    return repo.readme_body


class RepoSnapshot:
    """The repository tree at one commit."""

    def __init__(self, repo: HubRepo, commit: HubCommit, files: dict[str, ServedFile]) -> None:
        self.repo = repo
        self.commit = commit
        self.files = files

    @cached_property
    def directories(self) -> frozenset[str]:
        dirs: set[str] = set()
        for path in self.files:
            parent = posixpath.dirname(path)
            while parent:
                dirs.add(parent)
                parent = posixpath.dirname(parent)
        return frozenset(dirs)

    def tree_oid(self, directory: str) -> str:
        entries: list[tuple[str, str, str]] = []
        for name, kind in self.children(directory):
            full = posixpath.join(directory, name) if directory else name
            if kind == "directory":
                entries.append(("40000", name, self.tree_oid(full)))
            else:
                entries.append(("100644", name, self.files[full].blob_id))
        return git_tree_sha1(entries)

    def children(self, directory: str) -> list[tuple[str, str]]:
        """Immediate ``(name, "file"|"directory")`` children of ``directory`` ("" = root)."""
        found: dict[str, str] = {}
        prefix = f"{directory}/" if directory else ""
        for path in list(self.files) + list(self.directories):
            if not path.startswith(prefix) or path == directory:
                continue
            rest = path[len(prefix) :]
            if "/" not in rest:
                found[rest] = "directory" if path in self.directories else "file"
        return sorted(found.items())

    def last_commit_of_directory(self, directory: str) -> HubCommit:
        prefix = f"{directory}/"
        inside = [f.last_commit for p, f in self.files.items() if p.startswith(prefix)]
        return max(inside, key=lambda c: c.index)

    @property
    def declared_sizes(self) -> dict[str, int]:
        return {path: f.declared_size_bytes for path, f in sorted(self.files.items())}


class HubRepoState:
    """Commits, revision resolution and cached snapshots for one fixture repository."""

    def __init__(self, repo: HubRepo) -> None:
        self.repo = repo
        self.commits = tuple(
            HubCommit(
                index=i,
                sha=fake_sha1("hub", repo.repo_type, repo.repo_id, str(i), rev.title),
                title=rev.title,
                date=rev.date,
                author=rev.author,
                tags=rev.tags,
            )
            for i, rev in enumerate(repo.revisions)
        )
        self.readme = render_readme(repo)
        self.card_data = parse_front_matter(self.readme)
        self._snapshots: dict[int, RepoSnapshot] = {}

    @property
    def head(self) -> HubCommit:
        return self.commits[-1]

    @property
    def tags(self) -> dict[str, HubCommit]:
        return {tag: commit for commit in self.commits for tag in commit.tags}

    def resolve(self, revision: str) -> HubCommit | None:
        """Branch "main", a tag or a full commit sha (``refs/heads/``, ``refs/tags/`` accepted)."""
        for prefix in ("refs/heads/", "refs/tags/"):
            if revision.startswith(prefix):
                revision = revision[len(prefix) :]
        if revision == "main":
            return self.head
        if revision in self.tags:
            return self.tags[revision]
        for commit in self.commits:
            if commit.sha == revision:
                return commit
        return None

    def snapshot(self, commit: HubCommit) -> RepoSnapshot:
        if commit.index not in self._snapshots:
            self._snapshots[commit.index] = self._build_snapshot(commit)
        return self._snapshots[commit.index]

    def _all_files(self) -> list[HubFile]:
        generated = [
            HubFile(path=".gitattributes", text=GITATTRIBUTES),
            HubFile(path="README.md", text=self.readme),
        ]
        if self.repo.config is not None:
            generated.append(
                HubFile(
                    path="config.json", text=json.dumps(dict(self.repo.config), indent=2) + "\n"
                )
            )
        return generated + list(self.repo.files)

    def _build_snapshot(self, commit: HubCommit) -> RepoSnapshot:
        files: dict[str, ServedFile] = {}
        for spec in self._all_files():
            if spec.since_revision > commit.index:
                continue
            content_rev = max(
                r for r in (spec.since_revision, *spec.revised_in) if r <= commit.index
            )
            content_commit = self.commits[content_rev]
            data = self._render(spec, content_commit)
            files[spec.path] = ServedFile(
                path=spec.path,
                data=data,
                is_lfs=spec.is_lfs,
                declared_size_bytes=spec.declared_size_bytes
                if spec.declared_size_bytes is not None
                else len(data),
                last_commit=content_commit,
            )
        return RepoSnapshot(self.repo, commit, files)

    def _render(self, spec: HubFile, content_commit: HubCommit) -> bytes:
        seed = f"{self.repo.repo_type}/{self.repo.repo_id}/{spec.path}@{content_commit.sha}"
        if spec.kind == "text":
            return spec.text.encode()
        if spec.kind == "safetensors":
            return tiny_safetensors(
                seed, spec.served_size, ("embeddings.weight", "encoder.layer.0.weight")
            )
        return pseudo_random_bytes(seed, spec.served_size)
