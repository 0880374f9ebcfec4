"""`SourceFetcher`: one entry point that fetches any parsed source URL or uploaded zip.

Errors: a source that does not exist raises `NotFound`; an upstream outage (after bounded
retries) raises `UpstreamError` naming the service; an unsafe upload raises `BadRequest`.
Sources that exist but need credentials (gated models, Kaggle, plain URLs answering 401) are
never errors: the result is metadata-only, ``complete=False``, with a note saying why. A plain
URL that cannot be fetched for another reason (an internal address, no such host, a 404, a
timeout) raises `OutboundError` (400), so nothing empty is registered.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any, BinaryIO, Final

from huggingface_hub.utils.tqdm import disable_progress_bars

from registry_common.outbound import OutboundPolicy, Resolver, origin_of
from registry_ingest.sources.archive import UploadLimits
from registry_ingest.sources.github import GitHubFetcher
from registry_ingest.sources.huggingface import HuggingFaceFetcher
from registry_ingest.sources.model import FetchedSource
from registry_ingest.sources.plain import PlainUrlFetcher, kaggle_source
from registry_ingest.sources.retry import RetryPolicy
from registry_ingest.sources.upload import fetch_upload
from registry_ingest.sources.urls import SourceRef

DEFAULT_HF_ENDPOINT: Final = "https://huggingface.co"
DEFAULT_GITHUB_API_URL: Final = "https://api.github.com"
DEFAULT_MAX_FETCH_BYTES: Final = 2 * 1024**3
DEFAULT_TIMEOUT: Final = 60.0
DEFAULT_DEADLINE: Final = 60.0
GITHUB_MAX_FILES: Final = 50_000

# Keys every `FetchedSource.metadata` carries (None / [] when unknown), whatever the source.
_BASE_METADATA: Final[dict[str, Any]] = {
    "source_kind": None,
    "repo_id": None,
    "license": None,
    "licenses": [],
    "author": None,
    "downloads": None,
    "likes": None,
    "last_modified": None,
    "pipeline_tag": None,
    "library_name": None,
    "tags": [],
    "base_models": [],
    "base_model_relation": None,
    "datasets": [],
    "linked_code": [],
    "linked_datasets": [],
    "gated": None,
    "private": None,
    "hub_used_storage": None,
    "fetched_bytes": 0,
    "declared_bytes": 0,
}


class SourceFetcher:
    """Fetches sources into a work directory the caller owns (and removes afterwards)."""

    def __init__(
        self,
        *,
        hf_endpoint: str = DEFAULT_HF_ENDPOINT,
        github_api_url: str = DEFAULT_GITHUB_API_URL,
        hf_token: str | None = None,
        github_token: str | None = None,
        max_fetch_bytes: int = DEFAULT_MAX_FETCH_BYTES,
        timeout: float = DEFAULT_TIMEOUT,
        retry: RetryPolicy | None = None,
        github_limits: UploadLimits | None = None,
        deadline: float = DEFAULT_DEADLINE,
        outbound: OutboundPolicy | None = None,
        resolver: Resolver | None = None,
    ) -> None:
        """``outbound``: who plain URLs and redirects may reach; by default public addresses
        and the two endpoints' own origins. ``timeout`` bounds one connect or read,
        ``deadline`` one whole plain-URL download."""
        disable_progress_bars()  # a service has no terminal to draw them on
        hf_endpoint = hf_endpoint or DEFAULT_HF_ENDPOINT
        github_api_url = github_api_url or DEFAULT_GITHUB_API_URL
        policy = outbound or OutboundPolicy(
            frozenset({origin_of(hf_endpoint), origin_of(github_api_url)})
        )
        self.max_fetch_bytes = max(0, max_fetch_bytes)
        self.retry = retry or RetryPolicy()
        self.huggingface = HuggingFaceFetcher(
            endpoint=hf_endpoint,
            token=hf_token,
            max_fetch_bytes=self.max_fetch_bytes,
            timeout=timeout,
            retry=self.retry,
        )
        self.github = GitHubFetcher(
            api_url=github_api_url,
            token=github_token,
            max_fetch_bytes=self.max_fetch_bytes,
            timeout=timeout,
            retry=self.retry,
            policy=policy,
            resolver=resolver,
            limits=github_limits
            or UploadLimits(
                max_bytes=self.max_fetch_bytes,
                max_files=GITHUB_MAX_FILES,
                max_uncompressed_bytes=4 * self.max_fetch_bytes,
            ),
        )
        self.plain = PlainUrlFetcher(
            max_fetch_bytes=self.max_fetch_bytes,
            timeout=timeout,
            deadline=deadline,
            limits=UploadLimits(
                max_bytes=self.max_fetch_bytes,
                max_files=GITHUB_MAX_FILES,
                max_uncompressed_bytes=4 * self.max_fetch_bytes,
            ),
            policy=policy,
            resolver=resolver,
        )

    async def fetch(self, ref: SourceRef, workdir: Path) -> FetchedSource:
        """Fetch a parsed source URL into ``workdir``."""
        await asyncio.to_thread(workdir.mkdir, parents=True, exist_ok=True)
        if ref.is_huggingface:
            source = await self.huggingface.fetch(ref, workdir)
        elif ref.kind == "github":
            source = await self.github.fetch(ref, workdir)
        elif ref.kind == "kaggle":
            source = kaggle_source(ref)
        elif ref.kind == "url":
            source = await self.plain.fetch(ref, workdir)
        else:
            raise ValueError(f"SourceFetcher.fetch cannot fetch a source of kind {ref.kind!r}.")
        return _finish(source)

    async def from_upload(
        self,
        zip_path: Path | BinaryIO,
        workdir: Path,
        *,
        filename: str,
        limits: UploadLimits | None = None,
        artifact_type: str = "model",
    ) -> FetchedSource:
        """Check and unpack a user's zip (raises `BadRequest` when it is unsafe)."""
        source = await asyncio.to_thread(
            fetch_upload,
            zip_path,
            workdir,
            filename=filename,
            artifact_type=artifact_type,
            limits=limits or UploadLimits(),
        )
        return _finish(source)


def _finish(source: FetchedSource) -> FetchedSource:
    """Every metadata key present, byte counts that match the files, ``complete`` honest."""
    source.metadata = {
        **{k: list(v) if isinstance(v, list) else v for k, v in _BASE_METADATA.items()},
        **{k: v for k, v in source.metadata.items() if v is not None or k not in _BASE_METADATA},
        "source_kind": source.metadata.get("source_kind") or source.ref.kind,
        "fetched_bytes": source.fetched_bytes,
        "declared_bytes": source.declared_bytes,
    }
    source.complete = bool(source.complete and all(f.fetched for f in source.files))
    return source
