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
