"""Unsafe-weights scanning of a fetched source, before its bundle is stored (issue 15.4).

Every pickle-based file that goes into the bundle is read as opcodes (never unpickled) and
its imports are checked against the allow-list: raw pickles (`.pkl`, `.pickle`, `.joblib`,
legacy `.bin`/`.pt`/`.pth`/`.ckpt`), PyTorch zip archives (`archive/data.pkl`), pickles
inside any zip (`.zip`, `.npz`), and `.npy` arrays of Python objects. The work is bounded:
a per-file cap on the pickle bytes read and one time budget for the whole source; a file
stopped by either, or unreadable, is `not_scanned` with the reason, never `safe`.

The verdict: `unsafe` if any file imports something outside the allow-list; `safe` when at
least one pickle-based file was found and every one was scanned clean; else `not_scanned`
(no pickle-based files, or some could not be scanned).
"""

from __future__ import annotations

import ast
import struct
import time
import zipfile
import zlib
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from typing import IO, Any, Final, Literal

from registry_common.errors import BadRequest
from registry_ingest.scanning.allowlist import ALLOWLIST_VERSION, is_dangerous, is_safe
from registry_ingest.scanning.opcodes import UNRESOLVED, BoundedReader, LimitReached, scan_stream
from registry_ingest.sources.model import FetchedFile, human_bytes

SCANNER_NAME: Final = "registry-pickle-opcodes"
SCANNER_VERSION: Final = f"1.0 (allow-list {ALLOWLIST_VERSION})"
PICKLE_SUFFIXES: Final = frozenset(
    {".bin", ".pt", ".pth", ".ckpt", ".pkl", ".pickle", ".joblib", ".npy"}
)
# Formats that are nothing but pickle; the others (.bin, .pt, ...) are pickles only when
# their bytes say so (a GGML .bin is not).
PICKLE_ONLY_SUFFIXES: Final = frozenset({".pkl", ".pickle", ".joblib"})
ARCHIVE_SUFFIXES: Final = frozenset({".zip", ".npz"})
_ZIP_MAGIC: Final = b"PK\x03\x04"
_NPY_MAGIC: Final = b"\x93NUMPY"
_MAX_NPY_HEADER: Final = 1024 * 1024
_NOISE_BYTES: Final = 4096

Verdict = Literal["safe", "unsafe", "not_scanned"]


@dataclass(frozen=True)
class ScanLimits:
    max_file_bytes: int  # pickle bytes read per file (inside a zip: per pickle entry)
    budget_seconds: float  # for the whole source


@dataclass
class FileScan:
    path: str
    status: Verdict
    imports: list[str] = field(default_factory=list)  # the offending ones, sorted
    dangerous: list[str] = field(default_factory=list)  # the subset known to run code
    reason: str | None = None

    def as_json(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "status": self.status,
            "imports": self.imports,
            "dangerous": self.dangerous,
            "reason": self.reason,
        }


@dataclass(frozen=True)
class WeightsScan:
    verdict: Verdict
    reason: str | None
    files: list[FileScan]
    scanned_at: datetime

    @property
    def unsafe_files(self) -> list[FileScan]:
        return [f for f in self.files if f.status == "unsafe"]

    def as_json(self) -> dict[str, Any]:
        return {
            "verdict": self.verdict,
            "reason": self.reason,
            "scanner": {"name": SCANNER_NAME, "version": SCANNER_VERSION},
            "scanned_at": self.scanned_at.isoformat(),
            "files": [f.as_json() for f in self.files],
        }

    def summary(self) -> str:
        """`os.system in pytorch_model.bin; builtins.eval in a.pkl` for messages."""
        return "; ".join(f"{', '.join(f.imports)} in {f.path}" for f in self.unsafe_files)


def refusal(scan: WeightsScan) -> BadRequest:
    """The error of the `refuse` policy: names every unsafe file and its imports."""
    return BadRequest(
        "The artifact was refused: its pickle-based files import outside the registry's "
        f"allow-list ({scan.summary()}), code that would run when the files are loaded. "
        "Nothing was stored. Publish the weights as safetensors, or re-save them holding "
        "only tensors.",
        code="unsafe_weights",
        details={
            "files": [{"path": f.path, "imports": f.imports} for f in scan.unsafe_files],
            "scanner": {"name": SCANNER_NAME, "version": SCANNER_VERSION},
        },
    )


def scan_files(files: list[FetchedFile], limits: ScanLimits) -> WeightsScan:
    """Scan every mirrored pickle-based file of a source (blocking; call it in a thread)."""
    deadline = time.monotonic() + limits.budget_seconds
    results: list[FileScan] = []
    for item in sorted(files, key=lambda f: f.path):
        if item.local_path is None:
            continue  # not mirrored, so not in the bundle
        suffix = PurePosixPath(item.path).suffix.lower()
        if suffix not in PICKLE_SUFFIXES and suffix not in ARCHIVE_SUFFIXES:
            continue
        if time.monotonic() > deadline:
            results.append(
                FileScan(item.path, "not_scanned", reason="the scan's time budget ran out")
            )
            continue
        scanned = _scan_file(item.path, item.local_path, limits, deadline)
        if scanned is not None:
            results.append(scanned)
    return WeightsScan(
        verdict=_verdict(results),
        reason=_reason(results),
        files=results,
        scanned_at=datetime.now(UTC),
    )


def _verdict(results: list[FileScan]) -> Verdict:
    if any(f.status == "unsafe" for f in results):
        return "unsafe"
    if results and all(f.status == "safe" for f in results):
        return "safe"
    return "not_scanned"


def _reason(results: list[FileScan]) -> str | None:
    if not results:
        return "no pickle-based files in the bundle"
    skipped = [f for f in results if f.status == "not_scanned"]
    if any(f.status == "unsafe" for f in results):
        count = sum(1 for f in results if f.status == "unsafe")
        return f"{count} of {len(results)} pickle-based files import outside the allow-list"
    if skipped:
        listed = "; ".join(f"{f.path}: {f.reason}" for f in skipped)
        return f"{len(skipped)} of {len(results)} pickle-based files not scanned ({listed})"
    return None


def _scan_file(path: str, local: Path, limits: ScanLimits, deadline: float) -> FileScan | None:
    """The file's result, or None when it turns out not to be pickle-based."""
    try:
        with local.open("rb") as handle:
            head = handle.read(8)
            handle.seek(0)
            if head.startswith(_ZIP_MAGIC):
                return _scan_zip(path, handle, limits, deadline)
            if PurePosixPath(path).suffix.lower() in ARCHIVE_SUFFIXES:
                return None  # a .zip that is no zip holds no pickles we could reach
            return _scan_single(path, handle, limits, deadline)
    except OSError as exc:
        return FileScan(path, "not_scanned", reason=f"unreadable ({exc.strerror or exc})")


def _scan_single(
    path: str, handle: IO[bytes], limits: ScanLimits, deadline: float
) -> FileScan | None:
    imports: set[str] = set()
    try:
        outcome = _scan_member(path, handle, limits, deadline, imports)
    except LimitReached as stop:
        return _judged(path, imports, not_scanned=stop.reason)
    if outcome == "not_pickle":
        return None
    return _judged(path, imports, not_scanned=outcome)


def _scan_zip(path: str, handle: IO[bytes], limits: ScanLimits, deadline: float) -> FileScan | None:
    imports: set[str] = set()
    problems: list[str] = []
    found = False
    try:
        with zipfile.ZipFile(handle) as archive:
            for info in archive.infolist():
                suffix = PurePosixPath(info.filename).suffix.lower()
                if info.is_dir() or suffix not in PICKLE_SUFFIXES:
                    continue
                if time.monotonic() > deadline:  # many small entries never reach the clock
                    found = True
                    problems.append(f"{info.filename}: the scan's time budget ran out")
                    break
                if info.file_size > limits.max_file_bytes:
                    found = True
                    cap = human_bytes(limits.max_file_bytes)
                    problems.append(f"{info.filename}: too large (over {cap})")
                    continue
                outcome = _scan_entry(archive, info, limits, deadline, imports)
                if outcome == "not_pickle":
                    continue
                found = True
                if outcome is not None:
                    problems.append(f"{info.filename}: {outcome}")
    except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, RuntimeError) as exc:
        return _judged(path, imports, not_scanned=f"unreadable zip ({exc})")
    if not found and not imports:
        return None
    return _judged(path, imports, not_scanned="; ".join(problems) or None)


def _scan_entry(
    archive: zipfile.ZipFile,
    info: zipfile.ZipInfo,
    limits: ScanLimits,
    deadline: float,
    imports: set[str],
) -> str | None:
    """One zip entry, like `_scan_member`; imports found before a damaged entry still count.

    The CRC is not checked: loaders that do not check it (PyTorch's zip reader among them)
    would still unpickle an entry with a wrong one, so a scanner that stopped at the bad CRC
    would be evaded by it (the bypass picklescan's relaxed zip reader closed)."""
    found: set[str] = set()
    try:
        with archive.open(info) as member:
            member._expected_crc = None  # type: ignore[attr-defined]  # CPython: skip the check
            return _scan_member(info.filename, member, limits, deadline, found)
    except LimitReached as stop:
        return stop.reason
    except (zipfile.BadZipFile, EOFError, zlib.error, ValueError, OSError) as exc:
        return f"unreadable ({exc})"
    finally:
        imports |= found


def _scan_member(
    name: str, stream: IO[bytes], limits: ScanLimits, deadline: float, imports: set[str]
) -> str | None:
    """Scan one pickle (or .npy) stream into `imports`. Returns None when it was read to
    the end, "not_pickle" when it is no pickle at all, or why it was not fully read.
    Raises LimitReached."""
    reader = BoundedReader(
        stream,
        max_bytes=limits.max_file_bytes,
        deadline=deadline,
        cap_text=human_bytes(limits.max_file_bytes),
    )
    head = reader.read(len(_NPY_MAGIC))
    claimed = head.startswith(b"\x80") or PurePosixPath(name).suffix.lower() in (
        PICKLE_ONLY_SUFFIXES
    )
    if head == _NPY_MAGIC:
        if not _npy_holds_objects(reader):
            return "not_pickle"  # plain numbers: numpy reads them without pickle
        head, claimed = b"", True
    scan = scan_stream(reader, head=head, into=imports)
    if scan.error is not None:
        # Bytes that neither claim to be a pickle nor decode as one cannot be unpickled
        # either (a GGML .bin): not pickle-based. A broken pickle is reported.
        return "not_pickle" if not claimed and _noise(imports, scan.error_at) else scan.error
    if not claimed and scan.trailing and _noise(imports, 0):
        return "not_pickle"  # a few bytes that happen to decode, then the real format
    return None


def _noise(imports: set[str], error_at: int) -> bool:
    """Whether what a failed, unclaimed stream decoded is chance, not a pickle: random bytes
    (compressed or quantised weights) decode as a few opcodes before failing, now and then a
    STACK_GLOBAL over non-strings, which pickle itself refuses before importing anything. A
    named import, or an unresolved one deep in a stream, is taken seriously."""
    unresolved_only = all(
        name.startswith(UNRESOLVED) or name.endswith(UNRESOLVED) for name in imports
    )
    return unresolved_only and error_at <= _NOISE_BYTES


def _npy_holds_objects(reader: BoundedReader) -> bool:
    """Whether a .npy header (after its magic) declares Python objects, which numpy stores
    as a pickle right after the header. An unreadable header counts as objects: the bytes
    after it are then scanned as a pickle, which either reads or is reported."""
    version = reader.read(2)
    width = 2 if version[:1] == b"\x01" else 4
    size_bytes = reader.read(width)
    if len(version) != 2 or len(size_bytes) != width:
        return True
    (size,) = struct.unpack("<H" if width == 2 else "<I", size_bytes)
    if size > _MAX_NPY_HEADER:
        return True
    try:
        header = ast.literal_eval(reader.read(size).decode("latin-1"))
        descr = header["descr"]
    except (ValueError, SyntaxError, KeyError, TypeError):
        return True
    return "O" in repr(descr)


def _judged(path: str, imports: set[str], *, not_scanned: str | None) -> FileScan:
    offending = sorted(name for name in imports if not is_safe(name))
    if offending:
        dangerous = [name for name in offending if is_dangerous(name)]
        return FileScan(path, "unsafe", imports=offending, dangerous=dangerous)
    if not_scanned is not None:
        return FileScan(path, "not_scanned", reason=not_scanned)
    return FileScan(path, "safe")
