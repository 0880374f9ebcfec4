"""The Hugging Face Hub's read API under ``/hf``: ``huggingface_hub`` and ``transformers`` work
with ``HF_ENDPOINT=<registry>/hf`` and ``HF_TOKEN=<a registry token>`` (docs/hub-api.md).

Routes (``{t}`` is ``models`` or ``datasets``; dataset files live under ``/hf/datasets/``):

* ``GET /hf/api/{t}/{repo}`` and ``.../revision/{rev}``: repository info (``model_info``)
* ``GET /hf/api/{t}/{repo}/tree/{rev}[/{path}]``: ``list_repo_tree`` / ``list_repo_files``
* ``POST /hf/api/{t}/{repo}/paths-info/{rev}``: ``get_paths_info``
* ``HEAD``/``GET /hf/[datasets/]{repo}/resolve/{rev}/{path}``: one file, with the Hub's
  headers, ranges (206/416), and a 307 ``Location`` from an artifact-id alias to the
  canonical repository pinned at its commit

Every call is authenticated like any other registry call (``Authorization: Bearer <token>``
spends one call of the token); repository info needs ``search``, files need ``download``.
A GET of a file runs the registry's download policy in ingest (sensitive-model monitor,
DOWNLOAD audit entry, ArtifactDownloaded event, download history); its bytes come straight
from the stored bundle (hub_files.py). Failures are answered the Hub's way: a JSON
``{"error": ...}``, ``X-Error-Message`` and ``X-Error-Code`` (RepoNotFound, RevisionNotFound,
EntryNotFound, GatedRepo), which ``huggingface_hub`` turns into its typed exceptions.
"""

from __future__ import annotations

import hashlib
import posixpath
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any, Final
from urllib.parse import parse_qs, quote, unquote

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response

from registry_common.errors import RegistryError, retry_after_of
from registry_gateway.clients import ServiceClients
from registry_gateway.hub_files import file_headers, serve_member
from registry_gateway.security import Caller, Permission, caller_address, current_caller, require
from registry_gateway.service import caller_headers

PREFIX: Final = "/hf"
_PLURALS: Final = {"models": "model", "datasets": "dataset"}
# Segments that follow a repository id in API paths: a second segment equal to one of them
# means a one-segment id (as huggingface_hub assumes for legacy ids).
_SUBROUTES: Final = frozenset({"revision", "tree", "paths-info", "resolve", "refs", "commits"})
INVALID_CREDENTIALS: Final = "Invalid credentials in Authorization header"
_MONITOR_CODES: Final = frozenset({"monitor_refused", "monitor_timed_out", "monitor_failed"})
_HUB_CODES: Final = frozenset({"RepoNotFound", "RevisionNotFound", "EntryNotFound"})


class HubFailure(Exception):
    """An answer in the Hub's error format."""

    def __init__(self, status: int, message: str, code: str | None = None, **headers: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.code = code
        self.headers = headers


def hub_error(failure: HubFailure) -> JSONResponse:
    # A header value is latin-1 on one line; the JSON body keeps the exact sentence.
    header = " ".join(failure.message.encode("ascii", "replace").decode().split())
    headers = {"X-Error-Message": header, **failure.headers}
    if failure.code:
        headers["X-Error-Code"] = failure.code
    return JSONResponse({"error": failure.message}, status_code=failure.status, headers=headers)


def translate(error: RegistryError) -> HubFailure:
    """A registry failure as the Hub reports the same situation (5xx: unchanged)."""
    if error.status >= 500:
        raise error
    if error.code == "authentication_failed":
        return HubFailure(401, INVALID_CREDENTIALS)
    if error.code == "permission_denied" or error.code in _MONITOR_CODES:
        # The Hub's "you may not download this repository" is a gated repository.
        return HubFailure(403, error.message, "GatedRepo")
    if error.code in _HUB_CODES:
        commit = error.details.get("commit")
        extra = {"X-Repo-Commit": str(commit)} if commit else {}
        return HubFailure(404, error.message, error.code, **extra)
    if error.status == 404:
        return HubFailure(404, error.message, "RepoNotFound")
    retry = retry_after_of(error)
    return HubFailure(error.status, error.message, **({"Retry-After": str(retry)} if retry else {}))


def _segments(request: Request) -> list[str]:
    """The path after /hf, split on the *raw* path: clients quote revisions and tree paths
    with safe="", so an encoded "/" stays inside its segment."""
    raw = request.scope.get("raw_path") or request.url.path.encode()
    parts = [s for s in raw.decode("latin-1").split("?", 1)[0].split("/") if s]
    return [unquote(s) for s in parts[1:]]  # drop "hf"


def _split_repo(rest: list[str]) -> tuple[str, list[str]]:
    if len(rest) >= 2 and rest[1] not in _SUBROUTES:
        return f"{rest[0]}/{rest[1]}", rest[2:]
    return rest[0], rest[1:]


def _hub_time(value: str) -> str:
    moment = datetime.fromisoformat(value)
    moment = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def _tree_oid(commit: str, path: str) -> str:
    return hashlib.sha1(f"tree\x1f{commit}\x1f{path}".encode()).hexdigest()  # noqa: S324


def tree_entries(
    snapshot: dict[str, Any], directory: str, *, recursive: bool
) -> list[dict[str, Any]] | None:
    """The Hub's tree listing of `directory` (None when it is neither a folder nor a file)."""
    files = snapshot["files"]
    directory = directory.strip("/")
    prefix = f"{directory}/" if directory else ""
    if directory and not any(f["path"].startswith(prefix) for f in files):
        match = [f for f in files if f["path"] == directory]
        return [_file_entry(f) for f in match] if match else None
    folders: set[str] = set()
    listed: list[dict[str, Any]] = []
    for f in files:
        if not f["path"].startswith(prefix):
            continue
        relative = f["path"][len(prefix) :]
        parents = relative.split("/")[:-1]
        for depth in range(1, len(parents) + 1):
            if depth > 1 and not recursive:
                break
            folders.add(prefix + "/".join(parents[:depth]))
        if recursive or not parents:
            listed.append(_file_entry(f))
    listed += [
        {"type": "directory", "oid": _tree_oid(snapshot["commit"], d), "size": 0, "path": d}
        for d in folders
    ]
    return sorted(listed, key=lambda e: e["path"])


def _file_entry(f: dict[str, Any]) -> dict[str, Any]:
    entry: dict[str, Any] = {"type": "file", "oid": f["oid"], "size": f["size"], "path": f["path"]}
    if f["lfs"]:
        pointer = (
            "version https://git-lfs.github.com/spec/v1\n"
            f"oid sha256:{f['sha256']}\nsize {f['size']}\n"
        )
        entry["lfs"] = {"oid": f["sha256"], "size": f["size"], "pointerSize": len(pointer)}
    return entry


def repo_info(snapshot: dict[str, Any], repo_type: str, *, blobs: bool) -> dict[str, Any]:
    """The Hub's repository info, from the registry's facts about the artifact."""
    card = snapshot.get("card_data") or {}
    config = snapshot.get("config") or {}
    repo_id = snapshot["repo_id"]
    license_ = card.get("license") or snapshot.get("license")
    tags = [
        *(str(t) for t in card.get("tags") or [] if isinstance(t, str | int)),
        *([f"license:{license_}"] if isinstance(license_, str) else []),
        *(["registry:vetted"] if snapshot.get("vetted") else []),
    ]
    siblings = []
    for f in snapshot["files"]:
        sibling: dict[str, Any] = {"rfilename": f["path"]}
        if blobs:
            sibling |= {"size": f["size"], "blobId": f["oid"]}
            if f["lfs"]:
                sibling["lfs"] = {
                    "sha256": f["sha256"],
                    "size": f["size"],
                    "pointerSize": _file_entry(f)["lfs"]["pointerSize"],
                }
        siblings.append(sibling)
    info: dict[str, Any] = {
        "_id": snapshot["artifact"]["id"],
        "id": repo_id,
        "author": repo_id.split("/")[0] if "/" in repo_id else snapshot.get("uploader"),
        "sha": snapshot["commit"],
        "lastModified": _hub_time(snapshot["last_modified"]),
        "createdAt": _hub_time(snapshot["created_at"]),
        "private": False,
        "gated": False,
        "disabled": False,
        "downloads": 0,
        "likes": 0,
        "tags": list(dict.fromkeys(tags)),
        "siblings": siblings,
        "usedStorage": sum(f["size"] for f in snapshot["files"]),
        "cardData": card or None,
        # What the registry knows beyond the Hub's fields (huggingface_hub keeps unknown keys
        # as attributes: info.registry["vetted"]).
        "registry": {
            "artifact_id": snapshot["artifact"]["id"],
            "name": snapshot["artifact"]["name"],
            "type": snapshot["artifact"]["type"],
            "revision": snapshot["revision"],
            "source_url": snapshot["source_url"],
            "source_revision": snapshot.get("source_revision"),
            "version": snapshot.get("version"),
            "versions": snapshot.get("versions"),
            "vetted": snapshot.get("vetted"),
            "net_score": snapshot.get("net_score"),
            "complete": snapshot.get("complete"),
        },
    }
    if repo_type == "model":
        info["modelId"] = repo_id
        info["library_name"] = card.get("library_name") or (
            "transformers" if "model_type" in config else None
        )
        info["pipeline_tag"] = card.get("pipeline_tag")
        summary = {k: config[k] for k in ("architectures", "model_type") if k in config}
        info["config"] = summary or None
    return {k: v for k, v in info.items() if v is not None}


def build_hub_router(clients: ServiceClients) -> APIRouter:
    router = APIRouter(prefix=PREFIX, include_in_schema=False)

    async def caller(request: Request, permission: Permission) -> Caller:
        header = request.headers.get("authorization", "").strip()
        if not header:
            raise HubFailure(
                401,
                "The registry serves repositories to signed-in users only: set HF_TOKEN to a "
                "registry token (PUT /authenticate).",
                "RepoNotFound",
            )
        token = header[7:].strip() if header.lower().startswith("bearer ") else header
        who = await current_caller(request, token)
        check: Callable[[Request, Caller], Awaitable[Caller]] = require(permission).dependency
        return await check(request, who)

    async def snapshot(
        repo_type: str, repo: str, revision: str | None, path: str | None = None
    ) -> dict[str, Any]:
        params = {"repo": repo, "revision": revision, "path": path}
        response = await clients.ingest.get(
            f"/internal/hub/{repo_type}/snapshot",
            params={k: v for k, v in params.items() if v is not None},
        )
        body: dict[str, Any] = response.json()
        return body

    def alias_redirect(
        request: Request, repo: str, found: dict[str, Any], tail: str
    ) -> Response | None:
        """A repository asked for by its artifact id moves (307) to its canonical id pinned
        at the artifact's commit (another artifact may share the canonical name)."""
        if repo != found["artifact"]["id"] or repo == found["repo_id"]:
            return None
        location = f"{PREFIX}{tail.format(repo=found['repo_id'], commit=found['commit'])}"
        if request.url.query:
            location += f"?{request.url.query}"
        return RedirectResponse(location, status_code=307)

    async def hub_call(request: Request, handler: Callable[[], Awaitable[Response]]) -> Response:
        try:
            return await handler()
        except HubFailure as failure:
            return hub_error(failure)
        except RegistryError as error:
            return hub_error(translate(error))

    @router.api_route("/api/{kind}/{rest:path}", methods=["GET", "POST"])
    async def api(request: Request, kind: str, rest: str) -> Response:
        async def handle() -> Response:
            segments = _segments(request)[1:]  # drop "api"
            repo_type = _PLURALS.get(segments[0]) if segments else None
            if repo_type is None or len(segments) < 2:
                raise HubFailure(
                    404,
                    "Only /api/models/{repo} and /api/datasets/{repo} (with /revision, /tree "
                    "and /paths-info) are served; see docs/hub-api.md.",
                )
            repo, tail = _split_repo(segments[1:])
            await caller(request, "search")
            plural = f"/api/{segments[0]}/{{repo}}"
            if request.method == "POST":
                if len(tail) != 2 or tail[0] != "paths-info":
                    raise HubFailure(405, "Only POST .../paths-info/{revision} is served.")
                return await paths_info(request, repo_type, repo, tail[1], plural)
            if not tail or (tail[0] == "revision" and len(tail) == 2):
                revision = tail[1] if tail else None
                found = await snapshot(repo_type, repo, revision)
                moved = alias_redirect(request, repo, found, plural + "/revision/{commit}")
                if moved is not None:
                    return moved
                blobs = request.query_params.get("blobs", "").lower() in ("1", "true")
                return JSONResponse(repo_info(found, repo_type, blobs=blobs))
            if tail[0] == "tree" and len(tail) >= 2:
                found = await snapshot(repo_type, repo, tail[1])
                directory = "/".join(tail[2:])
                moved = alias_redirect(
                    request, repo, found, plural + f"/tree/{{commit}}/{quote(directory)}"
                )
                if moved is not None:
                    return moved
                recursive = request.query_params.get("recursive", "").lower() in ("1", "true")
                listed = tree_entries(found, directory, recursive=recursive)
                if listed is None:
                    raise HubFailure(
                        404,
                        f"{directory!r} does not exist at revision {tail[1]!r}.",
                        "EntryNotFound",
                        **{"X-Repo-Commit": found["commit"]},
                    )
                return JSONResponse(listed)
            raise HubFailure(
                404,
                f"The Hub route {'/'.join(tail)!r} is not served by the registry; see "
                "docs/hub-api.md for the routes it serves.",
            )

        return await hub_call(request, handle)

    async def paths_info(
        request: Request, repo_type: str, repo: str, revision: str, plural: str
    ) -> Response:
        found = await snapshot(repo_type, repo, revision)
        form = parse_qs((await request.body()).decode("utf-8", "replace"))
        wanted = [p.strip("/") for p in form.get("paths", [])]
        entries: list[dict[str, Any]] = []
        for path in wanted:
            listed = tree_entries(found, posixpath.dirname(path), recursive=False) or []
            entries += [e for e in listed if e["path"] == path]
        return JSONResponse(entries)

    @router.api_route("/{rest:path}", methods=["GET", "HEAD"])
    async def resolve(request: Request, rest: str) -> Response:
        async def handle() -> Response:
            segments = _segments(request)
            repo_type, prefix = "model", ""
            if segments[:1] == ["datasets"]:
                repo_type, prefix, segments = "dataset", "/datasets", segments[1:]
            at = next((i for i in (1, 2) if segments[i : i + 1] == ["resolve"]), None)
            if at is None or len(segments) < at + 3:
                raise HubFailure(
                    404,
                    "Files are at /hf/{repo}/resolve/{revision}/{path} (datasets under "
                    "/hf/datasets/); see docs/hub-api.md.",
                )
            repo = "/".join(segments[:at])
            revision, path = segments[at + 1], "/".join(segments[at + 2 :])
            who = await caller(request, "download")
            tail = prefix + "/{repo}/resolve/{commit}/" + quote(path)
            if request.method == "HEAD":
                found = await snapshot(repo_type, repo, revision, path)
                moved = alias_redirect(request, repo, found, tail)
                if moved is not None:
                    return moved
                entry = found["files"][0]
                return serve_member(
                    request,
                    request.app.state.blobs,
                    "",
                    entry,
                    file_headers(entry, found["commit"]),
                )
            if repo.isascii() and repo.isdigit():
                # Maybe an artifact-id alias: redirect before the download is counted.
                pinned = await snapshot(repo_type, repo, revision)
                moved = alias_redirect(request, repo, pinned, tail)
                if moved is not None:
                    return moved
            address = caller_address(request)
            response = await clients.ingest.get(
                f"/internal/hub/{repo_type}/download",
                params={
                    "repo": repo,
                    "revision": revision,
                    "path": path,
                    **({"client": address} if address else {}),
                },
                headers=caller_headers(who),
            )
            found = response.json()
            entry = found["files"][0]
            headers = file_headers(entry, found["commit"])
            if request.headers.get("if-none-match") == headers["ETag"]:
                return Response(status_code=304, headers=headers)
            return serve_member(request, request.app.state.blobs, found["key"], entry, headers)

        return await hub_call(request, handle)

    return router
