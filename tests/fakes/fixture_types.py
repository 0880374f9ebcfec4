"""Plain-data types of the fixture table shared by the fake Hub and the fake GitHub.

Everything here is frozen data: the servers derive every response (JSON, bytes, hashes, commit
ids) deterministically from these records, so two runs of the suite see identical answers.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

RepoType = Literal["model", "dataset"]
GatedMode = Literal[False, "auto", "manual"]

# How the bytes of a Hub file are produced:
#   text         -> ``HubFile.text`` encoded as UTF-8
#   random       -> ``served_size`` pseudo-random bytes seeded from repo, path and revision
#   safetensors  -> a tiny but *valid* safetensors file (so header-parsing code and
#                   ``HfApi.get_safetensors_metadata`` work through byte ranges)
ContentKind = Literal["text", "random", "safetensors"]

DEFAULT_SERVED_SIZE = 4096


@dataclass(frozen=True)
class HubFile:
    """One file of a Hub repository.

    ``declared_size_bytes`` is the size the file has on the real Hub (440 MB for BERT weights).
    It is *not* what the fake serves: ``huggingface_hub`` checks the downloaded length against
    ``Content-Length`` / the tree ``size``, so the fake advertises and serves the same small
    length everywhere and only exposes real-world sizes through ``usedStorage``,
    ``safetensors.parameters`` and the fake-only ``fakeDeclaredFileSizes`` key.
    """

    path: str
    kind: ContentKind = "text"
    text: str = ""
    served_size: int = DEFAULT_SERVED_SIZE
    declared_size_bytes: int | None = None
    # Index (into ``HubRepo.revisions``) of the first revision containing the file.
    since_revision: int = 0
    # Revisions that rewrote the file; generated content is re-seeded at each of them, so a
    # download at tag ``v1.0.0`` differs byte-wise from one at ``main``.
    revised_in: tuple[int, ...] = ()

    @property
    def is_lfs(self) -> bool:
        # Like the real Hub's default .gitattributes: binary weights/data go through LFS.
        return self.kind != "text"


@dataclass(frozen=True)
class HubRevision:
    """A commit of a Hub repository; ``tags`` are the git tags pointing at it."""

    title: str
    date: str  # ISO-8601 with milliseconds and "Z", as the Hub prints it
    author: str = "system"
    tags: tuple[str, ...] = ()


@dataclass(frozen=True)
class HubRepo:
    """A model or dataset repository served by the fake Hub.

    ``card_metadata`` becomes the YAML front matter of README.md; the API's ``cardData`` is
    parsed back from that README, exactly like the real Hub, so a malformed front matter
    (``raw_card_yaml``) yields no ``cardData`` at all.
    """

    repo_id: str
    repo_type: RepoType
    edge_case: str  # one line: what this fixture exercises (shown in the README table)
    revisions: tuple[HubRevision, ...]
    card_metadata: Mapping[str, Any] | None = None
    raw_card_yaml: str | None = None  # written verbatim between the "---" fences
    readme_body: str = ""
    config: Mapping[str, Any] | None = None  # config.json; None = the repo has no config.json
    files: tuple[HubFile, ...] = ()
    downloads: int = 0
    downloads_all_time: int = 0
    likes: int = 0
    created_at: str = "2022-03-02T23:29:04.000Z"
    gated: GatedMode = False
    private: bool = False
    # Real-world parameter counts by dtype (safetensors.parameters); None = no safetensors info.
    parameters: Mapping[str, int] | None = None
    # Legacy ids that redirect here (e.g. "bert-base-uncased" -> "google-bert/bert-base-uncased").
    aliases: tuple[str, ...] = ()
    # GitHub repository ("owner/name") whose URL appears in the card body, for test assertions.
    linked_github: str | None = None
    # Hub-computed tags that cannot be derived from the card (e.g. "arxiv:1810.04805").
    extra_tags: tuple[str, ...] = ()
    # Additional top-level keys of the info JSON (widgetData, mask_token, spaces, citation, ...).
    extra_api_fields: Mapping[str, Any] = field(default_factory=dict)

    @property
    def author(self) -> str | None:
        return self.repo_id.split("/", 1)[0] if "/" in self.repo_id else None


# --------------------------------------------------------------------------------------------
# GitHub
# --------------------------------------------------------------------------------------------

ReviewState = Literal["APPROVED", "CHANGES_REQUESTED", "COMMENTED"]
MergeMethod = Literal["squash", "merge"]


@dataclass(frozen=True)
class GitHubUser:
    login: str
    user_id: int
    name: str
    email: str
    kind: Literal["User", "Bot", "Organization"] = "User"


@dataclass(frozen=True)
class FileChange:
    path: str
    additions: int
    deletions: int
    status: Literal["added", "modified", "removed", "renamed"] = "modified"


@dataclass(frozen=True)
class CommitSpec:
    """A commit as authored; its sha, parents and tree are computed by the fake."""

    author: str  # login, must be in GITHUB_USERS
    date: str  # ISO-8601 "2020-03-11T17:22:04Z"
    message: str
    changes: tuple[FileChange, ...]


@dataclass(frozen=True)
class ReviewSpec:
    reviewer: str
    state: ReviewState
    submitted_at: str
    body: str = ""


@dataclass(frozen=True)
class PullRequestSpec:
    """A pull request. Merged PRs land on the default branch at their position in the history.

    ``squash``: one new commit on the default branch carrying the summed stats of the PR commits.
    ``merge``: the PR commits join the default branch, followed by a two-parent merge commit whose
    ``stats`` (like GitHub's, computed against the first parent) repeat the whole PR diff.
    """

    number: int
    title: str
    author: str
    created_at: str
    commits: tuple[CommitSpec, ...]
    reviews: tuple[ReviewSpec, ...] = ()
    merged_at: str | None = None
    merged_by: str | None = None
    closed_at: str | None = None
    merge_method: MergeMethod = "squash"
    head_ref: str = ""
    body: str = ""

    @property
    def state(self) -> Literal["open", "closed"]:
        return "closed" if (self.merged_at or self.closed_at) else "open"


HistoryItem = CommitSpec | PullRequestSpec


@dataclass(frozen=True)
class TagSpec:
    name: str  # "v1.2.0" or "1.2.0"
    history_index: int  # the commit produced by history[history_index] (a merged PR's merge commit)


@dataclass(frozen=True)
class ReleaseSpec:
    tag: str
    name: str
    published_at: str
    body: str = ""
    prerelease: bool = False
    author: str = ""


@dataclass(frozen=True)
class GitHubRepo:
    """A repository served by the fake GitHub.

    ``files`` is the tree at every ref (the fake does not replay diffs into older trees: refs
    differ by commit sha and by the folder name inside the zipball, not by content).
    """

    full_name: str
    edge_case: str
    description: str
    license_spdx: str | None  # None = no license; "NOASSERTION" = unrecognised license text
    files: Mapping[str, str]
    history: tuple[HistoryItem, ...]
    repo_id: int
    created_at: str
    default_branch: str = "main"
    stargazers_count: int = 0
    forks_count: int = 0
    subscribers_count: int = 0
    open_issues_count: int = 0  # like GitHub, includes open pull requests
    size_kb: int = 0
    language: str | None = "Python"
    topics: tuple[str, ...] = ()
    homepage: str | None = None
    archived: bool = False
    tags: tuple[TagSpec, ...] = ()
    releases: tuple[ReleaseSpec, ...] = ()

    @property
    def owner(self) -> str:
        return self.full_name.split("/", 1)[0]

    @property
    def name(self) -> str:
        return self.full_name.split("/", 1)[1]
