"""Fake Hugging Face Hub: the routes ``huggingface_hub`` 2.4 calls, served from the fixture table.

Routes (``{t}`` is ``models`` or ``datasets``; repo ids have one or two segments):

* ``GET /api/{t}`` search (``search``, ``author``, ``filter``, ``pipeline_tag``, ``sort``,
  ``limit``, ``full``, ``cardData``), paginated with a ``Link: <...>; rel="next"`` header
* ``GET /api/{t}/{repo}`` and ``/api/{t}/{repo}/revision/{rev}``
  (``blobs``, ``expand``, ``securityStatus``)
* ``GET /api/{t}/{repo}/tree/{rev}[/{path}]`` (``recursive``, ``expand``, cursor pagination)
* ``GET /api/{t}/{repo}/refs``, ``GET /api/{t}/{repo}/commits/{rev}``,
  ``POST /api/{t}/{repo}/paths-info/{rev}``
* ``HEAD``/``GET /{repo}/resolve/{rev}/{path}`` and ``/datasets/{repo}/resolve/{rev}/{path}`` with
  ``ETag``, ``X-Repo-Commit``, ``Content-Length``, ``Accept-Ranges`` and single byte ranges (206)

Errors carry ``X-Error-Code`` (RepoNotFound, RevisionNotFound, EntryNotFound, GatedRepo) and a JSON
``{"error": ...}`` body, which is what makes ``huggingface_hub`` raise its typed exceptions.
No ``X-Xet-Hash`` is ever sent, so clients download over plain HTTP.

Run by hand: ``python -m tests.fakes.hub --port 8765`` then ``HF_ENDPOINT=http://127.0.0.1:8765``.
"""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, quote, unquote

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from . import hub_payloads as payloads
from .control import RecordedRequest, ServerControl
from .fixtures import TABLE, FixtureTable
from .hub_content import HubRepoState, ServedFile

GRANTED_TOKEN = "hf_fake_granted_token"  # may read every gated and private fixture
UNGRANTED_TOKEN = "hf_fake_ungranted_token"  # a logged-in user who was not granted anything
ALL_REPOS = "*"

# Segments that follow a repo id in API paths; a second segment equal to one of these means the
# repo id has a single segment (legacy ids such as "bert-base-uncased"), as the client assumes.
_API_SUBROUTES = {
    "revision",
    "tree",
    "refs",
    "commits",
    "paths-info",
    "resolve",
    "discussions",
    "settings",
}
_PLURALS = {"models": "model", "datasets": "dataset"}
_RANGE_PATTERN = re.compile(r"^bytes=(\d*)-(\d*)$")


@dataclass
class HubControl(ServerControl):
    """Knobs a test can turn on the running fake Hub (reset with ``reset()``)."""

    # Answer LFS files with a 302 to a "CDN" on another origin (localhost <-> 127.0.0.1), like
    # the real Hub does, instead of serving the bytes directly from /resolve.
    lfs_redirect: bool = False
    # Page size of the tree listing; None = the Hub's (1000 entries, 50 with expand=True).
    tree_page_size: int | None = None
    search_page_size: int = 1000
    tokens: dict[str, set[str]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._default_tokens()

    def _default_tokens(self) -> None:
        self.tokens = {GRANTED_TOKEN: {ALL_REPOS}, UNGRANTED_TOKEN: set()}

    def grant(self, token: str, *repo_ids: str) -> None:
        """Let ``token`` read the given gated/private repos (creating the token if needed)."""
        with self._lock:
            self.tokens.setdefault(token, set()).update(repo_ids)

    def token_can_read(self, token: str | None, repo_id: str) -> bool:
        with self._lock:
            granted = self.tokens.get(token or "", set())
            return ALL_REPOS in granted or repo_id in granted

    def reset(self) -> None:
        super().reset()
        self.lfs_redirect = False
        self.tree_page_size = None
        self.search_page_size = 1000
        self._default_tokens()


def _error(
    status: int, code: str | None, message: str, headers: dict[str, str] | None = None
) -> JSONResponse:
    all_headers = {"X-Error-Message": message, **(headers or {})}
    if code:
        all_headers["X-Error-Code"] = code
    return JSONResponse({"error": message}, status_code=status, headers=all_headers)


def _bearer_token(request: Request) -> str | None:
    auth = request.headers.get("authorization", "")
    return auth[7:].strip() if auth.lower().startswith("bearer ") else None


def _truthy(value: str | None) -> bool:
    return (value or "").lower() in {"1", "true", "yes"}


def _encode_cursor(offset: int) -> str:
    return base64.urlsafe_b64encode(f"offset:{offset}".encode()).decode()


def _decode_cursor(cursor: str | None) -> int:
    if not cursor:
        return 0
    try:
        return int(base64.urlsafe_b64decode(cursor.encode()).decode().split(":", 1)[1])
    except (ValueError, IndexError):
        return 0


def _paginated(request: Request, items: list[Any], page_size: int) -> JSONResponse:
    """One page of ``items`` with a GitHub-style ``Link`` header when more remain."""
    start = _decode_cursor(request.query_params.get("cursor"))
    page = items[start : start + page_size]
    headers: dict[str, str] = {}
    if start + page_size < len(items):
        next_url = request.url.include_query_params(cursor=_encode_cursor(start + page_size))
        headers["Link"] = f'<{next_url}>; rel="next"'
    return JSONResponse(page, headers=headers)


def _parse_range(header: str, size: int) -> tuple[int, int] | None:
    """Inclusive byte range from a single-range ``Range`` header; None if unsatisfiable."""
    match = _RANGE_PATTERN.match(header.strip())
    if not match or (not match.group(1) and not match.group(2)):
        return None
    first, last = match.groups()
    if not first:  # suffix range: the last N bytes
        length = int(last)
        return (max(size - length, 0), size - 1) if length > 0 and size > 0 else None
    start = int(first)
    end = min(int(last), size - 1) if last else size - 1
    return (start, end) if start <= end and start < size else None


class FakeHub:
    """The fake Hub: ``.app`` (ASGI), ``.fixtures``, ``.control`` (knobs), ``.url`` once served."""

    def __init__(self, fixtures: FixtureTable = TABLE) -> None:
        self.fixtures = fixtures
        self.control = HubControl()
        self.url: str | None = None
        self._states: dict[tuple[str, str], HubRepoState] = {
            (r.repo_type, r.repo_id): HubRepoState(r) for r in fixtures.hub_repos
        }
        self._aliases: dict[tuple[str, str], str] = {
            (r.repo_type, alias): r.repo_id for r in fixtures.hub_repos for alias in r.aliases
        }
        self.app = Starlette(
            routes=[Route("/{path:path}", self._dispatch, methods=["GET", "HEAD", "POST"])]
        )

    # ------------------------------------------------------------------ helpers for tests

    def state(self, repo_id: str, repo_type: str = "model") -> HubRepoState:
        """Commits, tags and snapshots of a fixture repo (e.g. to compute expected bytes)."""
        canonical = self._aliases.get((repo_type, repo_id), repo_id)
        return self._states[(repo_type, canonical)]

    def file_bytes(
        self, repo_id: str, path: str, revision: str = "main", repo_type: str = "model"
    ) -> bytes:
        """Exactly what ``/resolve/{revision}/{path}`` serves."""
        state = self.state(repo_id, repo_type)
        commit = state.resolve(revision)
        if commit is None:
            raise KeyError(revision)
        return state.snapshot(commit).files[path].data

    # ------------------------------------------------------------------ routing

    async def _dispatch(self, request: Request) -> Response:
        raw_path = request.scope.get("raw_path") or request.url.path.encode()
        # Split the *raw* path: clients quote revisions and tree paths with safe="", so an encoded
        # "%2F" belongs to one segment and must not be confused with a path separator.
        raw_segments = [s for s in raw_path.decode("latin-1").split("?", 1)[0].split("/") if s]
        segments = [unquote(s) for s in raw_segments]
        response = await self._route(request, segments, raw_segments)
        self.control.record(
            RecordedRequest(
                method=request.method,
                path=request.url.path,
                query=request.url.query,
                status=response.status_code,
                authorization=request.headers.get("authorization"),
            )
        )
        return response

    async def _route(self, request: Request, segments: list[str], raw: list[str]) -> Response:
        if segments[:1] == ["api"] and len(segments) >= 2:
            if segments[1] == "agent-harnesses":  # huggingface_hub's agent registry: keep it empty
                return JSONResponse({"standardEnvVars": [], "harnesses": {}})
            if segments[1] == "whoami-v2":
                return self._whoami(request)
            if segments[1] in _PLURALS:
                repo_type = _PLURALS[segments[1]]
                if len(segments) == 2:
                    return self._search(request, repo_type)
                return await self._api_repo(request, repo_type, segments[2:], raw[2:])
        if segments[:1] == ["_fake-cdn"]:
            return self._cdn(request, segments[1:])
        if segments[:1] == ["datasets"] and "resolve" in segments[2:4]:
            return self._resolve(request, "dataset", segments[1:])
        if "resolve" in segments[1:3]:
            return self._resolve(request, "model", segments)
        return _error(404, None, "Sorry, we can't find the page you are looking for.")

    def _split_repo_id(self, rest: list[str], keywords: set[str]) -> tuple[str, int]:
        """(repo_id, number of segments it used) for ``rest`` = repo segments + sub-route."""
        if len(rest) >= 2 and rest[1] not in keywords:
            return f"{rest[0]}/{rest[1]}", 2
        return rest[0], 1

    def _lookup(self, repo_type: str, repo_id: str) -> tuple[HubRepoState | None, str | None]:
        """(state, None) if known, (None, canonical id) for an alias, (None, None) if unknown."""
        if (repo_type, repo_id) in self._states:
            return self._states[(repo_type, repo_id)], None
        return None, self._aliases.get((repo_type, repo_id))

    def _guard(
        self, request: Request, state: HubRepoState | None, repo_id: str, *, is_download: bool
    ) -> Response | None:
        """Injected failures, then RepoNotFound / private / gated checks, in the Hub's order."""
        failure = self.control.take_failure(repo_id)
        if failure is not None:
            return self._injected_failure(failure.status, failure.retry_after)
        if state is None:
            return _error(404, "RepoNotFound", "Repository not found")
        token = _bearer_token(request)
        repo = state.repo
        if repo.private and not self.control.token_can_read(token, repo.repo_id):
            # The Hub hides private repos behind a 401 RepoNotFound, not a 403.
            return _error(401, "RepoNotFound", "Repository not found")
        if is_download and repo.gated and not self.control.token_can_read(token, repo.repo_id):
            kind = "model" if repo.repo_type == "model" else "dataset"
            if token is None:
                message = (
                    f"Access to {kind} {repo.repo_id} is restricted. You must have access to it "
                    "and be "
                    "authenticated to access it. Please log in."
                )
                return _error(401, "GatedRepo", message)
            message = (
                f"Access to {kind} {repo.repo_id} is restricted and you are not in the "
                "authorized list. "
                f"Visit {self.url or ''}/{repo.repo_id} to ask for access."
            )
            return _error(403, "GatedRepo", message)
        return None

    @staticmethod
    def _injected_failure(status: int, retry_after: int | None) -> Response:
        headers = {"Retry-After": str(retry_after)} if retry_after is not None else {}
        if status == 429:
            headers.setdefault("Retry-After", "1")
            return _error(
                429, None, "You have exceeded our hourly quotas for action 'resolve'.", headers
            )
        if status >= 500:
            return _error(
                status,
                None,
                "Internal Error - We're working hard to fix this as soon as possible!",
                headers,
            )
        return _error(status, None, f"Injected failure {status}", headers)

    # ------------------------------------------------------------------ /api/{t}/{repo}/...

    async def _api_repo(
        self, request: Request, repo_type: str, rest: list[str], raw: list[str]
    ) -> Response:
        repo_id, used = self._split_repo_id(rest, _API_SUBROUTES)
        tail, raw_tail = rest[used:], raw[used:]
        state, alias_target = self._lookup(repo_type, repo_id)
        if alias_target is not None:
            plural = f"{repo_type}s"
            location = "/".join([f"/api/{plural}/{alias_target}", *raw_tail])
            if request.url.query:
                location += f"?{request.url.query}"
            return RedirectResponse(location, status_code=307)
        guard = self._guard(request, state, repo_id, is_download=False)
        if guard is not None:
            return guard
        assert state is not None

        if request.method == "POST":
            if len(tail) == 2 and tail[0] == "paths-info":
                return await self._paths_info(request, state, tail[1])
            return _error(405, None, "Method not allowed")
        if not tail:
            return self._info(request, state, "main")
        if tail[0] == "revision" and len(tail) == 2:
            return self._info(request, state, tail[1])
        if tail[0] == "tree" and len(tail) >= 2:
            return self._tree(request, state, tail[1], "/".join(tail[2:]))
        if tail == ["refs"]:
            return JSONResponse(
                payloads.refs(state, include_prs=_truthy(request.query_params.get("include_prs")))
            )
        if tail[0] == "commits" and len(tail) == 2:
            commit = state.resolve(tail[1])
            if commit is None:
                return self._revision_not_found(tail[1])
            return _paginated(request, payloads.commits(state, commit), 50)
        return _error(404, None, "Sorry, we can't find the page you are looking for.")

    @staticmethod
    def _revision_not_found(revision: str) -> Response:
        return _error(404, "RevisionNotFound", f"Invalid rev id: {revision}")

    def canonical_dataset(self, name: str) -> str:
        return self._aliases.get(("dataset", name), name)

    def _info(self, request: Request, state: HubRepoState, revision: str) -> Response:
        commit = state.resolve(revision)
        if commit is None:
            return self._revision_not_found(revision)
        params = request.query_params
        expand = params.getlist("expand") + params.getlist("expand[]")
        body = payloads.repo_info(
            state,
            state.snapshot(commit),
            blobs=_truthy(params.get("blobs")),
            expand=expand or None,
            security=_truthy(params.get("securityStatus")),
            canonical_dataset=self.canonical_dataset,
        )
        return JSONResponse(body)

    def _tree(self, request: Request, state: HubRepoState, revision: str, path: str) -> Response:
        commit = state.resolve(revision)
        if commit is None:
            return self._revision_not_found(revision)
        snapshot = state.snapshot(commit)
        path = path.strip("/")
        if path and path not in snapshot.directories:
            return _error(404, "EntryNotFound", f'{path} does not exist on "{revision}"')
        recursive = _truthy(request.query_params.get("recursive"))
        expand = _truthy(request.query_params.get("expand"))
        entries = [
            payloads.tree_entry(snapshot, p, expand=expand)
            for p in payloads.tree_paths(snapshot, path, recursive=recursive)
        ]
        page_size = self.control.tree_page_size or (50 if expand else 1000)
        return _paginated(request, entries, page_size)

    async def _paths_info(self, request: Request, state: HubRepoState, revision: str) -> Response:
        commit = state.resolve(revision)
        if commit is None:
            return self._revision_not_found(revision)
        snapshot = state.snapshot(commit)
        # huggingface_hub posts a urlencoded form; parse it by hand (python-multipart is optional).
        form = parse_qs((await request.body()).decode())
        expand = _truthy((form.get("expand") or [""])[0])
        wanted = [p.strip("/") for p in form.get("paths", [])]
        known = [p for p in wanted if p in snapshot.files or p in snapshot.directories]
        return JSONResponse([payloads.tree_entry(snapshot, p, expand=expand) for p in known])

    def _search(self, request: Request, repo_type: str) -> Response:
        params = request.query_params
        token = _bearer_token(request)
        search = (params.get("search") or "").lower()
        author = params.get("author")
        filters = params.getlist("filter")
        wanted_pipeline = params.get("pipeline_tag")
        items: list[tuple[HubRepoState, dict[str, Any]]] = []
        for (kind, _), state in self._states.items():
            repo = state.repo
            if kind != repo_type or (
                repo.private and not self.control.token_can_read(token, repo.repo_id)
            ):
                continue
            info = payloads.repo_info(
                state,
                state.snapshot(state.head),
                blobs=False,
                expand=None,
                security=False,
                canonical_dataset=self.canonical_dataset,
            )
            tags = set(info.get("tags", []))
            if search and search not in repo.repo_id.lower():
                continue
            if author and repo.author != author:
                continue
            if wanted_pipeline and info.get("pipeline_tag") != wanted_pipeline:
                continue
            if any(f not in tags and f != info.get("library_name") for f in filters):
                continue
            items.append((state, info))
        sort = params.get("sort")
        if sort in {"downloads", "likes", "lastModified", "createdAt"}:
            items.sort(
                key=lambda pair: pair[1].get(sort) or 0, reverse=params.get("direction") != "1"
            )
        body = [
            payloads.search_item(
                state,
                info,
                full=_truthy(params.get("full")),
                card_data=_truthy(params.get("cardData")),
            )
            for state, info in items
        ]
        if params.get("limit", "").isdigit():
            body = body[: int(params["limit"])]
        return _paginated(request, body, self.control.search_page_size)

    def _whoami(self, request: Request) -> Response:
        token = _bearer_token(request)
        if token is None:
            return _error(401, None, "Invalid credentials in Authorization header")
        return JSONResponse(
            {
                "type": "user",
                "id": "fake-user-id",
                "name": "fake-user",
                "fullname": "Fake User",
                "orgs": [],
                "auth": {"type": "access_token", "accessToken": {"role": "read"}},
            }
        )

    # ------------------------------------------------------------------ downloads

    def _resolve(self, request: Request, repo_type: str, segments: list[str]) -> Response:
        resolve_at = segments.index("resolve")
        repo_id = "/".join(segments[:resolve_at])
        if len(segments) < resolve_at + 3:
            return _error(404, "EntryNotFound", "Entry not found")
        revision, path = segments[resolve_at + 1], "/".join(segments[resolve_at + 2 :])
        state, alias_target = self._lookup(repo_type, repo_id)
        if alias_target is not None:
            prefix = "/datasets" if repo_type == "dataset" else ""
            location = f"{prefix}/{alias_target}/resolve/{quote(revision, safe='')}/{quote(path)}"
            return RedirectResponse(location, status_code=307)
        guard = self._guard(request, state, repo_id, is_download=True)
        if guard is not None:
            return guard
        assert state is not None
        commit = state.resolve(revision)
        if commit is None:
            return self._revision_not_found(revision)
        file = state.snapshot(commit).files.get(path)
        if file is None:
            return _error(404, "EntryNotFound", "Entry not found", {"X-Repo-Commit": commit.sha})
        if self.control.lfs_redirect and file.is_lfs:
            return self._redirect_to_cdn(request, state, commit.sha, file)
        headers = {"X-Repo-Commit": commit.sha, "ETag": f'"{file.etag}"'}
        if file.is_lfs:
            headers |= {"X-Linked-Etag": f'"{file.sha256}"', "X-Linked-Size": str(file.size)}
        return self._serve_bytes(request, file, headers)

    def _redirect_to_cdn(
        self, request: Request, state: HubRepoState, commit_sha: str, file: ServedFile
    ) -> Response:
        # The real Hub answers LFS files with a 302 to a CDN on another host; huggingface_hub reads
        # the metadata from that 302 and does not forward auth. Swapping 127.0.0.1 <-> localhost
        # gives the same "other origin" situation on one loopback server.
        host = request.url.hostname or "127.0.0.1"
        cdn_host = "localhost" if host != "localhost" else "127.0.0.1"
        repo = state.repo
        location = (
            f"{request.url.scheme}://{cdn_host}:{request.url.port}/_fake-cdn/{repo.repo_type}s/"
            f"{repo.repo_id}/{commit_sha}/{quote(file.path)}?expires=4102444800&signature=fake"
        )
        headers = {
            "Location": location,
            "X-Repo-Commit": commit_sha,
            "X-Linked-Etag": f'"{file.sha256}"',
            "X-Linked-Size": str(file.size),
            "ETag": f'"{file.sha256}"',
        }
        return Response(status_code=302, headers=headers)

    def _cdn(self, request: Request, segments: list[str]) -> Response:
        """The "CDN" behind ``lfs_redirect``: ``/_fake-cdn/{t}/{repo...}/{sha}/{path}``."""
        if len(segments) < 4 or segments[0] not in _PLURALS:
            return Response(status_code=404)
        repo_type = _PLURALS[segments[0]]
        rest = segments[1:]
        for used in (2, 1):
            state = self._states.get((repo_type, "/".join(rest[:used])))
            if state is None or len(rest) < used + 2:
                continue
            commit = state.resolve(rest[used])
            file = state.snapshot(commit).files.get("/".join(rest[used + 1 :])) if commit else None
            if file is not None:
                return self._serve_bytes(request, file, {"ETag": f'"{file.sha256}"'})
        return Response(status_code=404)

    @staticmethod
    def _serve_bytes(request: Request, file: ServedFile, headers: dict[str, str]) -> Response:
        content_type = "application/octet-stream" if file.is_lfs else "text/plain; charset=utf-8"
        headers = {**headers, "Accept-Ranges": "bytes", "Content-Type": content_type}
        body, status = file.data, 200
        range_header = request.headers.get("range")
        if range_header:
            byte_range = _parse_range(range_header, file.size)
            if byte_range is None:
                return Response(status_code=416, headers={"Content-Range": f"bytes */{file.size}"})
            start, end = byte_range
            body, status = file.data[start : end + 1], 206
            headers["Content-Range"] = f"bytes {start}-{end}/{file.size}"
        headers["Content-Length"] = str(len(body))
        if request.method == "HEAD":
            # Same headers as GET (Content-Length included), no body.
            return Response(content=b"", status_code=status, headers=headers)
        return Response(content=body, status_code=status, headers=headers)


def create_app(fixtures: FixtureTable = TABLE) -> Starlette:
    return FakeHub(fixtures).app


if __name__ == "__main__":
    from .server import main

    main(FakeHub().app, "Fake Hugging Face Hub")
