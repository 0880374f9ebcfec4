"""The blob store port: artifact bundles and parts, streamed in and out.

Keys are relative paths (`artifacts/<id>/bundle.zip`). Writes are atomic: a reader sees
either the whole new object or nothing, never a half-written one. `sha256` and `size` are
computed while the bytes stream through, so a stored object always has a verified digest.
"""

from __future__ import annotations

from collections.abc import AsyncIterable, AsyncIterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol
from urllib.parse import quote

from registry_common.errors import NotFound


@dataclass(frozen=True)
class BlobInfo:
    key: str
    size: int
    sha256: str
    content_type: str = "application/octet-stream"
    # When the object was last written (None where the store did not say, e.g. after a
    # put); the orphan-blob sweeper's grace age is measured from it. Not part of equality:
    # the same object is the same object whenever it was looked at.
    modified_at: datetime | None = field(default=None, compare=False)


class BlobNotFound(NotFound):
    def __init__(self, key: str) -> None:
        super().__init__(f"No stored object at {key!r}.")
        self.key = key


class BlobStore(Protocol):
    async def start(self) -> None:
        """Connect, and create the container (directory or bucket) when it is missing."""
        ...

    async def put(
        self,
        key: str,
        data: bytes | AsyncIterable[bytes],
        *,
        content_type: str = "application/octet-stream",
    ) -> BlobInfo:
        """Store `data` under `key` atomically, replacing any previous object."""
        ...

    async def stat(self, key: str) -> BlobInfo:
        """Size and digest of a stored object; raises BlobNotFound."""
        ...

    def open(self, key: str, start: int = 0, end: int | None = None) -> AsyncIterator[bytes]:
        """Stream bytes [start, end) of an object (end exclusive, None = to the end).

        Raises BlobNotFound on first iteration when the key does not exist.
        """
        ...

    async def read(self, key: str) -> bytes:
        """The whole object in memory; for small objects (cards, configs, manifests)."""
        ...

    async def exists(self, key: str) -> bool: ...

    async def list(self, prefix: str = "") -> list[BlobInfo]: ...

    async def delete(self, key: str) -> None:
        """Remove one object; removing a missing object is not an error."""
        ...

    async def delete_prefix(self, prefix: str) -> int:
        """Remove every object whose key starts with `prefix`; returns how many."""
        ...

    async def presigned_url(
        self, key: str, *, expires_in: int = 300, filename: str | None = None
    ) -> str | None:
        """A time-limited direct URL, or None when the backend cannot make one (local)."""
        ...

    async def check(self) -> None:
        """Raise ComponentUnavailable when the store cannot be reached."""
        ...

    async def close(self) -> None: ...


def content_disposition(filename: str) -> str:
    """`attachment` with an ASCII fallback name and the exact name per RFC 6266/5987: a
    header value is latin-1, and artifact names may be any Unicode (a look-alike's Cyrillic)."""
    fallback = "".join(
        c if c.isascii() and c.isprintable() and c not in '"\\' else "_" for c in filename
    )
    header = f'attachment; filename="{fallback}"'
    if fallback != filename:
        header += f"; filename*=UTF-8''{quote(filename, safe='')}"
    return header
