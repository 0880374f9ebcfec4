"""A blob store in a local directory (embedded mode, tests, single-host deployments).

Layout under `root`:

- `<root>/<key>`: the object itself, so `path_for(key)` can be served with sendfile.
- `<root>/.meta/<key>`: a small JSON sidecar with size, sha256 and content type, plus the
  identity (device, inode, mtime) of the file it describes. A sidecar is trusted only when
  that identity and the size match the object; otherwise `stat` re-hashes the object and
  rewrites the sidecar. The sidecar is a cache: losing it costs one re-hash, never a wrong
  digest.
- `<root>/.tmp/`: in-flight writes. An object is streamed into a temp file (hashing as it
  goes), fsynced and then `os.replace`d into place, so readers see the old object or the
  whole new one, never a partial one.

Keys whose first segment starts with `.` are reserved (see `keys.py`), so user keys never
collide with `.meta` and `.tmp`. Every blocking call runs in a worker thread.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import hashlib
import json
import os
import shutil
import stat as stat_module
import tempfile
import threading
import time
from collections.abc import AsyncIterable, AsyncIterator, Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

from registry_common.blobs.keys import validate_key, validate_prefix
from registry_common.blobs.port import BlobInfo, BlobNotFound
from registry_common.errors import BadRequest, ComponentUnavailable, Conflict

COMPONENT = "blob store"
CHUNK_SIZE = 1024 * 1024
DEFAULT_CONTENT_TYPE = "application/octet-stream"
_META_DIR = ".meta"
_TMP_DIR = ".tmp"
_META_VERSION = 1
_STALE_TEMP_SECONDS = 24 * 3600
_MIN_FREE_BYTES = 1024 * 1024

_OUTAGE_REASONS = {
    errno.ENOSPC: "the disk is full",
    errno.EDQUOT: "the disk quota is exceeded",
    errno.EROFS: "the storage directory is on a read-only filesystem",
    errno.EACCES: "the storage directory is not writable",
    errno.EPERM: "the storage directory is not writable",
    errno.EIO: "an I/O error occurred on the storage disk",
    errno.ENOENT: "the storage directory is missing",
    errno.ENOTDIR: "the storage directory is missing",
    errno.EMFILE: "too many open files",
    errno.ENFILE: "too many open files",
}


class _TempWriter:
    """A temp file being filled from a worker thread, hashing what it writes.

    A lock serializes writes with `discard`, so a cancelled `put` never closes the file
    under a write still running in its thread.
    """

    def __init__(self, file: IO[bytes], path: Path) -> None:
        self.file = file
        self.path = path
        self.hasher = hashlib.sha256()
        self.size = 0
        self.committed = False
        self._lock = threading.Lock()
        self._closed = False

    def write_chunks(self, chunks: Iterable[bytes | bytearray | memoryview]) -> None:
        with self._lock:
            if self._closed:
                raise RuntimeError("write to a discarded temp file")
            for chunk in chunks:
                view = memoryview(chunk).cast("B")
                for offset in range(0, len(view), CHUNK_SIZE):
                    piece = view[offset : offset + CHUNK_SIZE]
                    self.hasher.update(piece)
                    self.file.write(piece)
                    self.size += len(piece)

    def finish(self) -> os.stat_result:
        """Flush and fsync; the file stays on disk, closed, ready to be renamed."""
        with self._lock:
            self.file.flush()
            os.fsync(self.file.fileno())
            result = os.fstat(self.file.fileno())
            self.file.close()
            self._closed = True
            return result

    def discard(self) -> None:
        with self._lock:
            self._closed = True
            with contextlib.suppress(OSError):
                self.file.close()
            if not self.committed:  # once renamed, the temp name may belong to another put
                with contextlib.suppress(OSError):
                    self.path.unlink()


def _outage(exc: OSError, root: Path) -> ComponentUnavailable | None:
    reason = _OUTAGE_REASONS.get(exc.errno or 0)
    if reason is None:
        return None
    if exc.errno in (errno.ENOENT, errno.ENOTDIR) and root.is_dir():
        return None  # a missing key or parent, not a missing store
    return ComponentUnavailable(COMPONENT, reason)


def _identity(st: os.stat_result) -> dict[str, int]:
    return {"size": st.st_size, "dev": st.st_dev, "ino": st.st_ino, "mtime_ns": st.st_mtime_ns}


class LocalBlobStore:
    """`BlobStore` on a directory; `root` is created when missing."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root).absolute()
        self._tmp = self.root / _TMP_DIR
        self._meta = self.root / _META_DIR
        self._tmp.mkdir(parents=True, exist_ok=True)
        self._meta.mkdir(exist_ok=True)
        self._remove_stale_temps()

    # -- paths -----------------------------------------------------------------------------

    def path_for(self, key: str) -> Path:
        """Where the object for `key` lives (it may not exist); validates the key."""
        validate_key(key)
        return self.root.joinpath(*key.split("/"))

    def _meta_path(self, key: str) -> Path:
        return self._meta.joinpath(*key.split("/"))

    def _remove_stale_temps(self) -> None:
        """Temp files left by a crash; only old ones, a live process may be writing."""
        cutoff = time.time() - _STALE_TEMP_SECONDS
        with contextlib.suppress(OSError), os.scandir(self._tmp) as entries:
            for entry in entries:
                with contextlib.suppress(OSError):
                    if entry.is_file() and entry.stat().st_mtime < cutoff:
                        os.unlink(entry.path)

    def _raise_for(self, exc: OSError, key: str | None = None) -> None:
        """Translate an OSError into the registry's errors (raises, or returns to re-raise)."""
        if exc.errno == errno.ENAMETOOLONG:
            raise BadRequest(f"Invalid blob key {key!r}: a path segment is too long.") from exc
        outage = _outage(exc, self.root)
        if outage is not None:
            raise outage from exc

    # -- writing ---------------------------------------------------------------------------

    def _create_temp(self) -> _TempWriter:
        fd, name = tempfile.mkstemp(prefix="put-", dir=self._tmp)
        return _TempWriter(os.fdopen(fd, "wb", buffering=0), Path(name))

    async def put(
        self,
        key: str,
        data: bytes | AsyncIterable[bytes],
        *,
        content_type: str = DEFAULT_CONTENT_TYPE,
    ) -> BlobInfo:
        validate_key(key)
        try:
            writer = await asyncio.to_thread(self._create_temp)
        except OSError as exc:
            self._raise_for(exc, key)
            raise
        try:
            if isinstance(data, bytes | bytearray | memoryview):
                await asyncio.to_thread(writer.write_chunks, [data])
            else:
                pending: list[bytes] = []
                pending_size = 0
                async for chunk in data:
                    if not chunk:
                        continue
                    pending.append(chunk)
                    pending_size += len(chunk)
                    if pending_size >= CHUNK_SIZE:
                        await asyncio.to_thread(writer.write_chunks, pending)
                        pending, pending_size = [], 0
                if pending:
                    await asyncio.to_thread(writer.write_chunks, pending)
            return await asyncio.to_thread(self._commit, writer, key, content_type)
        except BaseException as exc:
            await asyncio.to_thread(writer.discard)
            if isinstance(exc, OSError):
                self._raise_for(exc, key)
            raise

    def _commit(self, writer: _TempWriter, key: str, content_type: str) -> BlobInfo:
        st = writer.finish()
        info = BlobInfo(
            key=key, size=writer.size, sha256=writer.hasher.hexdigest(), content_type=content_type
        )
        target = self.path_for(key)
        # A concurrent delete may prune the freshly created parent: retry a few times.
        for attempt in range(5):
            try:
                target.parent.mkdir(parents=True, exist_ok=True)
                # The sidecar first: it names the temp file's inode, which the rename keeps,
                # so it is valid the moment the object appears and never before.
                self._write_meta(key, info, st)
                os.replace(writer.path, target)
                writer.committed = True
                break
            except (FileExistsError, NotADirectoryError, IsADirectoryError) as exc:
                raise Conflict(
                    f"Cannot store {key!r}: it clashes with an existing object or folder."
                ) from exc
            except FileNotFoundError:
                if attempt == 4 or not writer.path.exists():
                    raise
        self._fsync_dir(target.parent)
        return info

    @staticmethod
    def _fsync_dir(path: Path) -> None:
        with contextlib.suppress(OSError):
            fd = os.open(path, os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)

    def _write_meta(self, key: str, info: BlobInfo, st: os.stat_result) -> None:
        """Atomically write the sidecar; a sidecar that cannot be placed is skipped."""
        body = {
            "v": _META_VERSION,
            "sha256": info.sha256,
            "content_type": info.content_type,
            **_identity(st),
        }
        meta_path = self._meta_path(key)
        fd, name = tempfile.mkstemp(prefix="meta-", dir=self._tmp)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                json.dump(body, handle)
            try:
                meta_path.parent.mkdir(parents=True, exist_ok=True)
                os.replace(name, meta_path)
            except (FileExistsError, NotADirectoryError, IsADirectoryError):
                # A stale sidecar tree in the way: stat will re-hash instead.
                os.unlink(name)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(name)
            raise

    # -- reading ---------------------------------------------------------------------------

    def _read_meta(self, key: str) -> dict[str, Any] | None:
        try:
            with open(self._meta_path(key), encoding="utf-8") as handle:
                meta = json.load(handle)
        except (OSError, ValueError):
            return None
        return meta if isinstance(meta, dict) and meta.get("v") == _META_VERSION else None

    def _not_found(self, key: str) -> Exception:
        if not self.root.is_dir():
            return ComponentUnavailable(COMPONENT, "the storage directory is missing")
        return BlobNotFound(key)

    def _stat_sync(self, key: str) -> BlobInfo:
        path = self.path_for(key)
        try:
            st = os.stat(path)
        except (FileNotFoundError, NotADirectoryError) as exc:
            raise self._not_found(key) from exc
        except OSError as exc:
            self._raise_for(exc, key)
            raise
        if not stat_module.S_ISREG(st.st_mode):
            raise BlobNotFound(key)
        meta = self._read_meta(key)
        if meta is not None and all(meta.get(k) == v for k, v in _identity(st).items()):
            sha = meta.get("sha256")
            content_type = meta.get("content_type")
            if isinstance(sha, str) and isinstance(content_type, str):
                return BlobInfo(
                    key=key,
                    size=st.st_size,
                    sha256=sha,
                    content_type=content_type,
                    modified_at=_mtime(st),
                )
        return self._rehash(key, path, meta)

    def _rehash(self, key: str, path: Path, meta: dict[str, Any] | None) -> BlobInfo:
        """Hash the object again (missing or stale sidecar) and rewrite the sidecar."""
        content_type = DEFAULT_CONTENT_TYPE
        if meta is not None and isinstance(meta.get("content_type"), str):
            content_type = meta["content_type"]
        hasher = hashlib.sha256()
        try:
            with open(path, "rb") as handle:
                # Objects are replaced, never modified in place: the open handle pins one
                # version, and fstat describes exactly the bytes hashed.
                st = os.fstat(handle.fileno())
                while chunk := handle.read(CHUNK_SIZE):
                    hasher.update(chunk)
        except (FileNotFoundError, NotADirectoryError, IsADirectoryError) as exc:
            raise self._not_found(key) from exc
        info = BlobInfo(
            key=key,
            size=st.st_size,
            sha256=hasher.hexdigest(),
            content_type=content_type,
            modified_at=_mtime(st),
        )
        with contextlib.suppress(OSError):
            self._write_meta(key, info, st)
        return info

    async def stat(self, key: str) -> BlobInfo:
        validate_key(key)
        return await asyncio.to_thread(self._stat_sync, key)

    def _open_file(self, key: str) -> IO[bytes]:
        try:
            return open(self.path_for(key), "rb")  # closed by the caller
        except (FileNotFoundError, NotADirectoryError, IsADirectoryError) as exc:
            raise self._not_found(key) from exc
        except OSError as exc:
            self._raise_for(exc, key)
            raise

    def open(self, key: str, start: int = 0, end: int | None = None) -> AsyncIterator[bytes]:
        validate_key(key)
        if start < 0 or (end is not None and end < 0):
            raise BadRequest("A byte range cannot start or end before the first byte.")
        return self._stream(key, start, end)

    async def _stream(self, key: str, start: int, end: int | None) -> AsyncIterator[bytes]:
        handle = await asyncio.to_thread(self._open_file, key)
        try:
            remaining = None if end is None else max(0, end - start)
            if remaining == 0:
                return
            await asyncio.to_thread(handle.seek, start)
            while remaining is None or remaining > 0:
                size = CHUNK_SIZE if remaining is None else min(CHUNK_SIZE, remaining)
                chunk = await asyncio.to_thread(handle.read, size)
                if not chunk:
                    break
                if remaining is not None:
                    remaining -= len(chunk)
                yield chunk
        finally:
            handle.close()

    def _read_sync(self, key: str) -> bytes:
        with self._open_file(key) as handle:
            return handle.read()

    async def read(self, key: str) -> bytes:
        validate_key(key)
        return await asyncio.to_thread(self._read_sync, key)

    def _exists_sync(self, key: str) -> bool:
        if self.path_for(key).is_file():
            return True
        if not self.root.is_dir():
            raise ComponentUnavailable(COMPONENT, "the storage directory is missing")
        return False

    async def exists(self, key: str) -> bool:
        validate_key(key)
        return await asyncio.to_thread(self._exists_sync, key)

    # -- listing and deleting --------------------------------------------------------------

    def _matching_keys(self, prefix: str) -> list[str]:
        """Keys of regular files starting with `prefix`, sorted, reserved names excluded."""
        directories = validate_prefix(prefix)
        if not self.root.is_dir():
            raise ComponentUnavailable(COMPONENT, "the storage directory is missing")
        base = self.root.joinpath(*directories)
        partial = prefix.rsplit("/", 1)[-1] if prefix else ""
        keys: list[str] = []
        for current, dirnames, filenames in os.walk(base):
            here = Path(current)
            at_base = here == base
            if here == self.root:
                dirnames[:] = [d for d in dirnames if not d.startswith(".")]
                filenames = [f for f in filenames if not f.startswith(".")]
            if at_base:
                dirnames[:] = [d for d in dirnames if d.startswith(partial)]
                filenames = [f for f in filenames if f.startswith(partial)]
            rel_dir = here.relative_to(self.root).as_posix()
            for name in filenames:
                if not (here / name).is_file() or (here / name).is_symlink():
                    continue
                key = name if rel_dir == "." else f"{rel_dir}/{name}"
                if key.startswith(prefix):
                    keys.append(key)
        keys.sort()
        return keys

    def _list_sync(self, prefix: str) -> list[BlobInfo]:
        infos = []
        for key in self._matching_keys(prefix):
            try:
                infos.append(self._stat_sync(key))
            except BlobNotFound:
                continue  # deleted while listing
        return infos

    async def list(self, prefix: str = "") -> list[BlobInfo]:
        return await asyncio.to_thread(self._list_sync, prefix)

    def _prune(self, directory: Path, top: Path) -> None:
        """Remove empty folders from `directory` up to (not including) `top`."""
        while directory != top and top in directory.parents:
            try:
                directory.rmdir()
            except OSError:
                return
            directory = directory.parent

    def _delete_sync(self, key: str) -> bool:
        path = self.path_for(key)
        removed = False
        try:
            if stat_module.S_ISREG(os.lstat(path).st_mode):
                os.unlink(path)
                removed = True
        except (FileNotFoundError, NotADirectoryError):
            pass
        except OSError as exc:
            self._raise_for(exc, key)
            raise
        meta_path = self._meta_path(key)
        with contextlib.suppress(FileNotFoundError, NotADirectoryError, IsADirectoryError):
            os.unlink(meta_path)
        self._prune(path.parent, self.root)
        self._prune(meta_path.parent, self._meta)
        return removed

    async def delete(self, key: str) -> None:
        validate_key(key)
        await asyncio.to_thread(self._delete_sync, key)

    def _delete_prefix_sync(self, prefix: str) -> int:
        return sum(1 for key in self._matching_keys(prefix) if self._delete_sync(key))

    async def delete_prefix(self, prefix: str) -> int:
        return await asyncio.to_thread(self._delete_prefix_sync, prefix)

    async def presigned_url(
        self, key: str, *, expires_in: int = 300, filename: str | None = None
    ) -> str | None:
        validate_key(key)
        return None

    # -- health ----------------------------------------------------------------------------

    def _check_sync(self) -> None:
        if not self.root.is_dir():
            raise ComponentUnavailable(COMPONENT, "the storage directory is missing")
        try:
            self._tmp.mkdir(exist_ok=True)
            if shutil.disk_usage(self.root).free < _MIN_FREE_BYTES:
                raise ComponentUnavailable(COMPONENT, "the disk is full")
            fd, name = tempfile.mkstemp(prefix="check-", dir=self._tmp)
            try:
                os.write(fd, b"ok")
                os.fsync(fd)
            finally:
                os.close(fd)
                os.unlink(name)
        except OSError as exc:
            outage = _outage(exc, self.root)
            reason = f"storage error: {exc.strerror}"
            raise outage or ComponentUnavailable(COMPONENT, reason) from exc

    async def start(self) -> None:
        await asyncio.to_thread(self.root.mkdir, parents=True, exist_ok=True)

    async def check(self) -> None:
        await asyncio.to_thread(self._check_sync)

    async def close(self) -> None:
        return None


def _mtime(st: os.stat_result) -> datetime:
    return datetime.fromtimestamp(st.st_mtime, UTC)
