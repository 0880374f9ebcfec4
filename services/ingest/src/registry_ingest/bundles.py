"""Zip bundles of a fetched source: the full bundle and its downloadable parts (R4).

Every zip holds ``manifest.json`` at its root (source, revision, every file with size, sha256,
kind and whether its bytes are inside) and is deterministic: entries sorted by path, fixed
timestamps and permissions, so the same source gives byte-identical zips. Weights and other
already-compressed files are stored, text is deflated; files are streamed in 1 MiB chunks.
"""

from __future__ import annotations

import asyncio
import json
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from registry_ingest.sources.model import FetchedFile, FetchedSource, is_compressed

CHUNK: Final = 1024 * 1024
MANIFEST_NAME: Final = "manifest.json"
MANIFEST_VERSION: Final = 1
FIXED_TIMESTAMP: Final = (1980, 1, 1, 0, 0, 0)
# Part name -> the file kinds it holds ("full" holds everything).
PARTS: Final[dict[str, frozenset[str]]] = {
    "weights": frozenset({"weights"}),
    "config": frozenset({"config", "tokenizer"}),
    "card": frozenset({"card"}),
}
FILE_NAMES: Final = {"full": "bundle.zip", "weights": "weights.zip", "config": "config.zip",
                     "card": "card.zip"}  # fmt: skip


@dataclass(frozen=True)
class Bundle:
    """The zips written for one fetched source."""

    paths: dict[str, Path]  # "full", "weights", "config", "card"
    manifest: dict[str, Any]
    size_bytes: int  # of the full zip
    content_bytes: int  # sum of the declared sizes of every file, mirrored or not

    def part_size(self, part: str) -> int:
        return self.paths[part].stat().st_size


async def build_bundle(fetched: FetchedSource, workdir: Path) -> Bundle:
    """Write ``bundle.zip`` and the part zips into ``workdir/bundle`` (in a thread)."""
    return await asyncio.to_thread(_build, fetched, workdir / "bundle")


def build_manifest(fetched: FetchedSource) -> dict[str, Any]:
    entries = [_entry(f) for f in _ordered(fetched.files)]
    return {
        "manifest_version": MANIFEST_VERSION,
        "source": fetched.ref.url,
        "source_kind": fetched.ref.kind,
        "revision": fetched.revision,
        "files": entries,
        "complete": fetched.complete,
        "notes": list(fetched.notes),
        "file_count": len(entries),
        "declared_bytes": sum(f.size for f in fetched.files),
        "fetched_bytes": sum(f.size for f in fetched.files if f.fetched),
    }


def _build(fetched: FetchedSource, folder: Path) -> Bundle:
    folder.mkdir(parents=True, exist_ok=True)
    files = _ordered(fetched.files)
    manifest = build_manifest(fetched)
    paths: dict[str, Path] = {}
    for part, name in FILE_NAMES.items():
        kinds = PARTS.get(part)
        selected = [f for f in files if kinds is None or f.kind in kinds]
        part_manifest = {**manifest, "part": part}
        paths[part] = folder / name
        _write_zip(paths[part], selected, part_manifest)
    return Bundle(
        paths=paths,
        manifest={**manifest, "part": "full"},
        size_bytes=paths["full"].stat().st_size,
        content_bytes=sum(f.size for f in fetched.files),
    )


def _ordered(files: list[FetchedFile]) -> list[FetchedFile]:
    unique: dict[str, FetchedFile] = {}
    for item in files:
        unique.setdefault(item.path, item)
    return [unique[path] for path in sorted(unique)]


def _entry(item: FetchedFile) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "path": item.path,
        "size": item.size,
        "sha256": item.sha256,
        "kind": item.kind,
        "fetched": item.fetched,
    }
    if item.path == MANIFEST_NAME:
        entry["bundle_path"] = _renamed(item.path)
    return entry


def _renamed(path: str) -> str:
    """Where a source file that collides with our manifest is stored in the zip."""
    return f"source-{path}" if path == MANIFEST_NAME else path


def _write_zip(target: Path, files: list[FetchedFile], manifest: dict[str, Any]) -> None:
    partial = target.with_suffix(".partial")
    with zipfile.ZipFile(partial, "w", allowZip64=True) as archive:
        body = json.dumps(manifest, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
        info = _info(MANIFEST_NAME, zipfile.ZIP_DEFLATED)
        archive.writestr(info, body.encode("utf-8"))
        for item in files:
            if item.local_path is None:
                continue
            stored = is_compressed(item.path, item.kind)
            info = _info(
                _renamed(item.path), zipfile.ZIP_STORED if stored else zipfile.ZIP_DEFLATED
            )
            info.file_size = item.local_path.stat().st_size
            with item.local_path.open("rb") as source, archive.open(info, "w") as sink:
                while chunk := source.read(CHUNK):
                    sink.write(chunk)
    partial.replace(target)


def _info(name: str, method: int) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, date_time=FIXED_TIMESTAMP)
    info.compress_type = method  # deflate at zlib's default level, the same on every run
    info.external_attr = 0o100644 << 16  # regular file, rw-r--r--
    info.create_system = 3  # Unix, so the permission bits mean what they say
    return info
