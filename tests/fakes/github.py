"""Fake GitHub REST v3 API serving the repositories of the fixture table.

Routes (all under ``/repos/{owner}/{repo}`` unless noted): the repository itself, ``/license``,
``/readme``, ``/contributors``, ``/languages``, ``/commits`` (``sha``, ``path``, ``author``,
``since``, ``until``), ``/commits/{ref}`` (with ``stats`` and ``files``), ``/commits/{sha}/pulls``,
``/pulls`` (``state``, ``sort``, ``direction``), ``/pulls/{n}``, ``/pulls/{n}/reviews``,
``/pulls/{n}/commits``, ``/pulls/{n}/files``, ``/contents[/{path}]`` (``ref``),
``/git/trees/{ref}`` (``recursive``), ``/tags``, ``/releases``, ``/releases/latest``,
``/releases/tags/{tag}``, ``/zipball[/{ref}]`` and ``/tarball[/{ref}]`` (302 to a codeload-like
route serving a real archive with the ``owner-repo-sha7/`` top folder), plus ``/rate_limit``
and ``/users/{login}``.

Lists paginate with ``per_page`` (default 30, max 100) / ``page`` and a ``Link`` header.
Every answer carries ``X-RateLimit-*`` headers; ``FakeGitHub.control`` injects rate limiting
and server errors per repository.

Run by hand: ``python -m tests.fakes.github --port 8766`` then ``GITHUB_API_URL=http://127.0.0.1:8766``.
"""

from __future__ import annotations

import io
import math
import tarfile
import threading
import time
import zipfile
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from . import github_payloads as payloads
from .blobs import fake_sha1
from .control import RecordedRequest, ServerControl
from .fixture_types import GitHubRepo, GitHubUser
from .fixtures import TABLE, FixtureTable
from .github_history import PullRequest, RepoGraph, combine_changes

DOCS = "https://docs.github.com/rest"
_LANGUAGES = {
    ".py": "Python",
    ".sh": "Shell",
    ".yml": "YAML",
    ".yaml": "YAML",
    ".toml": "TOML",
    ".cfg": "INI",
}


@dataclass
class GitHubControl(ServerControl):
    """Rate-limit bookkeeping and failure injection for the running fake GitHub.

    By default the limit never runs out (it silently refills) so a long test session cannot
    exhaust it by accident; ``exhaust_rate_limit`` / ``set_rate_limit`` pin it until the reset time.
    """

    rate_limit: int = 5000
    rate_limit_remaining: int = 5000
    rate_limit_reset_at: float = field(default_factory=lambda: time.time() + 3600)
    _pinned: bool = False
    _rate_lock: threading.Lock = field(default_factory=threading.Lock)

    def exhaust_rate_limit(self, reset_in_seconds: float = 60) -> None:
        """Every request answers 403 "API rate limit exceeded" until ``reset_in_seconds`` pass."""
        self.set_rate_limit(remaining=0, reset_in_seconds=reset_in_seconds)

    def set_rate_limit(self, *, remaining: int, reset_in_seconds: float = 3600) -> None:
        """Allow ``remaining`` more requests, then 403 until the reset time."""
        with self._rate_lock:
            self.rate_limit_remaining = remaining
            self.rate_limit_reset_at = time.time() + reset_in_seconds
            self._pinned = True

    def consume(self) -> tuple[bool, dict[str, str]]:
        """Count one request; (allowed, X-RateLimit-* headers)."""
        with self._rate_lock:
            now = time.time()
            if now >= self.rate_limit_reset_at:
                self.rate_limit_remaining = self.rate_limit
                self.rate_limit_reset_at = now + 3600
                self._pinned = False
            if self.rate_limit_remaining <= 0 and not self._pinned:
                self.rate_limit_remaining = self.rate_limit
            allowed = self.rate_limit_remaining > 0
            if allowed:
                self.rate_limit_remaining -= 1
            return allowed, self._headers_locked()

    def headers(self) -> dict[str, str]:
        with self._rate_lock:
            return self._headers_locked()

    def _headers_locked(self) -> dict[str, str]:
        return {
            "X-RateLimit-Limit": str(self.rate_limit),
            "X-RateLimit-Remaining": str(self.rate_limit_remaining),
            "X-RateLimit-Reset": str(int(self.rate_limit_reset_at)),
            "X-RateLimit-Used": str(self.rate_limit - self.rate_limit_remaining),
            "X-RateLimit-Resource": "core",
        }

    def reset(self) -> None:
        super().reset()
        with self._rate_lock:
            self.rate_limit = 5000
            self.rate_limit_remaining = 5000
            self.rate_limit_reset_at = time.time() + 3600
            self._pinned = False


def _message(
    status: int, message: str, doc: str = DOCS, headers: dict[str, str] | None = None
) -> JSONResponse:
    body = {"message": message, "documentation_url": doc, "status": str(status)}
    return JSONResponse(body, status_code=status, headers=headers)


def _not_found(doc: str = f"{DOCS}/repos/repos#get-a-repository") -> JSONResponse:
    return _message(404, "Not Found", doc)


def _rate_limited(headers: dict[str, str]) -> JSONResponse:
    message = (
        "API rate limit exceeded for 127.0.0.1. (But here's the good news: Authenticated "
        "requests get a "
        "higher rate limit. Check out the documentation for more details.)"
    )
    return _message(
        403, message, f"{DOCS}/overview/resources-in-the-rest-api#rate-limiting", headers
    )


def _int_param(request: Request, name: str, default: int) -> int:
    value = request.query_params.get(name, "")
    return int(value) if value.isdigit() else default


def _paginate(request: Request, items: list[Any]) -> JSONResponse:
    """GitHub-style page of ``items`` with ``Link`` rel=next/last/first/prev."""
    per_page = min(max(_int_param(request, "per_page", 30), 1), 100)
    page = max(_int_param(request, "page", 1), 1)
    last = max(1, math.ceil(len(items) / per_page))
    chunk = items[(page - 1) * per_page : page * per_page]

    def link(n: int, rel: str) -> str:
        return f'<{request.url.include_query_params(per_page=per_page, page=n)}>; rel="{rel}"'

    links = []
    if page > 1:
        links += [link(page - 1, "prev"), link(1, "first")]
    if page < last:
        links += [link(page + 1, "next"), link(last, "last")]
    return JSONResponse(chunk, headers={"Link": ", ".join(links)} if links else None)


@dataclass(frozen=True)
class RepoContext:
    repo: GitHubRepo
    graph: RepoGraph
    base: str  # the fake's base URL as the client reached it


Handler = Callable[[Request, RepoContext], Awaitable[Response]]


class FakeGitHub:
    """The fake GitHub: ``.app`` (ASGI), ``.fixtures``, ``.control``, ``.url`` once served."""

    def __init__(self, fixtures: FixtureTable = TABLE) -> None:
        self.fixtures = fixtures
        self.control = GitHubControl()
        self.url: str | None = None
        self.users = dict(fixtures.github_users)
        self._graphs = {r.full_name.lower(): RepoGraph(r) for r in fixtures.github_repos}
        self.app = Starlette(routes=self._routes())

    def graph(self, full_name: str) -> RepoGraph:
        """Commit graph of a fixture repo (tests use it to compute expected shas and counts)."""
        return self._graphs[full_name.lower()]

    # ------------------------------------------------------------------ plumbing

    def _routes(self) -> list[Route]:
        repo = "/repos/{owner}/{repo}"
        table: list[tuple[str, Handler]] = [
            ("", self._repository),
            ("/license", self._license),
            ("/readme", self._readme),
            ("/contributors", self._contributors),
            ("/languages", self._languages),
            ("/commits", self._commits),
            ("/commits/{ref}", self._commit),
            ("/commits/{ref}/pulls", self._commit_pulls),
            ("/pulls", self._pulls),
            ("/pulls/{number:int}", self._pull),
            ("/pulls/{number:int}/reviews", self._pull_reviews),
            ("/pulls/{number:int}/commits", self._pull_commits),
            ("/pulls/{number:int}/files", self._pull_files),
            ("/contents", self._contents),
            ("/contents/{path:path}", self._contents),
            ("/git/trees/{ref:path}", self._git_tree),
            ("/tags", self._tags),
            ("/releases", self._releases),
            ("/releases/latest", self._latest_release),
            ("/releases/tags/{tag:path}", self._release_by_tag),
            ("/zipball", self._archive_redirect),
            ("/zipball/{ref:path}", self._archive_redirect),
            ("/tarball", self._archive_redirect),
            ("/tarball/{ref:path}", self._archive_redirect),
        ]
        routes = [Route(repo + suffix, self._repo_endpoint(handler)) for suffix, handler in table]
        routes += [
            Route(
                "/_codeload/{owner}/{repo}/{kind}/{ref:path}", self._repo_endpoint(self._archive)
            ),
            Route("/rate_limit", self._rate_limit),
            Route("/users/{login}", self._global_endpoint(self._user)),
        ]
        return routes

    def _finish(self, request: Request, response: Response) -> Response:
        for name, value in self.control.headers().items():
            # Rate-limited answers already carry their own (exhausted) numbers.
            response.headers.setdefault(name, value)
        response.headers.setdefault("X-GitHub-Media-Type", "github.v3; format=json")
        response.headers.setdefault("X-GitHub-Api-Version-Selected", "2022-11-28")
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

    def _admit(self, repo_key: str | None) -> Response | None:
        """Rate limit, then injected failures; None when the request may proceed."""
        allowed, headers = self.control.consume()
        if not allowed:
            return _rate_limited(headers)
        failure = self.control.take_failure(repo_key)
        if failure is None:
            return None
        extra = {"Retry-After": str(failure.retry_after)} if failure.retry_after is not None else {}
        if failure.status == 403:
            return _rate_limited({**headers, "X-RateLimit-Remaining": "0", **extra})
        if failure.status == 429:
            message = (
                "You have exceeded a secondary rate limit. "
                "Please wait a few minutes before you try again."
            )
            return _message(
                429,
                message,
                f"{DOCS}/overview/rate-limits-for-the-rest-api",
                {"Retry-After": "1", **extra},
            )
        if failure.status == 404:
            return _not_found()
        if failure.status >= 500:
            return _message(failure.status, "Server Error", headers=extra)
        return _message(failure.status, f"Injected failure {failure.status}", headers=extra)

    def _repo_endpoint(self, handler: Handler) -> Callable[[Request], Awaitable[Response]]:
        async def endpoint(request: Request) -> Response:
            full_name = f"{request.path_params['owner']}/{request.path_params['repo']}"
            response = self._admit(full_name)
            if response is None:
                graph = self._graphs.get(full_name.lower())
                if graph is None:
                    response = _not_found()
                else:
                    base = str(request.base_url).rstrip("/")
                    response = await handler(request, RepoContext(graph.repo, graph, base))
            return self._finish(request, response)

        return endpoint

    def _global_endpoint(
        self, handler: Callable[[Request], Awaitable[Response]]
    ) -> Callable[[Request], Awaitable[Response]]:
        async def endpoint(request: Request) -> Response:
            response = self._admit(None) or await handler(request)
            return self._finish(request, response)

        return endpoint

    # ------------------------------------------------------------------ repository

    async def _repository(self, request: Request, ctx: RepoContext) -> Response:
        owner = self.users.get(ctx.repo.owner) or _organization(ctx.repo)
        return JSONResponse(payloads.repository(ctx.repo, ctx.graph, owner, ctx.base))

    async def _license(self, request: Request, ctx: RepoContext) -> Response:
        if ctx.repo.license_spdx is None or "LICENSE" not in ctx.repo.files:
            return _not_found(f"{DOCS}/licenses/licenses#get-the-license-for-a-repository")
        body = payloads.content_file(ctx.graph, "LICENSE", ctx.repo.default_branch, ctx.base)
        body["license"] = payloads.license_summary(ctx.repo.license_spdx, ctx.base)
        return JSONResponse(body)

    async def _readme(self, request: Request, ctx: RepoContext) -> Response:
        readmes = [p for p in ctx.repo.files if "/" not in p and p.lower().startswith("readme")]
        if not readmes:
            return _not_found(f"{DOCS}/repos/contents#get-a-repository-readme")
        ref = request.query_params.get("ref") or ctx.repo.default_branch
        return JSONResponse(payloads.content_file(ctx.graph, readmes[0], ref, ctx.base))

    async def _contributors(self, request: Request, ctx: RepoContext) -> Response:
        items = [
            {**payloads.user(self.users[login], ctx.base), "contributions": count}
            for login, count in ctx.graph.contributions
        ]
        return _paginate(request, items)

    async def _languages(self, request: Request, ctx: RepoContext) -> Response:
        totals: dict[str, int] = {}
        for path, text in ctx.repo.files.items():
            language = next((lang for ext, lang in _LANGUAGES.items() if path.endswith(ext)), None)
            if language:
                totals[language] = totals.get(language, 0) + len(text.encode())
        return JSONResponse(dict(sorted(totals.items(), key=lambda kv: -kv[1])))

    # ------------------------------------------------------------------ commits

    async def _commits(self, request: Request, ctx: RepoContext) -> Response:
        params = request.query_params
        start = ctx.graph.resolve(params.get("sha"))
        if start is None:
            return _message(
                404, f"No commit found for SHA: {params.get('sha')}", f"{DOCS}/commits/commits"
            )
        commits = ctx.graph.ancestors(start)
        if params.get("path"):
            path = params["path"].strip("/")
            commits = [
                c
                for c in commits
                if any(ch.path == path or ch.path.startswith(path + "/") for ch in c.changes)
            ]
        if params.get("author"):
            wanted = params["author"].lower()
            commits = [
                c
                for c in commits
                if wanted in {c.author.lower(), self.users[c.author].email.lower()}
            ]
        if params.get("since"):
            commits = [c for c in commits if c.date >= params["since"]]
        if params.get("until"):
            commits = [c for c in commits if c.date <= params["until"]]
        items = [
            payloads.commit(c, ctx.graph, self.users, ctx.base, detailed=False) for c in commits
        ]
        return _paginate(request, items)

    async def _commit(self, request: Request, ctx: RepoContext) -> Response:
        ref = request.path_params["ref"]
        sha = ctx.graph.resolve(ref)
        if sha is None:
            return _message(
                422, f"No commit found for SHA: {ref}", f"{DOCS}/commits/commits#get-a-commit"
            )
        return JSONResponse(
            payloads.commit(ctx.graph.commits[sha], ctx.graph, self.users, ctx.base, detailed=True)
        )

    async def _commit_pulls(self, request: Request, ctx: RepoContext) -> Response:
        sha = ctx.graph.resolve(request.path_params["ref"])
        if sha is None:
            return _message(422, f"No commit found for SHA: {request.path_params['ref']}")
        pulls = [ctx.graph.pulls[n] for n in ctx.graph.commits[sha].pull_numbers]
        items = [
            payloads.pull_request(pr, ctx.graph, self.users, ctx.base, detailed=False)
            for pr in pulls
        ]
        return _paginate(request, items)

    # ------------------------------------------------------------------ pull requests

    async def _pulls(self, request: Request, ctx: RepoContext) -> Response:
        state = request.query_params.get("state", "open")
        pulls = [pr for pr in ctx.graph.pulls.values() if state == "all" or pr.spec.state == state]
        sort = request.query_params.get("sort", "created")

        def sort_key(pr: PullRequest) -> str:
            return (
                (pr.spec.closed_at or pr.spec.created_at)
                if sort == "updated"
                else pr.spec.created_at
            )

        pulls.sort(key=sort_key, reverse=request.query_params.get("direction", "desc") == "desc")
        items = [
            payloads.pull_request(pr, ctx.graph, self.users, ctx.base, detailed=False)
            for pr in pulls
        ]
        return _paginate(request, items)

    def _find_pull(self, request: Request, ctx: RepoContext) -> PullRequest | None:
        return ctx.graph.pulls.get(request.path_params["number"])

    async def _pull(self, request: Request, ctx: RepoContext) -> Response:
        pr = self._find_pull(request, ctx)
        if pr is None:
            return _not_found(f"{DOCS}/pulls/pulls#get-a-pull-request")
        return JSONResponse(
            payloads.pull_request(pr, ctx.graph, self.users, ctx.base, detailed=True)
        )

    async def _pull_reviews(self, request: Request, ctx: RepoContext) -> Response:
        pr = self._find_pull(request, ctx)
        if pr is None:
            return _not_found(f"{DOCS}/pulls/reviews#list-reviews-for-a-pull-request")
        items = [
            payloads.review(r, i, pr, ctx.repo, self.users, ctx.base)
            for i, r in enumerate(pr.spec.reviews)
        ]
        return _paginate(request, items)

    async def _pull_commits(self, request: Request, ctx: RepoContext) -> Response:
        pr = self._find_pull(request, ctx)
        if pr is None:
            return _not_found(f"{DOCS}/pulls/pulls#list-commits-on-a-pull-request")
        commits = [ctx.graph.commits[s] for s in pr.commit_shas]
        return _paginate(
            request,
            [payloads.commit(c, ctx.graph, self.users, ctx.base, detailed=False) for c in commits],
        )

    async def _pull_files(self, request: Request, ctx: RepoContext) -> Response:
        pr = self._find_pull(request, ctx)
        if pr is None:
            return _not_found(f"{DOCS}/pulls/pulls#list-pull-requests-files")
        pr_commits = [ctx.graph.commits[s] for s in pr.commit_shas]
        combined = combine_changes([ch for c in pr_commits for ch in c.changes])
        api = f"{ctx.base}/repos/{ctx.repo.full_name}"
        head = ctx.graph.commits[pr.head_sha]
        return _paginate(
            request, [payloads.commit_file(ch, head, ctx.repo.full_name, api) for ch in combined]
        )

    # ------------------------------------------------------------------ contents

    async def _contents(self, request: Request, ctx: RepoContext) -> Response:
        ref = request.query_params.get("ref") or ctx.repo.default_branch
        if ctx.graph.resolve(ref) is None:
            return _message(
                404,
                f"No commit found for the ref {ref}",
                f"{DOCS}/repos/contents#get-repository-content",
            )
        path = request.path_params.get("path", "").strip("/")
        if path in ctx.repo.files:
            return JSONResponse(payloads.content_file(ctx.graph, path, ref, ctx.base))
        if path == "" or path in ctx.graph.directories:
            children = [f"{path}/{name}" if path else name for name, _ in ctx.graph.children(path)]
            return JSONResponse(
                [payloads.content_entry(ctx.graph, p, ref, ctx.base) for p in children]
            )
        return _not_found(f"{DOCS}/repos/contents#get-repository-content")

    async def _git_tree(self, request: Request, ctx: RepoContext) -> Response:
        ref = request.path_params["ref"]
        graph = ctx.graph
        directory: str | None = "" if graph.resolve(ref) is not None else None
        if directory is None:  # a tree sha (root or sub-directory) is accepted too
            directory = next(
                (d for d in ["", *graph.directories] if graph.tree_sha(d) == ref), None
            )
        if directory is None:
            return _not_found(f"{DOCS}/git/trees#get-a-tree")
        recursive = request.query_params.get("recursive") not in (None, "", "0", "false")
        api = f"{ctx.base}/repos/{ctx.repo.full_name}/git"
        entries: list[dict[str, Any]] = []

        def walk(current: str) -> None:
            for name, kind in graph.children(current):
                full = f"{current}/{name}" if current else name
                rel = full[len(directory) + 1 :] if directory else full
                if kind == "dir":
                    sha = graph.tree_sha(full)
                    entries.append(
                        {
                            "path": rel,
                            "mode": "040000",
                            "type": "tree",
                            "sha": sha,
                            "url": f"{api}/trees/{sha}",
                        }
                    )
                    if recursive:
                        walk(full)
                else:
                    sha = graph.blob_sha(full)
                    size = len(ctx.repo.files[full].encode())
                    entries.append(
                        {
                            "path": rel,
                            "mode": "100644",
                            "type": "blob",
                            "sha": sha,
                            "size": size,
                            "url": f"{api}/blobs/{sha}",
                        }
                    )

        walk(directory)
        sha = graph.tree_sha(directory)
        return JSONResponse(
            {"sha": sha, "url": f"{api}/trees/{sha}", "tree": entries, "truncated": False}
        )

    # ------------------------------------------------------------------ tags, releases, archives

    async def _tags(self, request: Request, ctx: RepoContext) -> Response:
        items = [
            payloads.tag(name, sha, ctx.repo.full_name, ctx.base)
            for name, sha in reversed(ctx.graph.tags.items())
        ]
        return _paginate(request, items)

    def _release_items(self, ctx: RepoContext) -> list[dict[str, Any]]:
        ordered = sorted(ctx.repo.releases, key=lambda r: r.published_at, reverse=True)
        return [payloads.release(r, ctx.graph, self.users, ctx.base) for r in ordered]

    async def _releases(self, request: Request, ctx: RepoContext) -> Response:
        return _paginate(request, self._release_items(ctx))

    async def _latest_release(self, request: Request, ctx: RepoContext) -> Response:
        stable = [r for r in self._release_items(ctx) if not r["prerelease"]]
        return (
            JSONResponse(stable[0])
            if stable
            else _not_found(f"{DOCS}/releases/releases#get-the-latest-release")
        )

    async def _release_by_tag(self, request: Request, ctx: RepoContext) -> Response:
        match = [r for r in self._release_items(ctx) if r["tag_name"] == request.path_params["tag"]]
        return (
            JSONResponse(match[0])
            if match
            else _not_found(f"{DOCS}/releases/releases#get-a-release-by-tag-name")
        )

    async def _archive_redirect(self, request: Request, ctx: RepoContext) -> Response:
        # Like api.github.com: a 302 to a download host; clients must follow redirects.
        ref = request.path_params.get("ref") or ctx.repo.default_branch
        if ctx.graph.resolve(ref) is None:
            return _not_found(f"{DOCS}/repos/contents#download-a-repository-archive-zip")
        kind = (
            "legacy.zip"
            if request.url.path.rstrip("/").split("/")[4] == "zipball"
            else "legacy.tar.gz"
        )
        return RedirectResponse(
            f"{ctx.base}/_codeload/{ctx.repo.full_name}/{kind}/{quote(ref)}", status_code=302
        )

    async def _archive(self, request: Request, ctx: RepoContext) -> Response:
        kind, ref = request.path_params["kind"], request.path_params["ref"]
        sha = ctx.graph.resolve(ref)
        if sha is None or kind not in {"legacy.zip", "legacy.tar.gz"}:
            return Response("404: Not Found", status_code=404, media_type="text/plain")
        top = f"{ctx.repo.owner}-{ctx.repo.name}-{sha[:7]}"
        date = ctx.graph.commits[sha].date
        if kind == "legacy.zip":
            data, media, ext = _zip_archive(ctx.repo, top, sha, date), "application/zip", "zip"
        else:
            data, media, ext = _tar_archive(ctx.repo, top, date), "application/x-gzip", "tar.gz"
        headers = {"Content-Disposition": f"attachment; filename={top}.{ext}", "ETag": f'"{sha}"'}
        return Response(data, media_type=media, headers=headers)

    # ------------------------------------------------------------------ global

    async def _rate_limit(self, request: Request) -> Response:
        # Like GitHub, asking for the rate limit does not count against it.
        headers = self.control.headers()
        core = {
            "limit": int(headers["X-RateLimit-Limit"]),
            "remaining": int(headers["X-RateLimit-Remaining"]),
            "reset": int(headers["X-RateLimit-Reset"]),
            "used": int(headers["X-RateLimit-Used"]),
            "resource": "core",
        }
        body = {
            "resources": {
                "core": core,
                "search": {**core, "limit": 30, "remaining": 30, "used": 0},
            },
            "rate": core,
        }
        return self._finish(request, JSONResponse(body))

    async def _user(self, request: Request) -> Response:
        found = self.users.get(request.path_params["login"])
        base = str(request.base_url).rstrip("/")
        return (
            JSONResponse(payloads.user(found, base)) if found else _not_found(f"{DOCS}/users/users")
        )


def _organization(repo: GitHubRepo) -> GitHubUser:
    org_id = int(fake_sha1("org", repo.owner)[:7], 16)
    return GitHubUser(
        login=repo.owner, user_id=org_id, name=repo.owner, email="", kind="Organization"
    )


def _zip_time(iso_date: str) -> tuple[int, int, int, int, int, int]:
    date, clock = iso_date.rstrip("Z").split("T")
    y, mo, d = (int(x) for x in date.split("-"))
    h, mi, s = (int(float(x)) for x in clock.split(":"))
    return (y, mo, d, h, mi, s)


def _zip_archive(repo: GitHubRepo, top: str, sha: str, date: str) -> bytes:
    buffer = io.BytesIO()
    stamp = _zip_time(date)
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.comment = sha.encode()  # git archive stores the commit id as the zip comment
        archive.writestr(zipfile.ZipInfo(f"{top}/", stamp), b"")
        directories = sorted(
            {"/".join(p.split("/")[:i]) for p in repo.files for i in range(1, p.count("/") + 1)}
        )
        for directory in directories:
            archive.writestr(zipfile.ZipInfo(f"{top}/{directory}/", stamp), b"")
        for path in sorted(repo.files):
            info = zipfile.ZipInfo(f"{top}/{path}", stamp)
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, repo.files[path])
    return buffer.getvalue()


def _tar_archive(repo: GitHubRepo, top: str, date: str) -> bytes:
    buffer = io.BytesIO()
    mtime = time.mktime((*_zip_time(date), 0, 0, 0))
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        for path in sorted(repo.files):
            data = repo.files[path].encode()
            info = tarfile.TarInfo(f"{top}/{path}")
            info.size, info.mtime = len(data), int(mtime)
            archive.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def create_app(fixtures: FixtureTable = TABLE) -> Starlette:
    return FakeGitHub(fixtures).app


if __name__ == "__main__":
    from .server import main

    main(FakeGitHub().app, "Fake GitHub API")
