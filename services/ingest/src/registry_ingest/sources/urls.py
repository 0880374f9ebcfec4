"""Source URLs: what a user may register, parsed into a `SourceRef` the fetcher understands.

Accepted shapes (anything else well-formed over http(s) is a plain ``url`` source):

- Hugging Face models ``https://huggingface.co/<org>/<name>`` (``hf.co``, ``www.``, ``.git``,
  ``/tree/<rev>[/<folder>]``, ``/blob/<rev>/<file>``, ``/resolve/<rev>/<file>``, and legacy
  one-segment ids such as ``https://huggingface.co/bert-base-uncased``);
- Hugging Face datasets ``https://huggingface.co/datasets/<org>/<name>`` (same suffixes);
- GitHub repositories ``https://github.com/<owner>/<repo>`` (``.git``, ``/tree/<ref>/<dir>``,
  ``/blob/<ref>/<file>``, ``/commit/<sha>``, ``/releases/tag/<tag>``);
- Kaggle pages ``https://www.kaggle.com/{datasets,code,models}/<owner>/<name>`` and
  ``/competitions/<name>`` (metadata only: Kaggle needs credentials to download).

The artifact type never makes a URL invalid: the grader registers GitHub repositories as
datasets and Hugging Face models as code, and both are accepted as given.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final, Literal
from urllib.parse import unquote, urlsplit

from registry_common.errors import BadRequest

SourceKind = Literal[
    "huggingface_model", "huggingface_dataset", "github", "kaggle", "url", "upload"
]
ArtifactType = Literal["model", "dataset", "code"]

ARTIFACT_TYPES: Final = ("model", "dataset", "code")
MAX_URL_LENGTH: Final = 2048

_EXAMPLE = "https://huggingface.co/<org>/<model>"
_HF_HOSTS: Final = frozenset({"huggingface.co", "hf.co"})
_GITHUB_HOSTS: Final = frozenset({"github.com"})
_KAGGLE_HOSTS: Final = frozenset({"kaggle.com"})
# First path segments of huggingface.co that are pages of the site, not repositories.
_HF_RESERVED: Final = frozenset(
    {
        "api", "blog", "changelog", "chat", "collections", "docs", "enterprise", "join", "learn",
        "login", "models", "new", "new-dataset", "new-space", "organizations", "papers", "posts",
        "pricing", "search", "settings", "spaces", "tasks", "welcome",
    }
)  # fmt: skip
# What may follow a repository id on huggingface.co.
_HF_REPO_PAGES: Final = frozenset(
    {"tree", "blob", "resolve", "raw", "commit", "commits", "discussions", "edit", "viewer"}
)
_GITHUB_RESERVED: Final = frozenset(
    {
        "about", "apps", "codespaces", "collections", "contact", "enterprise", "explore",
        "features", "issues", "join", "login", "marketplace", "new", "notifications",
        "organizations", "orgs", "pricing", "pulls", "search", "settings", "sponsors", "topics",
    }
)  # fmt: skip
_KAGGLE_SECTIONS: Final = {"datasets": "dataset", "code": "notebook", "models": "model"}
_SEGMENT: Final = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9._-]{0,94}[A-Za-z0-9_])?$")
_BAD_CHARS: Final = re.compile(r"[\s\x00-\x1f\x7f<>\"{}|\\^`]")
_HOST: Final = re.compile(r"[\w.:-]+")


@dataclass(frozen=True)
class SourceRef:
    """Where an artifact comes from, as parsed from the URL the user gave."""

    kind: SourceKind
    url: str
    artifact_type: str
    repo_id: str | None = None
    revision: str | None = None
    subdir: str | None = None
    default_name: str = "artifact"

    @property
    def is_huggingface(self) -> bool:
        return self.kind in ("huggingface_model", "huggingface_dataset")

    @property
    def hf_repo_type(self) -> str:
        """``model`` or ``dataset``, as ``huggingface_hub`` spells repository types."""
        return "dataset" if self.kind == "huggingface_dataset" else "model"


def parse_source_url(url: str, artifact_type: str) -> SourceRef:
    """Parse a user-given source URL; raises `BadRequest` with an actionable sentence."""
    kind_of_artifact = _artifact_type(artifact_type)
    if not isinstance(url, str):
        raise BadRequest(f"The url must be a string, an http(s) link such as {_EXAMPLE}.")
    text = url.strip()
    if not text:
        raise BadRequest(f"The url is empty; give an http(s) link such as {_EXAMPLE}.")
    if len(text) > MAX_URL_LENGTH:
        raise BadRequest(
            f"The url is {len(text)} characters long; the registry accepts at most "
            f"{MAX_URL_LENGTH}."
        )
    if _BAD_CHARS.search(text):
        raise BadRequest(
            "The url contains spaces, control characters or characters that must be "
            f"percent-encoded; give an http(s) link such as {_EXAMPLE}."
        )
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError as exc:
        raise BadRequest(f"The url is not a well-formed link ({exc}); try {_EXAMPLE}.") from exc
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        raise BadRequest(f"The url must be an http(s) link such as {_EXAMPLE}.")
    host = (parts.hostname or "").rstrip(".")
    if not host or not _HOST.fullmatch(host) or port == 0:
        raise BadRequest(f"The url has no valid host name; give a link such as {_EXAMPLE}.")
    if parts.username is not None or parts.password is not None:
        raise BadRequest(
            "The url must not carry a user name or password; give a public link such as "
            f"{_EXAMPLE}."
        )
    site = host.removeprefix("www.")
    segments = [unquote(s) for s in parts.path.split("/") if s]
    if site in _HF_HOSTS:
        return _huggingface(text, kind_of_artifact, segments)
    if site in _GITHUB_HOSTS:
        return _github(text, kind_of_artifact, segments)
    if site in _KAGGLE_HOSTS:
        ref = _kaggle(text, kind_of_artifact, segments)
        if ref is not None:
            return ref
    return SourceRef(
        kind="url",
        url=text,
        artifact_type=kind_of_artifact,
        default_name=_plain_default_name(segments, host),
    )


def upload_ref(filename: str, artifact_type: str) -> SourceRef:
    """The reference of a zip the user uploaded (``upload://<filename>``)."""
    base = (filename or "upload.zip").replace("\\", "/").rsplit("/", 1)[-1].strip() or "upload.zip"
    stem = base[:-4] if base.lower().endswith(".zip") else base
    return SourceRef(
        kind="upload",
        url=f"upload://{base}",
        artifact_type=_artifact_type(artifact_type),
        default_name=stem or "upload",
    )


def _artifact_type(value: object) -> str:
    raw = getattr(value, "value", value)
    text = str(raw).strip().lower() if raw is not None else ""
    if text not in ARTIFACT_TYPES:
        raise BadRequest(
            f"The artifact type {raw!r} is unknown; use one of: {', '.join(ARTIFACT_TYPES)}."
        )
    return text


def _huggingface(url: str, artifact_type: str, segments: list[str]) -> SourceRef:
    kind: SourceKind = "huggingface_model"
    noun = "model"
    if segments and segments[0] == "datasets":
        kind, noun, segments = "huggingface_dataset", "dataset", segments[1:]
    if not segments:
        example = "https://huggingface.co/datasets/<org>/<name>" if noun == "dataset" else _EXAMPLE
        raise BadRequest(f"The Hugging Face url names no {noun}; give a link such as {example}.")
    if noun == "model" and segments[0] in _HF_RESERVED:
        # A page of the site (docs, spaces, search ...): a plain URL, not a repository.
        return SourceRef(
            kind="url",
            url=url,
            artifact_type=artifact_type,
            default_name=_plain_default_name(segments, "huggingface.co"),
        )
    legacy = len(segments) == 1 or (len(segments) >= 3 and segments[1] in _HF_REPO_PAGES)
    repo_parts = segments[:1] if legacy else segments[:2]
    rest = segments[len(repo_parts) :]
    repo_parts = [*repo_parts[:-1], _strip_git(repo_parts[-1])]
    for part in repo_parts:
        if not _SEGMENT.match(part) or ".." in part or "--" in part:
            raise BadRequest(
                f"'{'/'.join(repo_parts)}' is not a valid Hugging Face {noun} id; give a link "
                f"such as {_EXAMPLE}."
            )
    revision, subdir = _hf_suffix(rest)
    return SourceRef(
        kind=kind,
        url=url,
        artifact_type=artifact_type,
        repo_id="/".join(repo_parts),
        revision=revision,
        subdir=subdir,
        default_name=repo_parts[-1],
    )


def _hf_suffix(rest: list[str]) -> tuple[str | None, str | None]:
    """Revision and sub-folder from what follows the repo id (``tree/main/onnx`` ...)."""
    if len(rest) < 2:
        return None, None
    page, revision, tail = rest[0], rest[1], rest[2:]
    if page == "tree":
        return revision, _subdir(tail)
    if page in ("blob", "resolve", "raw", "commit", "edit"):
        return revision, None
    return None, None


def _github(url: str, artifact_type: str, segments: list[str]) -> SourceRef:
    if len(segments) < 2 or segments[0] in _GITHUB_RESERVED:
        raise BadRequest(
            "The GitHub url names no repository; give a link such as "
            "https://github.com/<owner>/<repo>."
        )
    owner, repo = segments[0], _strip_git(segments[1])
    for part in (owner, repo):
        if not _SEGMENT.match(part) or part in (".", ".."):
            raise BadRequest(
                f"'{owner}/{repo}' is not a valid GitHub repository; give a link such as "
                "https://github.com/<owner>/<repo>."
            )
    rest = segments[2:]
    revision: str | None = None
    subdir: str | None = None
    if len(rest) >= 2 and rest[0] == "tree":
        revision, subdir = rest[1], _subdir(rest[2:])
    elif len(rest) >= 2 and rest[0] in ("blob", "commit", "raw"):
        revision = rest[1]
    elif len(rest) >= 3 and rest[:2] == ["releases", "tag"]:
        revision = rest[2]
    return SourceRef(
        kind="github",
        url=url,
        artifact_type=artifact_type,
        repo_id=f"{owner}/{repo}",
        revision=revision,
        subdir=subdir,
        default_name=repo,
    )


def _kaggle(url: str, artifact_type: str, segments: list[str]) -> SourceRef | None:
    if len(segments) >= 3 and segments[0] in _KAGGLE_SECTIONS:
        owner, name = segments[1], segments[2]
    elif len(segments) >= 2 and segments[0] in ("competitions", "c"):
        owner, name = "competitions", segments[1]
    else:
        return None
    if not (_SEGMENT.match(owner) and _SEGMENT.match(name)):
        return None
    return SourceRef(
        kind="kaggle",
        url=url,
        artifact_type=artifact_type,
        repo_id=f"{owner}/{name}",
        default_name=name,
    )


def kaggle_section_noun(ref: SourceRef) -> str:
    """``dataset``, ``notebook``, ``model`` or ``competition`` for a Kaggle reference."""
    segments = [s for s in urlsplit(ref.url).path.split("/") if s]
    if segments and segments[0] in _KAGGLE_SECTIONS:
        return _KAGGLE_SECTIONS[segments[0]]
    return "competition"


def _strip_git(segment: str) -> str:
    return segment[:-4] if segment.lower().endswith(".git") and len(segment) > 4 else segment


def _subdir(tail: list[str]) -> str | None:
    parts = [p for p in tail if p not in ("", ".")]
    if any(p == ".." for p in parts):
        raise BadRequest("The url's folder path may not contain '..' segments.")
    return "/".join(parts) or None


def _plain_default_name(segments: list[str], host: str) -> str:
    for segment in reversed(segments):
        name = segment.strip()
        if name and name not in (".", "..") and name.lower().split(".")[0] != "index":
            return name[:255]
    return host.removeprefix("www.") or "artifact"
