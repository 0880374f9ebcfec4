"""Unsafe-weights scanning: planted imports are found, benign weights pass, limits hold."""

from __future__ import annotations

import hashlib
import io
import pickle
import random
import zipfile
from pathlib import Path

from registry_ingest.scanning.bundle import (
    SCANNER_NAME,
    ScanLimits,
    WeightsScan,
    refusal,
    scan_files,
)
from registry_ingest.sources.model import FetchedFile, classify_file
from tests.fakes.pickles import (
    benign_state_dict_pickle,
    eval_pickle_protocol0,
    os_system_pickle,
    plain_data_pickle,
    torch_zip_archive,
)

LIMITS = ScanLimits(max_file_bytes=64 * 1024 * 1024, budget_seconds=30.0)


def _scan(tmp_path: Path, content: dict[str, bytes], limits: ScanLimits = LIMITS) -> WeightsScan:
    files = []
    for path, data in content.items():
        local = tmp_path / path
        local.parent.mkdir(parents=True, exist_ok=True)
        local.write_bytes(data)
        digest = hashlib.sha256(data).hexdigest()
        files.append(FetchedFile(path, len(data), digest, local, classify_file(path)))
    return scan_files(files, limits)


def _npy(descr: str, body: bytes) -> bytes:
    header = f"{{'descr': {descr!r}, 'fortran_order': False, 'shape': (2,), }}".encode()
    header = header.ljust(118) + b"\n"
    return b"\x93NUMPY\x01\x00" + len(header).to_bytes(2, "little") + header + body


def _legacy_torch(objects: bytes, tail: bytes) -> bytes:
    """torch.save's pre-1.6 layout: magic, protocol, sys info, the object, storage keys,
    then raw tensor bytes."""
    magic = pickle.dumps(0x1950A86A20F9469CFC6C, protocol=2)
    return (
        magic
        + pickle.dumps(1001, protocol=2)
        + pickle.dumps({"little_endian": True}, protocol=2)
        + objects
        + pickle.dumps(["0"], protocol=2)
        + tail
    )


def test_planted_os_system_pickle_is_unsafe_and_named(tmp_path: Path) -> None:
    scan = _scan(tmp_path, {"pytorch_model.bin": os_system_pickle(), "README.md": b"# hi"})

    assert scan.verdict == "unsafe"
    [found] = scan.files
    assert (found.path, found.status, found.imports) == (
        "pytorch_model.bin",
        "unsafe",
        ["os.system"],
    )
    assert found.dangerous == ["os.system"]
    assert scan.summary() == "os.system in pytorch_model.bin"
    body = scan.as_json()
    assert body["scanner"]["name"] == SCANNER_NAME
    assert body["scanner"]["version"]


def test_protocol_0_global_is_found(tmp_path: Path) -> None:
    scan = _scan(tmp_path, {"model.pkl": eval_pickle_protocol0()})

    assert scan.verdict == "unsafe"
    assert scan.files[0].imports == ["builtins.eval"]


def test_torch_zip_archive_with_malicious_data_pkl(tmp_path: Path) -> None:
    scan = _scan(tmp_path, {"model.pt": torch_zip_archive(os_system_pickle("id"))})

    assert scan.verdict == "unsafe"
    assert scan.files[0].imports == ["os.system"]


def test_pickle_inside_a_dataset_zip(tmp_path: Path) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("nested/labels.pkl", eval_pickle_protocol0())
        archive.writestr("nested/readme.txt", b"text")
    scan = _scan(tmp_path, {"data/archive.zip": buffer.getvalue()})

    assert scan.verdict == "unsafe"
    assert scan.files[0].path == "data/archive.zip"
    assert scan.files[0].imports == ["builtins.eval"]


def test_benign_weights_are_safe(tmp_path: Path) -> None:
    scan = _scan(
        tmp_path,
        {
            "pytorch_model.bin": torch_zip_archive(benign_state_dict_pickle()),
            "legacy.pth": _legacy_torch(benign_state_dict_pickle(), b"cos\nsystem\n" * 8),
            "labels.pickle": plain_data_pickle(),
            "model.safetensors": b"{}",
        },
    )

    assert scan.verdict == "safe", scan.as_json()
    assert [(f.path, f.status) for f in scan.files] == [
        ("labels.pickle", "safe"),
        ("legacy.pth", "safe"),
        ("pytorch_model.bin", "safe"),
    ]
    assert scan.reason is None


def test_legacy_torch_file_with_planted_object_is_unsafe(tmp_path: Path) -> None:
    scan = _scan(tmp_path, {"old.bin": _legacy_torch(os_system_pickle(), b"\x00" * 64)})

    assert scan.verdict == "unsafe"
    assert scan.files[0].imports == ["os.system"]


def test_npy_object_arrays_are_scanned_and_plain_ones_are_not_pickles(tmp_path: Path) -> None:
    scan = _scan(
        tmp_path,
        {"objects.npy": _npy("|O", os_system_pickle()), "numbers.npy": _npy("<f4", b"\0" * 8)},
    )

    assert scan.verdict == "unsafe"
    assert [f.path for f in scan.files] == ["objects.npy"]


def test_a_bundle_without_pickles_is_not_scanned_and_says_why(tmp_path: Path) -> None:
    scan = _scan(
        tmp_path,
        {"model.safetensors": b"{}", "README.md": b"# card", "ggml-model.bin": b"lmgg\x01\x02"},
    )

    assert scan.verdict == "not_scanned"
    assert scan.files == []
    assert scan.reason == "no pickle-based files in the bundle"


def test_a_file_over_the_byte_cap_is_not_scanned(tmp_path: Path) -> None:
    big = pickle.dumps(list(range(5000)), protocol=4)
    scan = _scan(tmp_path, {"big.pkl": big}, ScanLimits(max_file_bytes=1024, budget_seconds=30.0))

    assert scan.verdict == "not_scanned"
    assert scan.files[0].status == "not_scanned"
    assert scan.files[0].reason == "too large: more than 1 KiB of pickle data"
    assert "big.pkl: too large" in (scan.reason or "")


def test_an_import_found_before_the_cap_still_makes_the_file_unsafe(tmp_path: Path) -> None:
    data = os_system_pickle() + b"\x80\x04" + b"]0" * 4096 + b"N."
    scan = _scan(tmp_path, {"a.pkl": data}, ScanLimits(max_file_bytes=512, budget_seconds=30.0))

    assert scan.verdict == "unsafe"


def test_an_exhausted_time_budget_is_not_scanned(tmp_path: Path) -> None:
    scan = _scan(
        tmp_path,
        {"a.pkl": plain_data_pickle(), "b.pkl": plain_data_pickle()},
        ScanLimits(max_file_bytes=1024 * 1024, budget_seconds=1e-9),
    )

    assert scan.verdict == "not_scanned"
    assert {f.reason for f in scan.files} == {"the scan's time budget ran out"}


def test_unresolvable_stack_global_counts_as_unsafe(tmp_path: Path) -> None:
    # STACK_GLOBAL whose operands are numbers, not names: the scanner cannot tell what it
    # imports, so it must not call the file safe.
    data = b"\x80\x04K\x01K\x02\x93)R."
    scan = _scan(tmp_path, {"odd.pkl": data})

    assert scan.verdict == "unsafe"
    assert scan.files[0].imports == ["?.?"]


def test_a_truncated_pickle_with_no_imports_is_not_scanned(tmp_path: Path) -> None:
    scan = _scan(tmp_path, {"cut.pkl": plain_data_pickle()[:-6]})

    assert scan.verdict == "not_scanned"
    assert (scan.files[0].reason or "").startswith("not a readable pickle")


def test_refusal_names_files_and_imports(tmp_path: Path) -> None:
    scan = _scan(
        tmp_path,
        {"pytorch_model.bin": os_system_pickle(), "extra.pkl": eval_pickle_protocol0()},
    )

    error = refusal(scan)
    assert error.status == 400
    assert error.code == "unsafe_weights"
    assert "os.system in pytorch_model.bin" in error.message
    assert "builtins.eval in extra.pkl" in error.message
    assert error.details["files"] == [
        {"path": "extra.pkl", "imports": ["builtins.eval"]},
        {"path": "pytorch_model.bin", "imports": ["os.system"]},
    ]


def test_binary_weights_that_are_not_pickles_are_never_called_unsafe(tmp_path: Path) -> None:
    # Quantised or compressed weights look random: now and then their first bytes decode as
    # a few opcodes (even a STACK_GLOBAL over numbers) before failing. That is not a pickle.
    chance = random.Random(15)
    content = {f"shard-{i}.bin": chance.randbytes(4096) for i in range(400)}
    scan = _scan(tmp_path, content)

    assert [f.path for f in scan.files if f.status == "unsafe"] == []
    # Only files starting with PROTO (1 in 256) claim to be pickles and are reported unreadable.
    assert len(scan.files) < 10


def test_a_protocol_0_pickle_followed_by_junk_is_still_unsafe(tmp_path: Path) -> None:
    scan = _scan(tmp_path, {"model.bin": eval_pickle_protocol0() + b"\x00\x13junk" * 100})

    assert scan.verdict == "unsafe"
    assert scan.files[0].imports == ["builtins.eval"]


def test_a_damaged_torch_archive_still_reports_what_its_pickle_imports(tmp_path: Path) -> None:
    # A wrong CRC does not stop loaders that never check it, so it must not stop the scan.
    archive = bytearray(torch_zip_archive(os_system_pickle()))
    local = archive.index(b"PK\x03\x04")
    central = archive.index(b"PK\x01\x02")
    archive[local + 14 : local + 18] = b"\0\0\0\0"
    archive[central + 16 : central + 20] = b"\0\0\0\0"
    scan = _scan(tmp_path, {"model.pt": bytes(archive)})

    assert scan.verdict == "unsafe"
    assert scan.files[0].imports == ["os.system"]


def test_a_truncated_archive_entry_is_not_scanned(tmp_path: Path) -> None:
    whole = torch_zip_archive(benign_state_dict_pickle())
    cut = whole.index(b"PK\x03\x04", 4)  # the second entry: the first one's data ends before it
    broken = whole[: cut - 40] + whole[cut:]
    scan = _scan(tmp_path, {"model.pt": broken})

    assert scan.verdict == "not_scanned"
    assert "unreadable" in (scan.files[0].reason or "")
