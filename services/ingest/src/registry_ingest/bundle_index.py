"""Where each file of a stored bundle lies inside its zip, so one file can be served straight
from the blob store (a byte range of ``full.zip``) without unpacking or rebuilding anything.

The index of a revision is a list of entries, one per repository file in the bundle: its path
in the repository, where its bytes start in the zip (after the local header), their stored
length, the uncompressed size, the method (``stored`` or ``deflated``), its sha256 and its git
object id (what the Hugging Face Hub calls ``oid``: the git blob sha1 of the content, or of the
LFS pointer for large files). It is written at ingest time from the zip just built, and built
lazily from the blob store (range reads of the central directory and the local headers) for
bundles stored before the index existed.
"""

from __future__ import annotations

import asyncio
import hashlib
import io
import struct
import zipfile
import zlib
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from typing import Any, Final

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from registry_common.blobs import BlobStore
from registry_common.db import database_errors
from registry_ingest.tables import BundleIndexRow

INDEX_VERSION: Final = 1
_LOCAL_HEADER = struct.Struct("<IHHHHHIIIHH")  # 30 bytes, signature 0x04034b50
_LOCAL_SIGNATURE: Final = 0x04034B50
# The end of central directory record is within the last 64 KiB + 22 bytes (the comment is
# at most 65,535 bytes); the zip64 locator and record sit just before it.
_TAIL: Final = 65_536 + 22 + 20 + 56
# The Hub's default .gitattributes (git-lfs patterns of every new repository) and its 10 MB
# rule: files like these are "large" (LFS) files there, so they are here too.
LFS_SUFFIXES: Final = frozenset(
    {
        ".7z", ".arrow", ".bin", ".bz2", ".ckpt", ".ftz", ".gz", ".h5", ".joblib", ".mlmodel",
        ".model", ".msgpack", ".npy", ".npz", ".onnx", ".ot", ".parquet", ".pb", ".pickle",
        ".pkl", ".pt", ".pth", ".rar", ".safetensors", ".tar", ".tflite", ".tgz", ".wasm",
        ".xz", ".zip", ".zst", ".gguf",
    }
)  # fmt: skip
LFS_MIN_BYTES: Final = 10 * 1024 * 1024
_HASH_CHUNK: Final = 1024 * 1024

ReadRange = Callable[[int, int], Awaitable[bytes]]  # (offset, length) -> bytes


class CorruptBundle(Exception):
    """The stored zip does not have the layout the index expects."""


@dataclass(frozen=True)
class IndexEntry:
    path: str  # the file's path in the repository
    offset: int  # first byte of its (compressed) data in the zip
    compressed_size: int
    size: int
    method: str  # "stored" or "deflated"
    crc32: int
    sha256: str
    oid: str  # git object id as the Hub shows it
    lfs: bool

    def as_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> IndexEntry:
        return cls(**{name: data[name] for name in cls.__dataclass_fields__})


def is_lfs(path: str, size: int) -> bool:
    name = PurePosixPath(path).name.lower()
    return (
        size >= LFS_MIN_BYTES or PurePosixPath(name).suffix in LFS_SUFFIXES or ("tfevents" in name)
    )


def git_blob_oid(data: bytes) -> str:
    return hashlib.sha1(b"blob %d\x00" % len(data) + data).hexdigest()  # noqa: S324 - git's id


def lfs_pointer(sha256: str, size: int) -> bytes:
    pointer = f"version https://git-lfs.github.com/spec/v1\noid sha256:{sha256}\nsize {size}\n"
    return pointer.encode()


class _TailFile(io.RawIOBase):
    """A read-only file of `size` bytes of which only the tail is known: enough for `zipfile`
    to parse the central directory (it never reads members while listing them)."""

    def __init__(self, tail: bytes, size: int) -> None:
        self._tail = tail
        self._start = size - len(tail)
        self._size = size
        self._pos = 0

    def seekable(self) -> bool:
        return True

    def readable(self) -> bool:
        return True

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._pos, io.SEEK_END: self._size}[whence]
        self._pos = base + offset
        return self._pos

    def tell(self) -> int:
        return self._pos

    def read(self, size: int = -1) -> bytes:
        end = self._size if size is None or size < 0 else min(self._size, self._pos + size)
        if self._pos < self._start:
            raise CorruptBundle("the central directory does not fit in the zip's tail")
        data = self._tail[self._pos - self._start : end - self._start]
        self._pos += len(data)
        return data


async def build_index(
    read: ReadRange, size: int, manifest_files: Iterable[dict[str, Any]]
) -> list[IndexEntry]:
    """The index of a bundle zip of `size` bytes, read through `read` (a local file at ingest
    time, ranges of the blob store when built lazily). `manifest_files` are the bundle
    manifest's `files` entries (path, size, sha256, kind, fetched, bundle_path)."""
    if size < 22:
        raise CorruptBundle("the zip is shorter than its end record")
    tail_length = min(size, _TAIL)
    tail = await read(size - tail_length, tail_length)
    try:
        infos = await asyncio.to_thread(_central_directory, tail, size)
    except CorruptBundle:
        # A central directory larger than the fixed tail (tens of thousands of files): read
        # exactly as much as the end record says.
        start = _directory_start(tail, size)
        infos = await asyncio.to_thread(_central_directory, await read(start, size - start), size)
    by_zip_path = {
        str(f.get("bundle_path") or f["path"]): f for f in manifest_files if f.get("fetched", True)
    }
    entries: list[IndexEntry] = []
    for info in infos:
        described = by_zip_path.get(info.filename)
        if described is None or info.is_dir():
            continue  # the registry's own manifest.json, or a folder entry
        header = await read(info.header_offset, _LOCAL_HEADER.size)
        fields = _LOCAL_HEADER.unpack(header)
        if fields[0] != _LOCAL_SIGNATURE:
            raise CorruptBundle(f"no local header for {info.filename!r}")
        name_length, extra_length = fields[9], fields[10]
        offset = info.header_offset + _LOCAL_HEADER.size + name_length + extra_length
        method = _method(info)
        path = str(described["path"])
        large = is_lfs(path, info.file_size)
        sha256 = described.get("sha256")
        oid: str | None = None
        if not large or not sha256:
            content = await _member_bytes(read, offset, info, method)
            sha256 = sha256 or hashlib.sha256(content).hexdigest()
            oid = git_blob_oid(content)
        if large:
            oid = git_blob_oid(lfs_pointer(str(sha256), info.file_size))
        assert oid is not None
        entries.append(
            IndexEntry(
                path=path,
                offset=offset,
                compressed_size=info.compress_size,
                size=info.file_size,
                method=method,
                crc32=info.CRC,
                sha256=str(sha256),
                oid=oid,
                lfs=large,
            )
        )
    entries.sort(key=lambda e: e.path)
    return entries


def file_reader(path: Path) -> ReadRange:
    """Range reads of a local file (the bundle just built), off the event loop."""

    def read_sync(offset: int, length: int) -> bytes:
        with path.open("rb") as handle:
            handle.seek(offset)
            return handle.read(length)

    async def read(offset: int, length: int) -> bytes:
        return await asyncio.to_thread(read_sync, offset, length)

    return read


def blob_reader(blobs: BlobStore, key: str) -> ReadRange:
    async def read(offset: int, length: int) -> bytes:
        buffer = bytearray()
        async for chunk in blobs.open(key, offset, offset + length):
            buffer += chunk
        return bytes(buffer)

    return read


def _central_directory(tail: bytes, size: int) -> list[zipfile.ZipInfo]:
    try:
        with zipfile.ZipFile(_TailFile(tail, size)) as archive:
            return archive.infolist()
    except zipfile.BadZipFile as exc:
        raise CorruptBundle(str(exc)) from exc


def _directory_start(tail: bytes, size: int) -> int:
    """Offset of the central directory from the end records in `tail` (zip64 aware)."""
    end = tail.rfind(b"PK\x05\x06")
    if end < 0:
        raise CorruptBundle("no end of central directory record")
    (start,) = struct.unpack_from("<I", tail, end + 16)
    if start == 0xFFFFFFFF:
        record = tail.rfind(b"PK\x06\x06", 0, end)
        if record < 0:
            raise CorruptBundle("no zip64 end of central directory record")
        (start,) = struct.unpack_from("<Q", tail, record + 48)
    if not 0 <= start < size:
        raise CorruptBundle("the central directory lies outside the zip")
    return int(start)


def _method(info: zipfile.ZipInfo) -> str:
    if info.compress_type == zipfile.ZIP_STORED:
        return "stored"
    if info.compress_type == zipfile.ZIP_DEFLATED:
        return "deflated"
    raise CorruptBundle(f"{info.filename!r} uses zip method {info.compress_type}")


async def _member_bytes(read: ReadRange, offset: int, info: zipfile.ZipInfo, method: str) -> bytes:
    raw = await read(offset, info.compress_size)
    data = raw if method == "stored" else zlib.decompress(raw, -zlib.MAX_WBITS)
    if len(data) != info.file_size or zlib.crc32(data) != info.CRC:
        raise CorruptBundle(f"{info.filename!r} does not match its CRC")
    return data


class BundleIndexes:
    """The stored indexes, one row per (artifact, revision); built on first use if missing."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession], blobs: BlobStore) -> None:
        self._sessions = sessions
        self._blobs = blobs

    async def save(self, artifact_id: str, revision: int, entries: list[IndexEntry]) -> None:
        row = BundleIndexRow(
            artifact_id=artifact_id,
            revision=revision,
            version=INDEX_VERSION,
            entries=[e.as_json() for e in entries],
            created_at=datetime.now(UTC),
        )
        try:
            async with database_errors(), self._sessions.begin() as session:
                await session.merge(row)
        except IntegrityError:
            pass  # a concurrent lazy build stored the same index first

    async def get(
        self,
        artifact_id: str,
        revision: int,
        key: str,
        manifest_files: Iterable[dict[str, Any]],
    ) -> list[IndexEntry]:
        """The index of the bundle at `key`; built from the blob store and stored when the
        bundle predates the index (or was stored by an older index version)."""
        statement = select(BundleIndexRow).where(
            BundleIndexRow.artifact_id == artifact_id, BundleIndexRow.revision == revision
        )
        async with database_errors(), self._sessions() as session:
            row = (await session.execute(statement)).scalar_one_or_none()
        if row is not None and row.version == INDEX_VERSION:
            return [IndexEntry.from_json(e) for e in row.entries]
        info = await self._blobs.stat(key)
        entries = await build_index(blob_reader(self._blobs, key), info.size, manifest_files)
        await self.save(artifact_id, revision, entries)
        return entries

    async def forget(self, artifact_id: str) -> None:
        async with database_errors(), self._sessions.begin() as session:
            await session.execute(
                delete(BundleIndexRow).where(BundleIndexRow.artifact_id == artifact_id)
            )

    async def clear(self) -> None:
        async with database_errors(), self._sessions.begin() as session:
            await session.execute(delete(BundleIndexRow))
