"""The bundle index (registry_ingest.bundle_index) on zips that do not have the layout it
expects: each is refused as a CorruptBundle saying what is wrong, never indexed with wrong
offsets; and a central directory larger than the fixed tail read is still found."""

from __future__ import annotations

import io
import zipfile
from typing import Any

import pytest

from registry_ingest.bundle_index import CorruptBundle, build_index


def _reader(data: bytes) -> Any:
    async def read(offset: int, length: int) -> bytes:
        return data[offset : offset + length]

    return read


def _zip(files: dict[str, bytes], method: int = zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=method) as archive:
        for name, content in files.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def _manifest(*paths: str) -> list[dict[str, Any]]:
    return [{"path": p} for p in paths]


async def _index(data: bytes, *paths: str) -> list[Any]:
    return await build_index(_reader(data), len(data), _manifest(*paths))


async def test_a_zip_shorter_than_its_end_record() -> None:
    with pytest.raises(CorruptBundle, match=r"^the zip is shorter than its end record$"):
        await _index(b"PK\x05\x06", "a")


async def test_bytes_without_an_end_record() -> None:
    with pytest.raises(CorruptBundle, match=r"^no end of central directory record$"):
        await _index(b"not a zip at all " * 10, "a")


async def test_a_member_with_an_unexpected_method() -> None:
    data = _zip({"weights.txt": b"abc" * 100}, zipfile.ZIP_BZIP2)
    with pytest.raises(CorruptBundle, match=r"^'weights.txt' uses zip method 12$"):
        await _index(data, "weights.txt")


async def test_a_member_whose_bytes_do_not_match_its_crc() -> None:
    content = b"0123456789" * 20
    data = bytearray(_zip({"config.txt": content}, zipfile.ZIP_STORED))
    at = bytes(data).index(content)
    data[at] ^= 0xFF
    with pytest.raises(CorruptBundle, match=r"^'config.txt' does not match its CRC$"):
        await _index(bytes(data), "config.txt")


async def test_a_member_without_its_local_header() -> None:
    data = bytearray(_zip({"config.txt": b"{}"}, zipfile.ZIP_STORED))
    data[0:4] = b"XXXX"  # the first local header's signature
    with pytest.raises(CorruptBundle, match=r"^no local header for 'config.txt'$"):
        await _index(bytes(data), "config.txt")


async def test_a_central_directory_larger_than_the_tail_is_read_whole() -> None:
    # ~3,000 entries with long names: a central directory of well over 64 KiB.
    names = [f"shards/{'n' * 40}-{i:05d}.txt" for i in range(3000)]
    data = _zip(dict.fromkeys(names, b"x"), zipfile.ZIP_STORED)
    entries = await _index(data, names[0], names[-1])
    assert [e.path for e in entries] == [names[0], names[-1]]
    assert all(e.size == 1 for e in entries)
