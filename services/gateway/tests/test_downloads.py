"""Range parsing of S3-streamed downloads: every header a client can send is a range, the whole
body, or 416, never an exception; and any artifact name makes a valid Content-Disposition."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any, cast

import pytest
from starlette.requests import Request

from registry_common.blobs import BlobStore
from registry_gateway.downloads import parse_range, serve_blob


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (None, None),
        ("bytes=10-99", (10, 100)),
        ("bytes=10-", (10, 1000)),
        ("bytes=-100", (900, 1000)),
        ("bytes=990-5000", (990, 1000)),
        ("bytes=1000-", "invalid"),
        ("bytes=-0", "invalid"),
        ("bytes=0-1,5-6", None),  # several ranges: the whole body
        ("bytes=0-" + "9" * 5000, None),  # past int()'s digit limit: the whole body
        ("bytes=" + "9" * 20 + "-", None),
        ("bytes=9999999999999999999-", "invalid"),
        ("bytes=\u0663-", None),  # an Arabic-Indic digit is no ASCII digit
    ],
)
def test_parse_range(header: str | None, expected: object) -> None:
    assert parse_range(header, 1000) == expected


class _StreamedBlobs:
    """The one BlobStore method the streamed (S3) path calls, over bytes in memory."""

    def __init__(self, data: bytes) -> None:
        self._data = data

    async def open(self, key: str, start: int = 0, end: int | None = None) -> AsyncIterator[bytes]:
        yield self._data[start:end]


@pytest.mark.parametrize(
    ("filename", "expected"),
    [
        ("bert-base.zip", 'attachment; filename="bert-base.zip"'),
        # A homoglyph name (Cyrillic a): latin-1 cannot carry it, RFC 5987 can.
        (
            "bert-base-unc\u0430sed.zip",
            'attachment; filename="bert-base-unc_sed.zip"; '
            "filename*=UTF-8''bert-base-unc%D0%B0sed.zip",
        ),
    ],
)
async def test_streamed_download_names_any_artifact(filename: str, expected: str) -> None:
    info: dict[str, Any] = {"key": "k", "size": 3, "sha256": "ab" * 32, "filename": filename}
    request = Request({"type": "http", "method": "GET", "headers": []})
    blobs = cast(BlobStore, _StreamedBlobs(b"zip"))
    response = await serve_blob(request, blobs, info, redirect=False)
    assert response.status_code == 200
    assert response.headers["content-disposition"] == expected


@pytest.mark.parametrize(
    ("range_header", "start", "end"),
    [
        (None, 0, 3 * 1024 * 1024 + 17),
        # Across the 1 MiB chunk boundaries of the local-disk path.
        ("bytes=1048570-2097160", 1048570, 2097161),
        ("bytes=-1048580", 3 * 1024 * 1024 + 17 - 1048580, 3 * 1024 * 1024 + 17),
    ],
)
async def test_local_bundles_go_out_whole_and_in_ranges_across_chunks(
    tmp_path: Any, range_header: str | None, start: int, end: int
) -> None:
    """Local blobs are served in 1 MiB chunks (BundleFileResponse): every byte arrives, in
    order, for the whole file and for ranges that straddle chunk boundaries."""
    import hashlib

    import httpx
    from fastapi import FastAPI

    from registry_common.blobs.local import LocalBlobStore

    data = hashlib.sha256(b"seed").digest() * ((3 * 1024 * 1024 + 17) // 32 + 1)
    data = data[: 3 * 1024 * 1024 + 17]
    blobs = LocalBlobStore(tmp_path / "blobs")
    stored = await blobs.put("artifacts/1/r1/full.zip", data)
    info = {"key": stored.key, "size": stored.size, "sha256": stored.sha256, "filename": "a.zip"}
    app = FastAPI()

    @app.get("/download")
    async def download(request: Request) -> Any:
        return await serve_blob(request, cast(BlobStore, blobs), info, redirect=False)

    headers = {"range": range_header} if range_header else {}
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        response = await client.get("/download", headers=headers)
    assert response.status_code == (206 if range_header else 200)
    assert response.content == data[start:end]
