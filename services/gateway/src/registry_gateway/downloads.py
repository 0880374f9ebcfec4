"""Serving a stored bundle: the gateway streams it from the blob store itself.

Local blobs go out through Starlette's FileResponse (Range, If-Range, HEAD, zero copies
through our code). S3 blobs are streamed with single-range support, or, when
GATEWAY_DOWNLOAD_REDIRECT is on, answered with a redirect to a short-lived presigned URL so
the bytes never pass through the gateway at all.
"""

from __future__ import annotations

import re
from typing import Any

from fastapi import Request
from fastapi.responses import FileResponse, RedirectResponse, Response, StreamingResponse

from registry_common.blobs import BlobStore, content_disposition
from registry_common.blobs.local import LocalBlobStore


class BundleFileResponse(FileResponse):
    """FileResponse in 1 MiB chunks instead of Starlette's 64 KiB: every chunk costs a hop to a
    worker thread and a pass through each middleware's `send` wrapper, so a 26 MB bundle
    was ~400 of both (docs/performance.md, flame graphs). 1 MiB in flight per download is
    100 MiB at 100 concurrent downloads. A server offering `http.response.pathsend` skips
    the chunks altogether."""

    chunk_size = 1024 * 1024


# ASCII digits, at most 19 (a 64-bit size): a 5,000-digit bound would fail int() with a 500.
_RANGE = re.compile(r"^bytes=([0-9]{0,19})-([0-9]{0,19})$")


def _headers(info: dict[str, Any]) -> dict[str, str]:
    return {
        "ETag": f'"{info["sha256"]}"',
        "X-Checksum-SHA256": info["sha256"],
        "X-Bundle-Complete": "true" if info.get("complete", True) else "false",
        "Cache-Control": "private, max-age=0, must-revalidate",
    }


def parse_range(header: str | None, size: int) -> tuple[int, int] | str | None:
    """(start, end exclusive) for one `bytes=a-b` range; None = whole; "invalid" = 416."""
    if not header:
        return None
    match = _RANGE.match(header.strip())
    if not match or (not match.group(1) and not match.group(2)):
        return None  # unsupported forms (several ranges) fall back to the whole body
    first, last = match.groups()
    if first == "":
        length = int(last)
        if length == 0:
            return "invalid"
        return max(size - length, 0), size
    start = int(first)
    end = min(int(last) + 1, size) if last else size
    if start >= size or start >= end:
        return "invalid"
    return start, end


async def serve_blob(
    request: Request, blobs: BlobStore, info: dict[str, Any], *, redirect: bool
) -> Response:
    headers = _headers(info)
    if request.headers.get("if-none-match") == headers["ETag"]:
        return Response(status_code=304, headers=headers)
    if isinstance(blobs, LocalBlobStore):
        return BundleFileResponse(
            blobs.path_for(info["key"]),
            media_type="application/zip",
            filename=info["filename"],
            headers=headers,
        )
    if redirect:
        url = await blobs.presigned_url(info["key"], expires_in=300, filename=info["filename"])
        if url:
            return RedirectResponse(url, status_code=307, headers=headers)
    size = int(info["size"])
    headers["Accept-Ranges"] = "bytes"
    headers["Content-Disposition"] = content_disposition(info["filename"])
    wanted = parse_range(request.headers.get("range"), size)
    if wanted == "invalid":
        return Response(status_code=416, headers={**headers, "Content-Range": f"bytes */{size}"})
    if wanted is None:
        headers["Content-Length"] = str(size)
        return StreamingResponse(
            blobs.open(info["key"]), media_type="application/zip", headers=headers
        )
    assert isinstance(wanted, tuple)
    start, end = wanted
    headers["Content-Length"] = str(end - start)
    headers["Content-Range"] = f"bytes {start}-{end - 1}/{size}"
    return StreamingResponse(
        blobs.open(info["key"], start, end),
        status_code=206,
        media_type="application/zip",
        headers=headers,
    )
