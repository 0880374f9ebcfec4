"""Safe zip extraction, shared by user uploads (strict) and GitHub archives (lenient).

Nothing in a zip is trusted: names are checked before anything is written (absolute paths,
``..``, backslashes, drive letters, symlinks, encrypted or duplicate entries), and sizes are
counted while extracting instead of believed from the headers, so a zip bomb stops at the limit.
"""

from __future__ import annotations

import hashlib
import re
import shutil
import stat
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO, Final, Literal

from registry_common.errors import BadRequest
from registry_ingest.sources.model import human_bytes

CHUNK: Final = 1024 * 1024
MAX_PATH_CHARS: Final = 1024
_DRIVE = re.compile(r"^[A-Za-z]:")
_IGNORED_TOP: Final = frozenset({"__MACOSX"})
_IGNORED_NAMES: Final = frozenset({".DS_Store", "Thumbs.db"})


@dataclass(frozen=True)
class UploadLimits:
    """Bounds on a zip: its own size, how many files it holds, their unpacked bytes, and how
    much they may expand (`max_ratio`, per entry and for the whole zip; an entry or a zip that
    unpacks to at most `ratio_exempt_bytes` may expand as it likes: small text compresses well).
    Model weights barely compress (~1.1:1), text and JSON ~10:1; 100:1 is a bomb."""

    max_bytes: int = 2 * 1024**3
    max_files: int = 10_000
    max_uncompressed_bytes: int = 8 * 1024**3
    max_ratio: float = 100.0
    ratio_exempt_bytes: int = 1024**2


class ArchiveRejected(BadRequest):
    """The zip is unsafe or malformed: nothing of it is kept."""


class ArchiveTooLarge(ArchiveRejected):
    """The zip is well-formed but exceeds a limit (size, file count, unpacked bytes or
    compression ratio)."""

    status = 413
    code = "too_large"


@dataclass(frozen=True)
class ExtractedFile:
    path: str  # POSIX, relative to the extracted root
    size: int
    sha256: str
    local_path: Path


@dataclass
class Extraction:
    files: list[ExtractedFile] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # sentences, lenient mode only
    comment: str = ""
    top_folder: str | None = None


def extract_zip(
    zip_path: Path | BinaryIO,
    dest: Path,
    limits: UploadLimits,
    *,
    strict: bool = True,
    strip_top: Literal["single", "always"] = "single",
    label: str = "The zip",
) -> Extraction:
    """Extract ``zip_path`` into ``dest``; see the module docstring for the checks.

    ``strict``: any unsafe entry rejects the whole zip (uploads); otherwise such entries are
    skipped and described in ``Extraction.skipped`` (GitHub archives hold symlinks now and
    then). Limits are enforced in both modes with `ArchiveTooLarge`.
    ``strip_top``: ``single`` strips one top folder when every file sits inside it (people zip a
    folder); ``always`` strips the first segment of every path (GitHub's ``owner-repo-sha/``).
    """
    size = zip_size(zip_path)
    if size > limits.max_bytes:
        raise ArchiveTooLarge(
            f"{label} is {human_bytes(size)}; the limit is {human_bytes(limits.max_bytes)}."
        )
    try:
        archive = zipfile.ZipFile(zip_path)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError) as exc:
        raise ArchiveRejected(f"{label} is not a zip archive or is damaged ({exc}).") from exc
    with archive:
        result = Extraction(comment=archive.comment.decode("utf-8", errors="replace"))
        entries = _checked_entries(archive, size, limits, strict=strict, label=label, result=result)
        entries = _relocate(entries, strip_top, result)
        dest.mkdir(parents=True, exist_ok=True)
        budget = [limits.max_uncompressed_bytes]
        for path, info in entries:
            result.files.append(_extract_one(archive, info, path, dest, budget, limits, label))
    return result


def zip_size(zip_file: Path | BinaryIO) -> int:
    """The size of a zip on disk, or of an open (seekable) one such as a spooled upload."""
    if isinstance(zip_file, Path):
        return zip_file.stat().st_size
    zip_file.seek(0, 2)
    size = zip_file.tell()
    zip_file.seek(0)
    return size


def _checked_entries(
    archive: zipfile.ZipFile,
    size: int,
    limits: UploadLimits,
    *,
    strict: bool,
    label: str,
    result: Extraction,
) -> list[tuple[str, zipfile.ZipInfo]]:
    entries: list[tuple[str, zipfile.ZipInfo]] = []
    seen: set[str] = set()
    declared = 0
    for info in archive.infolist():
        name = info.filename
        problem = _problem(info)
        if problem is not None:
            if strict:
                raise ArchiveRejected(f"{label} was refused: entry '{_show(name)}' {problem}.")
            result.skipped.append(f"'{_show(name)}' was skipped: it {problem}.")
            continue
        parts = [p for p in name.split("/") if p not in ("", ".")]
        if not parts or parts[0] in _IGNORED_TOP or parts[-1] in _IGNORED_NAMES:
            continue
        path = "/".join(parts)
        if path in seen:
            if strict:
                raise ArchiveRejected(f"{label} was refused: '{_show(path)}' appears twice.")
            result.skipped.append(f"A second copy of '{_show(path)}' was skipped.")
            continue
        seen.add(path)
        if info.is_dir():
            continue
        entries.append((path, info))
        declared += info.file_size
        if len(entries) > limits.max_files:
            raise ArchiveTooLarge(
                f"{label} holds more than {limits.max_files} files, the most the registry accepts."
            )
    if declared > limits.max_uncompressed_bytes:
        raise ArchiveTooLarge(
            f"{label} unpacks to {human_bytes(declared)}; the limit is "
            f"{human_bytes(limits.max_uncompressed_bytes)}."
        )
    for path, info in entries:
        _check_ratio(info.file_size, info.compress_size, limits, f"{label}'s '{_show(path)}'")
    _check_ratio(declared, size, limits, label)
    return entries


def _check_ratio(unpacked: int, packed: int, limits: UploadLimits, what: str) -> None:
    """Refuse what expands more than `limits.max_ratio` times (a zip bomb, or an honest zip of
    zeros that would cost 1,000 times its size to store), unless it unpacks to little. The
    declared sizes can be trusted here: extraction stops an entry that writes more."""
    if unpacked <= limits.ratio_exempt_bytes:
        return
    if unpacked > limits.max_ratio * max(packed, 1):
        raise ArchiveTooLarge(
            f"{what} expands from {human_bytes(packed)} to {human_bytes(unpacked)}, more than "
            f"{limits.max_ratio:g} times; the registry refuses such compression ratios (zip "
            "bombs). Store the content uncompressed or in a less compressible form."
        )


def _problem(info: zipfile.ZipInfo) -> str | None:
    name = info.filename
    if not name:
        return "has an empty name"
    if len(name) > MAX_PATH_CHARS:
        return f"has a path longer than {MAX_PATH_CHARS} characters"
    if "\\" in name:
        return "uses backslashes in its path"
    if name.startswith("/"):
        return "has an absolute path"
    if _DRIVE.match(name):
        return "starts with a drive letter"
    if any(part == ".." for part in name.split("/")):
        return "climbs out of the archive with '..'"
    if any(ord(ch) < 32 for ch in name):
        return "has control characters in its name"
    if stat.S_ISLNK(info.external_attr >> 16):
        return "is a symbolic link"
    if info.flag_bits & 0x1:
        return "is encrypted"
    return None


def _relocate(
    entries: list[tuple[str, zipfile.ZipInfo]],
    strip_top: str,
    result: Extraction,
) -> list[tuple[str, zipfile.ZipInfo]]:
    tops = {path.split("/", 1)[0] for path, _ in entries}
    nested = all("/" in path for path, _ in entries)
    if len(tops) == 1 and entries and (nested or strip_top == "always"):
        top = next(iter(tops))
        if nested:
            result.top_folder = top
            entries = [(path.split("/", 1)[1], info) for path, info in entries]
    return entries


def _extract_one(
    archive: zipfile.ZipFile,
    info: zipfile.ZipInfo,
    path: str,
    dest: Path,
    budget: list[int],
    limits: UploadLimits,
    label: str,
) -> ExtractedFile:
    target = dest.joinpath(*path.split("/"))
    root = dest.resolve()
    if not target.resolve().is_relative_to(root):  # belt and braces after the name checks
        raise ArchiveRejected(f"{label} was refused: '{_show(path)}' escapes the archive.")
    digest = hashlib.sha256()
    written = 0
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        with archive.open(info) as source, target.open("wb") as sink:
            while chunk := source.read(CHUNK):
                written += len(chunk)
                budget[0] -= len(chunk)
                if budget[0] < 0:
                    raise ArchiveTooLarge(
                        f"{label} unpacks to more than "
                        f"{human_bytes(limits.max_uncompressed_bytes)}, the limit."
                    )
                if written > info.file_size:
                    raise ArchiveRejected(
                        f"{label} was refused: '{_show(path)}' holds more bytes than its "
                        "header declares."
                    )
                digest.update(chunk)
                sink.write(chunk)
    except ArchiveRejected:
        shutil.rmtree(dest, ignore_errors=True)
        raise
    except (zipfile.BadZipFile, zlib.error, EOFError) as exc:
        shutil.rmtree(dest, ignore_errors=True)
        raise ArchiveRejected(f"{label} is damaged: '{_show(path)}' ({exc}).") from exc
    except NotImplementedError as exc:
        shutil.rmtree(dest, ignore_errors=True)
        raise ArchiveRejected(
            f"{label} uses a compression method the registry cannot read ('{_show(path)}')."
        ) from exc
    except (IsADirectoryError, NotADirectoryError, FileExistsError) as exc:
        shutil.rmtree(dest, ignore_errors=True)
        raise ArchiveRejected(
            f"{label} was refused: '{_show(path)}' is both a file and a folder."
        ) from exc
    return ExtractedFile(path=path, size=written, sha256=digest.hexdigest(), local_path=target)


def _show(name: str) -> str:
    clean = "".join(ch if ch.isprintable() else "?" for ch in name)
    return clean if len(clean) <= 120 else clean[:117] + "..."
