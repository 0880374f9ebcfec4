"""Serving one file of a stored bundle: a byte range of the zip in the blob store.

Ingest's bundle index says where the file's bytes lie in ``full.zip`` and how they are stored.
A stored (uncompressed) member is a plain slice of the blob, so a Range request maps to one
ranged read of the blob store (local file or S3 ``GET`` with ``Range``). A deflated member
(text: configs, tokenizers, cards) is inflated while it streams; a range of it is inflated from
the member's start and the bytes before the range are dropped (these files are small).
Nothing is unpacked to disk and no bundle is rebuilt.
"""

from __future__ import annotations

import mimetypes
import zlib
from collections.abc import AsyncIterator
from typing import Any

from fastapi import Request
from fastapi.responses import Response, StreamingResponse

from registry_common.blobs import BlobStore
from registry_gateway.downloads import parse_range


def file_headers(entry: dict[str, Any], commit: str) -> dict[str, str]:
    """The Hub's file headers: ETag (git blob id, or sha256 for large files), the commit,
    and for large (LFS) files X-Linked-Etag / X-Linked-Size, which clients prefer."""
    headers = {
        "X-Repo-Commit": commit,
        "ETag": f'"{entry["sha256"] if entry["lfs"] else entry["oid"]}"',
        "X-Checksum-SHA256": entry["sha256"],
        "Accept-Ranges": "bytes",
        "Content-Length": str(entry["size"]),
        "Content-Type": mimetypes.guess_type(entry["path"])[0] or "application/octet-stream",
        "Cache-Control": "private, max-age=0, must-revalidate",
    }
    if entry["lfs"]:
        headers["X-Linked-Etag"] = f'"{entry["sha256"]}"'
        headers["X-Linked-Size"] = str(entry["size"])
    return headers


def serve_member(
    request: Request, blobs: BlobStore, key: str, entry: dict[str, Any], headers: dict[str, str]
) -> Response:
    """The file (200), a single range of it (206) or 416; HEAD gets the headers only."""
    size = int(entry["size"])
    wanted = parse_range(request.headers.get("range"), size)
    if wanted == "invalid":
        return Response(
            status_code=416,
            headers={**headers, "Content-Range": f"bytes */{size}", "Content-Length": "0"},
        )
    start, end = wanted if isinstance(wanted, tuple) else (0, size)
    status = 200
    if wanted is not None:
        status = 206
        headers = {
            **headers,
            "Content-Range": f"bytes {start}-{end - 1}/{size}",
            "Content-Length": str(end - start),
        }
    if request.method == "HEAD":
        return Response(status_code=status, headers=headers)
    return StreamingResponse(
        member_bytes(blobs, key, entry, start, end),
        status_code=status,
        headers=headers,
        media_type=headers["Content-Type"],
    )


async def member_bytes(
    blobs: BlobStore, key: str, entry: dict[str, Any], start: int, end: int
) -> AsyncIterator[bytes]:
    """Bytes [start, end) of the member's content."""
    offset = int(entry["offset"])
    if entry["method"] == "stored":
        async for chunk in blobs.open(key, offset + start, offset + end):
            yield chunk
        return
    inflater = zlib.decompressobj(-zlib.MAX_WBITS)
    position = 0  # of the inflated content
    async for chunk in blobs.open(key, offset, offset + int(entry["compressed_size"])):
        data = inflater.decompress(chunk)
        piece, position = _window(data, position, start, end)
        if piece:
            yield piece
        if position >= end:
            return
    piece, position = _window(inflater.flush(), position, start, end)
    if piece:
        yield piece


def _window(data: bytes, position: int, start: int, end: int) -> tuple[bytes, int]:
    """The part of `data` (at `position` of the content) inside [start, end)."""
    following = position + len(data)
    low, high = max(start, position), min(end, following)
    return (data[low - position : high - position] if low < high else b""), following
