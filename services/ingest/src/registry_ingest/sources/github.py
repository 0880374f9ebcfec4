"""GitHub repositories through the REST API: metadata, tags and the zipball of one ref."""

from __future__ import annotations

import asyncio
import datetime as dt
import re
import time
from collections.abc import Awaitable, Callable
from dataclasses import replace
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import quote

import httpx

from registry_common.errors import NotFound, UpstreamError
from registry_common.outbound import OutboundError, OutboundPolicy, Resolver, guarded_client
from registry_ingest.sources.archive import (
    ArchiveRejected,
    ArchiveTooLarge,
    Extraction,
    UploadLimits,
    extract_zip,
)
from registry_ingest.sources.facts import github_metadata
from registry_ingest.sources.model import (
    FetchedFile,
    FetchedSource,
    classify_file,
    human_bytes,
    normalize_versions,
    subtree,
)
from registry_ingest.sources.retry import RETRYABLE_STATUSES, RetryPolicy, parse_retry_after
from registry_ingest.sources.upload import local_source
from registry_ingest.sources.urls import SourceRef

T = TypeVar("T")
CHUNK = 1024 * 1024
MAX_TAG_PAGES = 10
_SHA = re.compile(r"^[0-9a-f]{40}$")


class _Retry(Exception):
    def __init__(self, reason: str, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retry_after = retry_after


class _TooLarge(Exception):
    pass


class _MissingRef(Exception):
    pass


def _ref_candidates(revision: str | None, subdir: str | None) -> list[tuple[str, str | None]]:
    """``(ref, sub-folder)`` readings of ``/tree/<revision>/<subdir>``, shortest ref first."""
    if not revision:
        return []
    parts = (subdir or "").split("/") if subdir else []
    return [
        ("/".join([revision, *parts[:cut]]), "/".join(parts[cut:]) or None)
        for cut in range(len(parts) + 1)
    ]


class GitHubFetcher:
    def __init__(
        self,
        *,
        api_url: str,
        token: str | None,
        max_fetch_bytes: int,
        timeout: float,
        retry: RetryPolicy,
        limits: UploadLimits,
        policy: OutboundPolicy,
        resolver: Resolver | None = None,
    ) -> None:
        self.api_url = api_url.rstrip("/")
        self.policy = policy
        self.resolver = resolver
        self.token = token
        self.max_fetch_bytes = max_fetch_bytes
        self.timeout = timeout
        self.retry = retry
        self.limits = limits

    def _client(self) -> httpx.AsyncClient:
        headers = {
            "Accept": "application/vnd.github+json",
            "X-GitHub-Api-Version": "2022-11-28",
            "User-Agent": "trustworthy-model-registry",
        }
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        # The API's own origin is trusted; where it redirects (codeload for archives) and
        # the pagination links it sends are checked like any URL.
        return guarded_client(
            self.policy,
            resolver=self.resolver,
            base_url=self.api_url,
            headers=headers,
            timeout=self.timeout,
            follow_redirects=True,
        )

    async def fetch(self, ref: SourceRef, workdir: Path) -> FetchedSource:
        assert ref.repo_id is not None
        async with self._client() as client:
            repo = await self._json(client, ref, f"/repos/{ref.repo_id}")
            if repo is None:
                raise NotFound(
                    f"No GitHub repository '{ref.repo_id}' exists at {self.api_url} (or it is "
                    "private and the registry has no token that can read it)."
                )
            full_name = str(repo.get("full_name") or ref.repo_id)
            versions = normalize_versions(await self._tags(client, ref, full_name))
            notes: list[str] = []
            rev, subdir, extraction = await self._archive(client, ref, repo, workdir, notes)
            revision = None
            if extraction is not None and _SHA.match(extraction.comment.strip()):
                revision = extraction.comment.strip()
            if revision is None:
                revision = await self._commit_sha(client, ref, full_name, rev)
            if extraction is None:
                source = await self._listing(client, ref, full_name, rev, subdir, revision)
            else:
                keep = subtree([f.path for f in extraction.files], subdir)
                kept = [replace(f, path=keep[f.path]) for f in extraction.files if f.path in keep]
                source = local_source(
                    ref, kept, metadata={}, revision=revision, exclude_github=full_name
                )
                if extraction.skipped:
                    count = len(extraction.skipped)
                    what = "entry was" if count == 1 else "entries were"
                    notes.append(
                        f"{count} archive {what} skipped (links or unsafe paths); first: "
                        f"{extraction.skipped[0]}"
                    )
        if subdir and not source.files:
            raise NotFound(
                f"The GitHub repository '{full_name}' has no folder '{subdir}' at '{rev}'."
            )
        source.versions = versions
        source.notes.extend(notes)
        facts = github_metadata(repo, rev)
        if subdir:
            facts["github"]["subdir"] = subdir
        if facts["license"] is None and source.metadata.get("license"):
            del facts["license"], facts["licenses"]  # keep the README's own declaration
        source.metadata.update(facts)
        source.metadata["fetched_bytes"] = source.fetched_bytes
        source.metadata["declared_bytes"] = source.declared_bytes
        return source

    async def _archive(
        self, client: httpx.AsyncClient, ref: SourceRef, repo: dict[str, Any], workdir: Path,
        notes: list[str],
    ) -> tuple[str, str | None, Extraction | None]:  # fmt: skip
        """Download and unpack the zipball: ``(ref, sub-folder, extraction or None)``.

        A URL ``/tree/feature/x/sub`` is ambiguous (branch ``feature`` or ``feature/x``): the
        shortest ref GitHub knows wins. None means too big to mirror (a note says so).
        """
        full_name = str(repo.get("full_name") or ref.repo_id)
        candidates = _ref_candidates(ref.revision, ref.subdir)
        if not candidates:
            candidates = [(str(repo.get("default_branch") or "main"), ref.subdir)]
        zip_path = workdir / "github.zip"
        for index, (rev, subdir) in enumerate(candidates):
            url = f"/repos/{full_name}/zipball/{quote(rev)}"
            try:
                await self._download(client, ref, url, zip_path)
                extraction = await asyncio.to_thread(
                    extract_zip, zip_path, workdir / "github", self.limits, strict=False,
                    strip_top="always", label="The repository archive",
                )  # fmt: skip
            except _MissingRef:
                if index + 1 < len(candidates):
                    continue
                raise NotFound(
                    f"The GitHub repository '{full_name}' has no branch, tag or commit "
                    f"'{ref.revision}'."
                ) from None
            except _TooLarge:
                notes.append(
                    "The repository archive exceeds the "
                    f"{human_bytes(self.max_fetch_bytes)} ingest limit; only its metadata and "
                    "file list are stored."
                )
                return rev, subdir, None
            except ArchiveTooLarge as exc:
                notes.append(f"{exc.message} Only the metadata and file list are stored.")
                return rev, subdir, None
            except ArchiveRejected as exc:
                raise UpstreamError(
                    f"GitHub served a damaged archive of '{full_name}' ({exc.message})",
                    details={"upstream": "github"},
                ) from exc
            finally:
                zip_path.unlink(missing_ok=True)
            return rev, subdir, extraction
        raise AssertionError("unreachable: the loop returns or raises")  # pragma: no cover

    # ------------------------------------------------------------------ API calls

    async def _tags(self, client: httpx.AsyncClient, ref: SourceRef, full_name: str) -> list[str]:
        names: list[str] = []
        url: str | None = f"/repos/{full_name}/tags?per_page=100"
        for _ in range(MAX_TAG_PAGES):
            if url is None:
                break
            response = await self._get(client, ref, url)
            if response.status_code == 404:
                break
            names.extend(str(t.get("name")) for t in response.json() if isinstance(t, dict))
            url = response.links.get("next", {}).get("url")
        return names

    async def _commit_sha(
        self, client: httpx.AsyncClient, ref: SourceRef, full_name: str, rev: str
    ) -> str | None:
        body = await self._json(client, ref, f"/repos/{full_name}/commits/{quote(rev)}")
        sha = body.get("sha") if isinstance(body, dict) else None
        return str(sha) if sha else None

    async def _listing(
        self, client: httpx.AsyncClient, ref: SourceRef, full_name: str, rev: str,
        subdir: str | None, revision: str | None,
    ) -> FetchedSource:  # fmt: skip
        """Files known only by the git tree (the archive was too big to mirror)."""
        tree = await self._json(
            client, ref, f"/repos/{full_name}/git/trees/{quote(rev)}?recursive=1"
        )
        sizes = {
            str(entry.get("path")): int(entry.get("size") or 0)
            for entry in (tree or {}).get("tree", [])
            if isinstance(entry, dict) and entry.get("type") == "blob"
        }
        keep = subtree(sorted(sizes), subdir)
        files = [
            FetchedFile(path=b, size=sizes[p], sha256=None, local_path=None, kind=classify_file(b))
            for p, b in keep.items()
        ]
        source = FetchedSource(
            ref=ref, revision=revision, files=sorted(files, key=lambda f: f.path)
        )
        source.metadata = {"source_kind": "github", "repo_id": full_name}
        return source

    async def _json(self, client: httpx.AsyncClient, ref: SourceRef, url: str) -> Any:
        response = await self._get(client, ref, url)
        if response.status_code == 404:
            return None
        try:
            return response.json()
        except ValueError as exc:
            raise self._upstream(ref, "answered with something that is not JSON") from exc

    async def _get(self, client: httpx.AsyncClient, ref: SourceRef, url: str) -> httpx.Response:
        async def attempt() -> httpx.Response:
            response = await client.get(url)
            self._check(ref, response)
            return response

        return await self._retrying(ref, attempt)

    async def _download(
        self, client: httpx.AsyncClient, ref: SourceRef, url: str, dest: Path
    ) -> None:
        async def attempt() -> None:
            async with client.stream("GET", url) as response:
                self._check(ref, response)
                if response.status_code == 404:
                    raise _MissingRef()
                declared = int(response.headers.get("Content-Length") or 0)
                if declared > self.max_fetch_bytes:
                    raise _TooLarge()
                received = 0
                with dest.open("wb") as sink:
                    async for chunk in response.aiter_bytes(CHUNK):
                        received += len(chunk)
                        if received > self.max_fetch_bytes:
                            raise _TooLarge()
                        await asyncio.to_thread(sink.write, chunk)

        await self._retrying(ref, attempt)

    # ------------------------------------------------------------------ errors and retries

    def _check(self, ref: SourceRef, response: httpx.Response) -> None:
        """Raise for answers that are not a success or a plain 404."""
        status = response.status_code
        if status < 400 or status == 404:
            return
        headers = response.headers
        if status in (403, 429) and headers.get("X-RateLimit-Remaining") == "0":
            raise self._rate_limited(ref, headers)
        if status in (403, 429) and "Retry-After" in headers:
            raise _Retry("GitHub's secondary rate limit", parse_retry_after(headers["Retry-After"]))
        if status in RETRYABLE_STATUSES:
            raise _Retry(f"HTTP {status}", parse_retry_after(headers.get("Retry-After")))
        raise self._upstream(ref, f"answered HTTP {status}")

    async def _retrying(self, ref: SourceRef, attempt: Callable[[], Awaitable[T]]) -> T:
        waited, count = 0.0, 0
        while True:
            try:
                return await attempt()
            except OutboundError as exc:  # a policy answer: retrying cannot change it
                raise self._upstream(ref, exc.message.rstrip(".")) from exc
            except _Retry as exc:
                reason, retry_after = exc.reason, exc.retry_after
            except httpx.TransportError as exc:
                reason, retry_after = f"{type(exc).__name__}: {exc}", None
            delay = self.retry.next_delay(count, retry_after, waited)
            if delay is None:
                raise self._upstream(ref, f"{reason} (after {count + 1} attempts)")
            await asyncio.sleep(delay)
            waited, count = waited + delay, count + 1

    def _rate_limited(self, ref: SourceRef, headers: httpx.Headers) -> UpstreamError:
        reset = int(headers.get("X-RateLimit-Reset") or 0)
        when = dt.datetime.fromtimestamp(reset, dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        wait = max(0, round(reset - time.time()))
        hint = "" if self.token else " Configure a GitHub token for a higher limit."
        return UpstreamError(
            f"The GitHub API rate limit is exhausted, so '{ref.repo_id}' could not be fetched; "
            f"it resets at {when} (in {wait} s).{hint}",
            details={"upstream": "github", "rate_limit_reset": when},
        )

    def _upstream(self, ref: SourceRef, what: str) -> UpstreamError:
        return UpstreamError(
            f"GitHub ({self.api_url}) failed while fetching '{ref.repo_id}': {what}. Nothing was "
            "stored; please retry later.",
            details={"upstream": "github"},
        )
