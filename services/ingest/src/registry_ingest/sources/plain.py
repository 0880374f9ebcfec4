"""Kaggle pages (metadata only) and other plain URLs (one bounded GET, never an error)."""

from __future__ import annotations

import asyncio
import hashlib
import ipaddress
import mimetypes
import re
import socket
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urljoin, urlsplit

import httpx

from registry_ingest.sources.archive import (
    ArchiveRejected,
    ExtractedFile,
    UploadLimits,
    extract_zip,
)
from registry_ingest.sources.model import FetchedSource, human_bytes
from registry_ingest.sources.upload import local_source
from registry_ingest.sources.urls import SourceRef, kaggle_section_noun

CHUNK = 1024 * 1024
MAX_REDIRECTS = 5
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


class _Refused(Exception):
    """A reason, as a sentence, why the URL's content is not stored."""


@dataclass
class _Body:
    url: str
    status: int
    content_type: str
    path: Path
    size: int
    sha256: str


class PlainUrlFetcher:
    def __init__(
        self,
        *,
        max_fetch_bytes: int,
        timeout: float,
        limits: UploadLimits,
        allow_private_hosts: bool = True,
    ) -> None:
        self.max_fetch_bytes = max_fetch_bytes
        self.timeout = timeout
        self.limits = limits
        self.allow_private_hosts = allow_private_hosts

    async def fetch(self, ref: SourceRef, workdir: Path) -> FetchedSource:
        meta: dict[str, Any] = {"source_kind": "url", "repo_id": None, "url": ref.url}
        try:
            body = await self._get(ref.url, workdir / "url")
        except _Refused as reason:
            return FetchedSource(
                ref=ref,
                notes=[f"{reason} Only the URL is stored."],
                metadata={**meta, "fetch_error": str(reason)},
            )
        meta.update(final_url=body.url, http_status=body.status, content_type=body.content_type)
        return await asyncio.to_thread(self._as_source, ref, body, meta, workdir / "url-zip")

    def _as_source(
        self, ref: SourceRef, body: _Body, meta: dict[str, Any], unpack_to: Path
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

    async def _get(self, url: str, folder: Path) -> _Body:
        timeout = httpx.Timeout(self.timeout)
        try:
            async with httpx.AsyncClient(timeout=timeout, follow_redirects=False) as client:
                for _ in range(MAX_REDIRECTS + 1):
                    await self._check_host(url)
                    async with client.stream("GET", url) as response:
                        location = response.headers.get("Location")
                        if response.is_redirect and location:
                            url = urljoin(url, location)
                            continue
                        if response.status_code >= 400:
                            raise _Refused(_status_sentence(response.status_code))
                        return await self._save(url, response, folder)
        except httpx.TimeoutException as exc:
            raise _Refused(f"The URL did not answer within {self.timeout:g} s.") from exc
        except httpx.HTTPError as exc:
            raise _Refused(f"The URL could not be fetched ({type(exc).__name__}: {exc}).") from exc
        except OSError as exc:
            raise _Refused(f"The URL could not be fetched ({exc}).") from exc
        raise _Refused(f"The URL redirected more than {MAX_REDIRECTS} times.")

    async def _check_host(self, url: str) -> None:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise _Refused("The URL redirected to something that is not an http(s) link.")
        try:
            infos = await asyncio.get_running_loop().getaddrinfo(
                parts.hostname, parts.port or (443 if parts.scheme == "https" else 80),
                type=socket.SOCK_STREAM,
            )  # fmt: skip
        except OSError as exc:
            raise _Refused(f"The host '{parts.hostname}' could not be resolved ({exc}).") from exc
        for info in infos:
            address = ipaddress.ip_address(str(info[4][0]).split("%", 1)[0])
            internal = address.is_private or address.is_loopback
            if (
                address.is_link_local
                or address.is_multicast
                or address.is_unspecified
                or address.is_reserved
                or (internal and not self.allow_private_hosts)
            ):
                raise _Refused(
                    f"The host '{parts.hostname}' resolves to an internal address the registry "
                    "does not fetch from."
                )

    async def _save(self, url: str, response: httpx.Response, folder: Path) -> _Body:
        declared = int(response.headers.get("Content-Length") or 0)
        limit = human_bytes(self.max_fetch_bytes)
        if declared > self.max_fetch_bytes:
            raise _Refused(f"The file is {human_bytes(declared)}, over the {limit} ingest limit.")
        content_type = response.headers.get("Content-Type", "").split(";", 1)[0].strip()
        await asyncio.to_thread(folder.mkdir, parents=True, exist_ok=True)
        target = folder / _file_name(url, content_type)
        digest, size = hashlib.sha256(), 0
        with target.open("wb") as sink:
            async for chunk in response.aiter_bytes(CHUNK):
                size += len(chunk)
                if size > self.max_fetch_bytes:
                    sink.close()
                    target.unlink(missing_ok=True)
                    raise _Refused(f"The file is larger than the {limit} ingest limit.")
                digest.update(chunk)
                await asyncio.to_thread(sink.write, chunk)
        return _Body(url, response.status_code, content_type, target, size, digest.hexdigest())


def _file_name(url: str, content_type: str) -> str:
    segments = [unquote(s) for s in urlsplit(url).path.split("/") if s]
    name = _UNSAFE_NAME.sub("_", segments[-1]).strip("._") if segments else ""
    if name:
        return name[:200]
    extension = mimetypes.guess_extension(content_type) if content_type else None
    return "content" + (extension or ".bin")


def _status_sentence(status: int) -> str:
    if status in (401, 403):
        return f"The server answered HTTP {status}: the content needs credentials."
    if status == 404:
        return "The server answered HTTP 404: nothing is at that address."
    return f"The server answered HTTP {status}."
