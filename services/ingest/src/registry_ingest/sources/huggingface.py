"""Hugging Face models and datasets through ``huggingface_hub`` (blocking calls in threads).

Every call names the endpoint and the token explicitly: nothing depends on environment
variables or the library's module constants, and nothing is written to a global cache.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from huggingface_hub import HfApi, hf_hub_download
from huggingface_hub import errors as hf_errors
from huggingface_hub.errors import (
    DisabledRepoError,
    EntryNotFoundError,
    GatedRepoError,
    HfHubHTTPError,
    LocalEntryNotFoundError,
    RepositoryNotFoundError,
    RevisionNotFoundError,
)
from huggingface_hub.hf_api import RepoFile

from registry_common.errors import NotFound, UpstreamError
from registry_ingest.sources.cards import find_card, read_card, read_config
from registry_ingest.sources.facts import hub_card_data, hub_metadata
from registry_ingest.sources.model import (
    FetchedFile,
    FetchedSource,
    FileKind,
    classify_file,
    human_bytes,
    is_bulk,
    normalize_versions,
    subtree,
)
from registry_ingest.sources.retry import RETRYABLE_STATUSES, RetryPolicy, parse_retry_after
from registry_ingest.sources.upload import sha256_file
from registry_ingest.sources.urls import SourceRef

T = TypeVar("T")
# Transport failures of the hub client (its HTTP library's base error, where it exports one).
# Not OSError in general: a full disk is not an outage of Hugging Face.
_HTTP_ERROR = getattr(hf_errors, "HTTPError", None)
_TRANSPORT: tuple[type[Exception], ...] = (
    ConnectionError,
    TimeoutError,
    *(
        [_HTTP_ERROR]
        if isinstance(_HTTP_ERROR, type) and issubclass(_HTTP_ERROR, Exception)
        else []
    ),
)
# Preferred weight formats first when the budget cannot hold every copy of the weights.
_FORMAT_RANK = {".safetensors": 0, ".gguf": 1, ".bin": 2, ".pt": 2, ".pth": 2, ".onnx": 3}


class _NeedsCredentials(Exception):
    """The hub answered 401/403 for content of a repository it says exists."""


@dataclass(frozen=True)
class _Planned:
    repo_path: str  # path in the repository
    path: str  # path in the bundle (relative to the requested sub-folder)
    size: int
    kind: FileKind


class HuggingFaceFetcher:
    def __init__(
        self,
        *,
        endpoint: str,
        token: str | None,
        max_fetch_bytes: int,
        timeout: float,
        retry: RetryPolicy,
        concurrency: int = 4,
    ) -> None:
        self.endpoint = endpoint.rstrip("/")
        self.token = token
        self.max_fetch_bytes = max_fetch_bytes
        self.timeout = timeout
        self.retry = retry
        self.concurrency = concurrency

    async def fetch(self, ref: SourceRef, workdir: Path) -> FetchedSource:
        assert ref.repo_id is not None
        api = HfApi(endpoint=self.endpoint, token=self.token or False)
        repo_type = ref.hf_repo_type
        info_fn = api.dataset_info if repo_type == "dataset" else api.model_info
        try:
            info: Any = await self._call(
                ref, info_fn, ref.repo_id, revision=ref.revision, timeout=self.timeout
            )
        except _NeedsCredentials:
            return self._metadata_only(ref, None, [], "its metadata")
        repo_id = info.id or ref.repo_id
        revision = info.sha or ref.revision or "main"
        versions = await self._versions(ref, api, repo_id, repo_type)
        try:
            tree = await self._call(ref, self._tree, api, repo_id, repo_type, revision)
        except _NeedsCredentials:
            tree = [(s.rfilename, int(s.size or 0)) for s in info.siblings or []]
        plan = _plan(tree, ref.subdir)
        if ref.subdir and not plan:
            raise NotFound(
                f"The Hugging Face {repo_type} '{repo_id}' has no folder '{ref.subdir}' at "
                f"revision '{ref.revision or 'main'}'."
            )
        chosen, skipped = self._budget(plan)
        local, vanished = await self._download_all(ref, repo_id, revision, chosen, workdir)
        gated = local is None
        files = [_file(p, (local or {}).get(p.path)) for p in plan]
        if gated:
            source = self._metadata_only(ref, info, files, "its files")
        else:
            source = FetchedSource(ref=ref, files=files)
            card = find_card(files)
            text, data, error = read_card(card.local_path if card else None)
            source.card_text, source.card_data, source.card_error = text, data, error
            config = next((f for f in files if f.path == "config.json"), None)
            source.config, source.config_error = read_config(config.local_path if config else None)
            source.metadata = hub_metadata(ref, info, source)
        source.revision, source.versions = revision, versions
        source.complete = not gated and all(f.fetched for f in files)
        if skipped:
            total = sum(p.size for p in skipped)
            kinds = {p.kind for p in skipped}
            what = {frozenset({"weights"}): "Weights", frozenset({"data"}): "Data files"}.get(
                frozenset(kinds), "Large files"
            )
            source.notes.append(
                f"{what} were not mirrored: {human_bytes(total)} in {len(skipped)} file(s) "
                f"exceed the {human_bytes(self.max_fetch_bytes)} ingest limit; sizes come "
                "from the hub's file metadata."
            )
        if vanished:
            source.notes.append(
                f"{len(vanished)} file(s) listed by the hub could not be downloaded (first: "
                f"'{vanished[0]}'); they are recorded with their sizes only."
            )
        return source

    # ------------------------------------------------------------------ steps

    @staticmethod
    def _tree(api: HfApi, repo_id: str, repo_type: str, revision: str) -> list[tuple[str, int]]:
        entries = api.list_repo_tree(
            repo_id, recursive=True, revision=revision, repo_type=repo_type
        )
        return [(e.path, int(e.size or 0)) for e in entries if isinstance(e, RepoFile)]

    async def _versions(
        self, ref: SourceRef, api: HfApi, repo_id: str, repo_type: str
    ) -> list[str]:
        try:
            refs: Any = await self._call(ref, api.list_repo_refs, repo_id, repo_type=repo_type)
        except (_NeedsCredentials, NotFound):
            return []
        return normalize_versions([tag.name for tag in refs.tags])

    def _budget(self, plan: list[_Planned]) -> tuple[list[_Planned], list[_Planned]]:
        """Small files always; bulk files (weights, data, anything big) while within budget."""
        chosen = [p for p in plan if not is_bulk(p.kind, p.size)]
        used = sum(p.size for p in chosen)
        skipped: list[_Planned] = []
        bulk = [p for p in plan if is_bulk(p.kind, p.size)]
        bulk.sort(key=lambda p: (_FORMAT_RANK.get(Path(p.path).suffix.lower(), 9), p.path))
        for item in bulk:
            if used + item.size <= self.max_fetch_bytes:
                chosen.append(item)
                used += item.size
            else:
                skipped.append(item)
        return chosen, skipped

    async def _download_all(
        self, ref: SourceRef, repo_id: str, revision: str, chosen: list[_Planned], workdir: Path
    ) -> tuple[dict[str, tuple[Path, str]] | None, list[str]]:
        """``({bundle path: (local path, sha256)}, vanished paths)``; None when gated for us.

        The first file is fetched alone: a gated repository then costs one request, not one
        per file. The rest go in parallel, a few at a time.
        """
        local_dir, cache_dir = workdir / "hf" / "files", workdir / "hf" / "cache"
        gate = asyncio.Semaphore(self.concurrency)
        found: dict[str, tuple[Path, str]] = {}
        vanished: list[str] = []

        async def one(item: _Planned) -> None:
            async with gate:
                try:
                    found[item.path] = await self._call(
                        ref, self._download, repo_id, ref.hf_repo_type, revision,
                        item.repo_path, local_dir, cache_dir,
                    )  # fmt: skip
                except NotFound:  # listed by the tree, gone when asked: recorded, not fatal
                    vanished.append(item.repo_path)

        try:
            if chosen:
                await one(chosen[0])
            async with asyncio.TaskGroup() as group:
                for item in chosen[1:]:
                    group.create_task(one(item))
        except _NeedsCredentials:
            return None, vanished
        except BaseExceptionGroup as errors:
            if any(isinstance(e, _NeedsCredentials) for e in errors.exceptions):
                return None, vanished
            raise errors.exceptions[0] from None
        return found, sorted(vanished)

    def _download(
        self, repo_id: str, repo_type: str, revision: str, filename: str, local_dir: Path,
        cache_dir: Path,
    ) -> tuple[Path, str]:  # fmt: skip
        path = hf_hub_download(
            repo_id,
            filename,
            repo_type=repo_type,
            revision=revision,
            local_dir=local_dir,
            cache_dir=cache_dir,
            token=self.token or False,
            endpoint=self.endpoint,
            etag_timeout=self.timeout,
        )
        local = Path(str(path))
        return local, sha256_file(local)

    def _metadata_only(
        self, ref: SourceRef, info: Any, files: list[FetchedFile], what: str
    ) -> FetchedSource:
        card_data = hub_card_data(info)
        source = FetchedSource(ref=ref, files=files, card_data=card_data)
        source.metadata = hub_metadata(ref, info, source)
        source.notes.append(
            f"This Hugging Face {ref.hf_repo_type} needs credentials to download {what}; only "
            "its metadata is stored."
        )
        source.metadata["needs_credentials"] = True
        return source

    # ------------------------------------------------------------------ errors and retries

    async def _call(self, ref: SourceRef, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        waited, attempt = 0.0, 0
        while True:
            try:
                return await asyncio.to_thread(fn, *args, **kwargs)
            except GatedRepoError as exc:
                raise _NeedsCredentials() from exc
            except (RepositoryNotFoundError, RevisionNotFoundError, DisabledRepoError) as exc:
                raise self._not_found(ref, exc) from exc
            except LocalEntryNotFoundError as exc:  # the hub could not be reached for a file
                error: Exception = exc
                retry_after = None
            except EntryNotFoundError as exc:
                raise NotFound(f"Hugging Face has no file for '{ref.repo_id}': {exc}") from exc
            except HfHubHTTPError as exc:
                status = exc.response.status_code if exc.response is not None else 0
                if status in (401, 403):
                    raise _NeedsCredentials() from exc
                if status not in RETRYABLE_STATUSES:
                    raise self._upstream(ref, f"answered HTTP {status}") from exc
                error = exc
                retry_after = parse_retry_after(exc.response.headers.get("Retry-After"))
            except _TRANSPORT as exc:  # transport errors
                error, retry_after = exc, None
            delay = self.retry.next_delay(attempt, retry_after, waited)
            if delay is None:
                raise self._upstream(ref, _describe(error)) from error
            await asyncio.sleep(delay)
            waited, attempt = waited + delay, attempt + 1

    def _not_found(self, ref: SourceRef, exc: Exception) -> NotFound:
        noun = ref.hf_repo_type
        if isinstance(exc, RevisionNotFoundError):
            return NotFound(
                f"The Hugging Face {noun} '{ref.repo_id}' has no revision '{ref.revision}'."
            )
        if isinstance(exc, DisabledRepoError):
            return NotFound(f"The Hugging Face {noun} '{ref.repo_id}' has been disabled.")
        return NotFound(
            f"No Hugging Face {noun} '{ref.repo_id}' exists at {self.endpoint} (or it is "
            "private and the registry has no token that can read it)."
        )

    def _upstream(self, ref: SourceRef, what: str) -> UpstreamError:
        return UpstreamError(
            f"Hugging Face ({self.endpoint}) failed while fetching '{ref.repo_id}': {what}. "
            "Nothing was stored; please retry later.",
            details={"upstream": "huggingface"},
        )


def _plan(tree: list[tuple[str, int]], subdir: str | None) -> list[_Planned]:
    """The files to record, with bundle paths relative to ``subdir`` when one was asked for."""
    sizes = {path: size for path, size in tree if _safe(path)}
    keep = subtree(sorted(sizes), subdir)
    planned = [_Planned(p, b, sizes[p], classify_file(b)) for p, b in keep.items()]
    return sorted(planned, key=lambda item: item.path)


def _file(item: _Planned, local: tuple[Path, str] | None) -> FetchedFile:
    return FetchedFile(
        path=item.path,
        size=item.size,
        sha256=local[1] if local else None,
        local_path=local[0] if local else None,
        kind=item.kind,
    )


def _safe(path: str) -> bool:
    parts = path.split("/")
    return bool(path) and not path.startswith("/") and "\\" not in path and ".." not in parts


def _describe(exc: Exception) -> str:
    response = getattr(exc, "response", None)
    if response is not None:
        return f"HTTP {response.status_code} after retries"
    return f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else 'no answer'}"
