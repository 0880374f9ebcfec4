"""Kaggle pages (metadata only) and other plain URLs (one guarded, bounded GET)."""

from __future__ import annotations

import asyncio
import mimetypes
import re
import zipfile
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from registry_common.outbound import (
    Download,
    FetchLimits,
    OutboundClient,
    OutboundError,
    OutboundPolicy,
    Resolver,
)
from registry_ingest.sources.archive import (
    ArchiveRejected,
    ExtractedFile,
    UploadLimits,
    extract_zip,
)
from registry_ingest.sources.model import FetchedSource, human_bytes
from registry_ingest.sources.upload import local_source
from registry_ingest.sources.urls import SourceRef, kaggle_section_noun

_UNSAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")


def kaggle_source(ref: SourceRef) -> FetchedSource:
    """Kaggle needs an account to download anything: record what the URL says."""
    noun = kaggle_section_noun(ref)
    return FetchedSource(
        ref=ref,
        notes=[f"This Kaggle {noun} needs credentials to download; only its metadata is stored."],
        metadata={
            "source_kind": "kaggle",
            "repo_id": ref.repo_id,
            "author": (ref.repo_id or "").split("/", 1)[0] or None,
            "kaggle_kind": noun,
            "needs_credentials": True,
        },
    )


class PlainUrlFetcher:
    """One GET of a user's URL through the guarded outbound client (`registry_common.outbound`).

    Failures the user can act on (an internal address, no such host, a 404, a timeout) raise
    `OutboundError` (400) and nothing is stored. Two cases still register the URL as metadata
    only, as the contract and the other sources do: content that needs credentials (401/403),
    and a file over the ingest limit.
    """

    def __init__(
        self,
        *,
        max_fetch_bytes: int,
        timeout: float,
        deadline: float,
        limits: UploadLimits,
        policy: OutboundPolicy,
        resolver: Resolver | None = None,
    ) -> None:
        self.max_fetch_bytes = max_fetch_bytes
        self.fetch_limits = FetchLimits(
            deadline=deadline, max_bytes=max_fetch_bytes, read_timeout=timeout
        )
        self.limits = limits
        self.policy = policy
        self.resolver = resolver

    async def fetch(self, ref: SourceRef, workdir: Path) -> FetchedSource:
        meta: dict[str, Any] = {"source_kind": "url", "repo_id": None, "url": ref.url}
        folder = workdir / "url"
        try:
            async with OutboundClient(self.policy, resolver=self.resolver) as client:
                body = await client.download(
                    ref.url, self.fetch_limits, lambda url, kind: folder / _file_name(url, kind)
                )
        except OutboundError as exc:
            note = self._metadata_only_note(exc)
            if note is None:
                raise type(exc)(
                    f"{exc.message} Nothing was registered.",
                    reason=exc.reason,
                    http_status=exc.http_status,
                ) from exc
            if exc.http_status in (401, 403):
                meta["needs_credentials"] = True
            return FetchedSource(
                ref=ref,
                notes=[f"{note} Only the URL is stored."],
                metadata={**meta, "fetch_error": note},
            )
        meta.update(final_url=body.url, http_status=body.status, content_type=body.content_type)
        return await asyncio.to_thread(self._as_source, ref, body, meta, workdir / "url-zip")

    def _metadata_only_note(self, exc: OutboundError) -> str | None:
        """The note of a URL registered without its content, or None when it is refused."""
        if exc.reason == "status" and exc.http_status in (401, 403):
            return exc.message
        if exc.reason == "too_large":
            return f"The file is over the {human_bytes(self.max_fetch_bytes)} ingest limit."
        return None

    def _as_source(
        self, ref: SourceRef, body: Download, meta: dict[str, Any], unpack_to: Path
    ) -> FetchedSource:
        """A zip is unpacked like an upload (the spec's "bundle"); anything else is one file."""
        if zipfile.is_zipfile(body.path):
            try:
                extraction = extract_zip(
                    body.path, unpack_to, self.limits, strict=True, strip_top="single",
                    label="The downloaded zip",
                )  # fmt: skip
            except ArchiveRejected as exc:
                meta["zip_error"] = exc.message
            else:
                body.path.unlink(missing_ok=True)
                meta["archive_sha256"] = body.sha256
                return local_source(ref, extraction.files, metadata=meta)
        file = ExtractedFile(body.path.name, body.size, body.sha256, body.path)
        source = local_source(ref, [file], metadata=meta)
        if "zip_error" in meta:
            source.notes.append(f"{meta['zip_error']} It is stored as one file instead.")
        return source


def _file_name(url: str, content_type: str) -> str:
    segments = [unquote(s) for s in urlsplit(url).path.split("/") if s]
    name = _UNSAFE_NAME.sub("_", segments[-1]).strip("._") if segments else ""
    if name:
        return name[:200]
    extension = mimetypes.guess_extension(content_type) if content_type else None
    return "content" + (extension or ".bin")
