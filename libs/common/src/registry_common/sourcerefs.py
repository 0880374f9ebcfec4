"""Source references: the one parser of the URLs that name models, datasets and code.

Ingest parses the URL a user registers, scoring reads the GitHub repository and Hugging Face
datasets a card links to, lineage binds parents by the keys found in metadata: all three read
URLs here, so a URL one service accepts is a key the others recognise (before this module,
five GitHub regexes with three "reserved owner" lists disagreed and silently lost lineage
edges).

Recognised shapes (anything else well-formed over http(s) is a plain ``url`` reference):

- Hugging Face models ``https://huggingface.co/<org>/<name>`` (``hf.co``, ``www.``, ``.git``,
  ``/tree/<rev>[/<folder>]``, ``/blob/<rev>/<file>``, ``/resolve/<rev>/<file>``, and legacy
  one-segment ids such as ``https://huggingface.co/bert-base-uncased``);
- Hugging Face datasets ``https://huggingface.co/datasets/<org>/<name>`` and spaces
  ``https://huggingface.co/spaces/<org>/<name>`` (same suffixes);
- GitHub repositories ``https://github.com/<owner>/<repo>`` (``.git``, ``/tree/<ref>/<dir>``,
  ``/blob/<ref>/<file>``, ``/commit/<sha>``, ``/releases/tag/<tag>``);
- Kaggle pages ``https://www.kaggle.com/{datasets,code,models}/<owner>/<name>`` and
  ``/competitions/<name>``.

Each reference has a canonical `SourceReference.key` (``hf:model:google-bert/bert-base-uncased``,
``hf:dataset:stanfordnlp/imdb``, ``hf:space:owner/name``, ``github:openai/whisper``,
``kaggle:owner/name``), lowercased because both sites resolve names case-insensitively.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Final, Literal
from urllib.parse import unquote, urlsplit

from registry_common.errors import BadRequest

ReferenceKind = Literal[
    "huggingface_model", "huggingface_dataset", "huggingface_space", "github", "kaggle", "url"
]

MAX_URL_LENGTH: Final = 2048
EXAMPLE: Final = "https://huggingface.co/<org>/<model>"
GITHUB_EXAMPLE: Final = "https://github.com/<owner>/<repo>"

HF_HOSTS: Final = frozenset({"huggingface.co", "hf.co"})
GITHUB_HOSTS: Final = frozenset({"github.com"})
KAGGLE_HOSTS: Final = frozenset({"kaggle.com"})
# First path segments of huggingface.co that are pages of the site, not repositories.
HF_RESERVED: Final = frozenset(
    {
        "api", "blog", "changelog", "chat", "collections", "docs", "enterprise", "join", "learn",
        "login", "models", "new", "new-dataset", "new-space", "organizations", "papers", "posts",
        "pricing", "search", "settings", "tasks", "welcome",
    }
)  # fmt: skip
# What may follow a repository id on huggingface.co.
HF_REPO_PAGES: Final = frozenset(
    {"tree", "blob", "resolve", "raw", "commit", "commits", "discussions", "edit", "viewer"}
)
# First path segments of github.com that are pages of the site: GitHub reserves them, so no
# user or organisation can own them (the union of the lists ingest, scoring and lineage kept).
GITHUB_RESERVED: Final = frozenset(
    {
        "about", "account", "apps", "codespaces", "collections", "contact", "customer-stories",
        "dashboard", "enterprise", "events", "explore", "features", "gist", "issues", "join",
        "login", "logout", "marketplace", "new", "notifications", "organizations", "orgs",
        "pricing", "pulls", "readme", "search", "security", "sessions", "settings", "site",
        "signup", "sponsors", "stars", "team", "topics", "trending", "users", "watching",
    }
)  # fmt: skip
KAGGLE_SECTIONS: Final = {"datasets": "dataset", "code": "notebook", "models": "model"}

# A Hugging Face id segment: alphanumerics, ``_ . -``, at most 96 characters, no ``--``/``..``
# (huggingface_hub's validate_repo_id); the first character alphanumeric.
_HF_SEGMENT: Final = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9._-]{0,94}[A-Za-z0-9_])?$")
# GitHub's username rules: alphanumerics and single hyphens, not at either end, at most 39.
_GITHUB_OWNER: Final = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9]|-(?=[A-Za-z0-9])){0,38}$")
# GitHub repository names: alphanumerics and ``_ . -``, at most 100 characters.
_GITHUB_REPO: Final = re.compile(r"^[A-Za-z0-9._-]{1,100}$")
_KAGGLE_SEGMENT: Final = _HF_SEGMENT
_BAD_CHARS: Final = re.compile(r"[\s\x00-\x1f\x7f<>\"{}|\\^`]")
_HOST: Final = re.compile(r"[\w.:-]+")
# An http(s) URL inside free text (cards, READMEs): stops at whitespace, quotes and brackets.
_URL_IN_TEXT: Final = re.compile(r"https?://[^\s<>\"'()\[\]{}|\\^`]+", re.IGNORECASE)
_TRAILING_PUNCTUATION: Final = ".,;:!?*_~"
_DEFAULT_PORTS: Final = (None, 80, 443)


@dataclass(frozen=True)
class SourceReference:
    """What a URL names, parsed; ``repo_id`` keeps the spelling of the URL."""

    kind: ReferenceKind
    url: str
    repo_id: str | None = None
    revision: str | None = None
    subdir: str | None = None
    default_name: str = "artifact"

    @property
    def key(self) -> str:
        """The canonical key other artifacts refer to this one by (`reference_key`)."""
        if self.repo_id is None:
            return f"url:{self.url}"
        return reference_key(self.kind, self.repo_id)

    @property
    def owner(self) -> str | None:
        return self.repo_id.split("/", 1)[0] if self.repo_id and "/" in self.repo_id else None

    @property
    def name(self) -> str | None:
        return self.repo_id.rsplit("/", 1)[-1] if self.repo_id else None


def model_key(repo_id: str) -> str:
    return f"hf:model:{repo_id.strip().lower()}"


def dataset_key(repo_id: str) -> str:
    return f"hf:dataset:{repo_id.strip().lower()}"


def space_key(repo_id: str) -> str:
    return f"hf:space:{repo_id.strip().lower()}"


def github_key(owner: str, repo: str) -> str:
    return f"github:{owner.strip().lower()}/{repo.strip().lower()}"


def reference_key(kind: str, repo_id: str) -> str:
    """The canonical key of repository ``repo_id`` of ``kind`` (a `ReferenceKind`)."""
    if kind == "huggingface_model":
        return model_key(repo_id)
    if kind == "huggingface_dataset":
        return dataset_key(repo_id)
    if kind == "huggingface_space":
        return space_key(repo_id)
    if kind == "github" and "/" in repo_id:
        owner, repo = repo_id.split("/", 1)
        return github_key(owner, repo)
    return f"{kind}:{repo_id.strip().lower()}"


def own_keys(kind: str, repo_id: str | None) -> list[str]:
    """Every key under which other artifacts may refer to repository ``repo_id``: a Hub id
    with an organisation is also known by its legacy one-segment form (``bert-base-uncased``
    names ``google-bert/bert-base-uncased``)."""
    if not repo_id:
        return []
    if kind in ("huggingface_model", "huggingface_dataset"):
        keys = [reference_key(kind, repo_id)]
        if "/" in repo_id:
            keys.append(reference_key(kind, repo_id.split("/", 1)[1]))
        return keys
    if kind == "github" and "/" in repo_id:
        return [reference_key(kind, repo_id)]
    # Nothing refers to Kaggle pages, spaces or plain URLs by key: metadata never names them.
    return []


def is_hub_repo_id(value: str) -> bool:
    """Whether ``value`` is a Hugging Face repository id (``org/name`` or legacy ``name``),
    not a local path such as ``./checkpoints`` or ``/models/x``."""
    parts = value.split("/")
    return 1 <= len(parts) <= 2 and all(
        _HF_SEGMENT.match(p) and ".." not in p and "--" not in p for p in parts
    )


def parse_reference(url: str) -> SourceReference:
    """Parse an http(s) URL; raises `BadRequest` with an actionable sentence."""
    if not isinstance(url, str):
        raise BadRequest(f"The url must be a string, an http(s) link such as {EXAMPLE}.")
    text = url.strip()
    if not text:
        raise BadRequest(f"The url is empty; give an http(s) link such as {EXAMPLE}.")
    if len(text) > MAX_URL_LENGTH:
        raise BadRequest(
            f"The url is {len(text)} characters long; the registry accepts at most "
            f"{MAX_URL_LENGTH}."
        )
    if _BAD_CHARS.search(text):
        raise BadRequest(
            "The url contains spaces, control characters or characters that must be "
            f"percent-encoded; give an http(s) link such as {EXAMPLE}."
        )
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError as exc:
        raise BadRequest(f"The url is not a well-formed link ({exc}); try {EXAMPLE}.") from exc
    if parts.scheme.lower() not in ("http", "https"):
        raise BadRequest(f"The url must be an http(s) link such as {EXAMPLE}.")
    host = (parts.hostname or "").rstrip(".")
    if not host or not _HOST.fullmatch(host) or port == 0:
        raise BadRequest(f"The url has no valid host name; give a link such as {EXAMPLE}.")
    if parts.username is not None or parts.password is not None:
        raise BadRequest(
            f"The url must not carry a user name or password; give a public link such as {EXAMPLE}."
        )
    site = host.lower().removeprefix("www.")
    segments = [unquote(s) for s in parts.path.split("/") if s]
    known = site in HF_HOSTS or site in GITHUB_HOSTS or site in KAGGLE_HOSTS
    if known and port not in _DEFAULT_PORTS:
        # The sites answer on their default ports only: another port is not their repository.
        raise BadRequest(
            f"The url names {site} on port {port}; give the site's own link such as "
            f"{EXAMPLE} or {GITHUB_EXAMPLE}."
        )
    if site in HF_HOSTS:
        return _huggingface(text, segments)
    if site in GITHUB_HOSTS:
        return _github(text, segments)
    if site in KAGGLE_HOSTS:
        ref = _kaggle(text, segments)
        if ref is not None:
            return ref
    return SourceReference(kind="url", url=text, default_name=_plain_default_name(segments, host))


def find_reference(url: object) -> SourceReference | None:
    """`parse_reference` for URLs read from metadata: None instead of an error."""
    if not isinstance(url, str):
        return None
    try:
        return parse_reference(url.strip().rstrip(_TRAILING_PUNCTUATION))
    except BadRequest:
        return None


def references_in(texts: Iterable[object]) -> Iterator[SourceReference]:
    """Every recognised reference of the http(s) links found in free ``texts``, in order."""
    for text in texts:
        if not isinstance(text, str):
            continue
        for match in _URL_IN_TEXT.finditer(text):
            ref = find_reference(match.group(0))
            if ref is not None:
                yield ref


def parse_github_repo(github_url: str) -> tuple[str, str]:
    """``(owner, repo)`` of a GitHub project URL; `BadRequest` when it is not one.

    Besides every http(s) form `parse_reference` reads, accepts what people paste for a
    repository: no scheme (``github.com/o/r``), and ``git@github.com:o/r.git`` / ``ssh://``.
    """
    if not isinstance(github_url, str) or not github_url.strip():
        raise BadRequest(f"The github_url is empty; send a URL such as {GITHUB_EXAMPLE}.")
    text = github_url.strip()
    if text.startswith("git@github.com:"):
        text = "https://github.com/" + text[len("git@github.com:") :]
    elif text.lower().startswith(("ssh://git@github.com/", "git://github.com/")):
        text = "https://github.com/" + text.split("github.com/", 1)[1]
    elif "://" not in text:
        text = "https://" + text
    try:
        ref = parse_reference(text)
    except BadRequest as exc:
        raise BadRequest(
            f"'{github_url}' is not a GitHub project URL ({exc.message}); send one such as "
            f"{GITHUB_EXAMPLE}."
        ) from exc
    if ref.kind != "github" or ref.repo_id is None:
        raise BadRequest(
            f"'{github_url}' is not a GitHub project URL; send one such as {GITHUB_EXAMPLE}."
        )
    owner, repo = ref.repo_id.split("/", 1)
    return owner, repo


def github_full_name(value: object) -> tuple[str, str] | None:
    """``(owner, repo)`` of an ``owner/repo`` name (as GitHub's API answers it), else None."""
    if not isinstance(value, str) or value.count("/") != 1:
        return None
    owner, repo = value.split("/")
    if _GITHUB_OWNER.match(owner) and _GITHUB_REPO.match(repo) and repo not in (".", ".."):
        return owner, repo
    return None


def github_repo_of(url: object) -> str | None:
    """``owner/repo`` of a GitHub repository URL (any page of it), None for anything else."""
    ref = find_reference(url)
    return ref.repo_id if ref is not None and ref.kind == "github" else None


def hf_dataset_of(url: object) -> str | None:
    """The Hub id of a Hugging Face dataset URL (any page of it), None for anything else."""
    ref = find_reference(url)
    return ref.repo_id if ref is not None and ref.kind == "huggingface_dataset" else None


def _huggingface(url: str, segments: list[str]) -> SourceReference:
    kind: ReferenceKind = "huggingface_model"
    noun = "model"
    if segments and segments[0] in ("datasets", "spaces"):
        if segments[0] == "datasets":
            kind, noun = "huggingface_dataset", "dataset"
        else:
            kind, noun = "huggingface_space", "space"
        segments = segments[1:]
    if noun == "space" and len(segments) < 2:
        # The spaces listing (of the site or an organisation): a page, not a repository.
        return SourceReference(
            kind="url",
            url=url,
            default_name=_plain_default_name(["spaces", *segments], "huggingface.co"),
        )
    if not segments:
        example = f"https://huggingface.co/{noun}s/<org>/<name>" if noun != "model" else EXAMPLE
        raise BadRequest(f"The Hugging Face url names no {noun}; give a link such as {example}.")
    if noun == "model" and segments[0] in HF_RESERVED:
        # A page of the site (docs, search ...): a plain URL, not a repository.
        return SourceReference(
            kind="url", url=url, default_name=_plain_default_name(segments, "huggingface.co")
        )
    # A legacy one-segment id ("bert-base-uncased", "imdb") may be followed by a page of it.
    # (``huggingface.co/org/tree`` is the repository ``org/tree``: a page needs a revision.)
    legacy = noun != "space" and (
        len(segments) == 1 or (len(segments) >= 3 and segments[1] in HF_REPO_PAGES)
    )
    repo_parts = segments[:1] if legacy else segments[:2]
    rest = segments[len(repo_parts) :]
    repo_parts = [*repo_parts[:-1], _strip_git(repo_parts[-1])]
    for part in repo_parts:
        if not _HF_SEGMENT.match(part) or ".." in part or "--" in part:
            raise BadRequest(
                f"'{'/'.join(repo_parts)}' is not a valid Hugging Face {noun} id; give a link "
                f"such as {EXAMPLE}."
            )
    revision, subdir = _hf_suffix(rest)
    return SourceReference(
        kind=kind,
        url=url,
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


def _github(url: str, segments: list[str]) -> SourceReference:
    if len(segments) < 2 or segments[0].lower() in GITHUB_RESERVED:
        raise BadRequest(
            f"The GitHub url names no repository; give a link such as {GITHUB_EXAMPLE}."
        )
    owner, repo = segments[0], _strip_git(segments[1])
    if not _GITHUB_OWNER.match(owner) or not _GITHUB_REPO.match(repo) or repo in (".", ".."):
        raise BadRequest(
            f"'{owner}/{repo}' is not a valid GitHub repository; give a link such as "
            f"{GITHUB_EXAMPLE}."
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
    return SourceReference(
        kind="github",
        url=url,
        repo_id=f"{owner}/{repo}",
        revision=revision,
        subdir=subdir,
        default_name=repo,
    )


def _kaggle(url: str, segments: list[str]) -> SourceReference | None:
    if len(segments) >= 3 and segments[0] in KAGGLE_SECTIONS:
        owner, name = segments[1], segments[2]
    elif len(segments) >= 2 and segments[0] in ("competitions", "c"):
        owner, name = "competitions", segments[1]
    else:
        return None
    if not (_KAGGLE_SEGMENT.match(owner) and _KAGGLE_SEGMENT.match(name)):
        return None
    return SourceReference(kind="kaggle", url=url, repo_id=f"{owner}/{name}", default_name=name)


def kaggle_section_noun(url: str) -> str:
    """``dataset``, ``notebook``, ``model`` or ``competition`` for a Kaggle reference URL."""
    segments = [s for s in urlsplit(url).path.split("/") if s]
    if segments and segments[0] in KAGGLE_SECTIONS:
        return KAGGLE_SECTIONS[segments[0]]
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
