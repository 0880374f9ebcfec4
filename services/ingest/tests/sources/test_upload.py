"""User zips: a Hugging Face-like layout is read like a repository; unsafe zips are refused."""

from __future__ import annotations

import hashlib
import io
import json
import stat
import struct
import zipfile
from pathlib import Path

import pytest

from registry_common.errors import BadRequest
from registry_ingest.sources.archive import (
    ArchiveRejected,
    ArchiveTooLarge,
    UploadLimits,
    extract_zip,
)
from registry_ingest.sources.fetcher import SourceFetcher

CARD = """\
---
license: mit
base_model: google-bert/bert-base-uncased
datasets: [stanfordnlp/imdb]
---
# Internal classifier

Code: https://github.com/acme/classifier
"""
CONFIG = {"model_type": "bert", "_name_or_path": "google-bert/bert-base-uncased"}
LIMITS = UploadLimits(max_bytes=1024 * 1024, max_files=10, max_uncompressed_bytes=256 * 1024)


def _zip(path: Path, entries: dict[str, bytes | str], prefix: str = "") -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in entries.items():
            archive.writestr(prefix + name, data)
    return path


def _layout() -> dict[str, bytes | str]:
    return {
        "README.md": CARD,
        "config.json": json.dumps(CONFIG),
        "model.safetensors": b"\x00" * 2048,
        "tokenizer.json": "{}",
    }


async def _upload(zip_path: Path, tmp_path: Path, limits: UploadLimits = LIMITS):  # type: ignore[no-untyped-def]
    fetcher = SourceFetcher(max_fetch_bytes=10**6, timeout=5)
    return await fetcher.from_upload(
        zip_path, tmp_path / "work", filename=zip_path.name, limits=limits
    )


async def test_hugging_face_like_zip(tmp_path: Path) -> None:
    zip_path = _zip(tmp_path / "internal-model.zip", _layout())
    source = await _upload(zip_path, tmp_path)
    assert source.ref.kind == "upload"
    assert source.ref.url == "upload://internal-model.zip"
    assert source.ref.default_name == "internal-model"
    assert [(f.path, f.kind) for f in source.files] == [
        ("README.md", "card"),
        ("config.json", "config"),
        ("model.safetensors", "weights"),
        ("tokenizer.json", "tokenizer"),
    ]
    weights = source.files[2]
    assert weights.local_path is not None
    assert weights.sha256 == hashlib.sha256(b"\x00" * 2048).hexdigest()
    assert source.complete is True
    assert source.card_text == CARD
    assert source.card_data["license"] == "mit"
    assert source.config == CONFIG
    assert source.config_error is None
    meta = source.metadata
    assert meta["source_kind"] == "upload"
    assert meta["license"] == "mit"
    assert meta["base_models"] == ["google-bert/bert-base-uncased"]
    assert meta["datasets"] == ["stanfordnlp/imdb"]
    assert meta["linked_code"] == ["https://github.com/acme/classifier"]
    assert meta["upload_sha256"] == hashlib.sha256(zip_path.read_bytes()).hexdigest()
    assert meta["fetched_bytes"] == meta["declared_bytes"] == sum(f.size for f in source.files)
    json.dumps(meta)


async def test_single_top_folder_is_stripped(tmp_path: Path) -> None:
    entries = {**_layout(), "__MACOSX/._README.md": b"junk"}
    zip_path = tmp_path / "folder.zip"
    with zipfile.ZipFile(zip_path, "w") as archive:
        archive.writestr("my-model/", b"")  # an explicit directory entry
        for name, data in _layout().items():
            archive.writestr(f"my-model/{name}", data)
        archive.writestr("__MACOSX/._README.md", entries["__MACOSX/._README.md"])
    source = await _upload(zip_path, tmp_path)
    assert {f.path for f in source.files} == set(_layout())
    assert source.metadata["upload_top_folder"] == "my-model"
    assert source.card_data["license"] == "mit"


async def test_two_top_folders_are_kept(tmp_path: Path) -> None:
    zip_path = _zip(tmp_path / "two.zip", {"a/README.md": "# a", "b/x.py": "print(1)"})
    source = await _upload(zip_path, tmp_path)
    assert [f.path for f in source.files] == ["a/README.md", "b/x.py"]
    assert source.card_text is None  # no README at the root


async def test_malformed_card_and_config_do_not_fail(tmp_path: Path) -> None:
    zip_path = _zip(
        tmp_path / "broken.zip",
        {"README.md": "---\nlicense: [mit\n---\n# x\n", "config.json": "{oops"},
    )
    source = await _upload(zip_path, tmp_path)
    assert source.card_error is not None
    assert source.card_data == {}
    assert source.config is None
    assert source.config_error is not None


async def test_empty_zip_is_accepted_with_a_note(tmp_path: Path) -> None:
    source = await _upload(_zip(tmp_path / "empty.zip", {}), tmp_path)
    assert source.files == []
    assert source.notes == ["The zip holds no files."]


def _raw_entry(name: str, data: bytes = b"x", *, mode: int | None = None):  # type: ignore[no-untyped-def]
    info = zipfile.ZipInfo(name)
    if mode is not None:
        info.external_attr = mode << 16
    return info, data


REJECTED = [
    ("absolute", [_raw_entry("/etc/passwd")], "absolute path"),
    ("parent", [_raw_entry("../../evil.py")], "'..'"),
    ("nested parent", [_raw_entry("model/../../evil.py")], "'..'"),
    ("backslash", [_raw_entry("..\\..\\evil.py")], "backslashes"),
    ("drive letter", [_raw_entry("C:/Windows/evil.dll")], "drive letter"),
    ("symlink", [_raw_entry("link", b"/etc/passwd", mode=stat.S_IFLNK | 0o777)], "symbolic link"),
    ("control chars", [_raw_entry("a\x07b.txt")], "control characters"),
    ("duplicate", [_raw_entry("a.txt"), _raw_entry("./a.txt")], "appears twice"),
    ("file and folder", [_raw_entry("a"), _raw_entry("a/b")], "both a file and a folder"),
]


@pytest.mark.filterwarnings("ignore:Duplicate name")
@pytest.mark.parametrize(("case", "entries", "fragment"), REJECTED, ids=[r[0] for r in REJECTED])
async def test_unsafe_zips_are_refused(
    tmp_path: Path, case: str, entries: list[tuple[zipfile.ZipInfo, bytes]], fragment: str
) -> None:
    zip_path = tmp_path / "bad.zip"
    with zipfile.ZipFile(zip_path, "w") as archive:
        for info, data in entries:
            archive.writestr(info, data)
    with pytest.raises(BadRequest) as caught:
        await _upload(zip_path, tmp_path)
    assert fragment in caught.value.message, case
    assert caught.value.status == 400
    assert not (tmp_path / "outside").exists()


async def test_encrypted_entries_are_refused(tmp_path: Path) -> None:
    data = bytearray(_zip(tmp_path / "plain.zip", {"secret.bin": b"x" * 10}).read_bytes())
    # zipfile cannot write encrypted entries: set bit 0 of the flags in both headers.
    local, central = data.find(b"PK\x03\x04"), data.find(b"PK\x01\x02")
    data[local + 6] |= 0x1
    data[central + 8] |= 0x1
    zip_path = tmp_path / "encrypted.zip"
    zip_path.write_bytes(bytes(data))
    with pytest.raises(BadRequest, match="is encrypted"):
        await _upload(zip_path, tmp_path)


async def test_not_a_zip(tmp_path: Path) -> None:
    path = tmp_path / "model.zip"
    path.write_bytes(b"this is not a zip at all")
    with pytest.raises(BadRequest, match="not a zip archive"):
        await _upload(path, tmp_path)


async def test_too_many_files(tmp_path: Path) -> None:
    zip_path = _zip(tmp_path / "many.zip", {f"f{i}.txt": "x" for i in range(11)})
    with pytest.raises(ArchiveTooLarge, match="more than 10 files"):
        await _upload(zip_path, tmp_path)


async def test_zip_too_large_to_accept(tmp_path: Path) -> None:
    zip_path = _zip(tmp_path / "big.zip", {"a.bin": b"x" * 10})
    limits = UploadLimits(max_bytes=10, max_files=10, max_uncompressed_bytes=100)
    with pytest.raises(ArchiveTooLarge, match="the limit is 10 bytes"):
        await _upload(zip_path, tmp_path, limits)


async def test_zip_bomb_is_refused_from_its_declared_size(tmp_path: Path) -> None:
    # 4 MiB of zeros deflate to a few KB: well under max_bytes, far over the unpacked limit.
    zip_path = _zip(tmp_path / "bomb.zip", {"zeros.bin": b"\x00" * (4 * 1024 * 1024)})
    assert zip_path.stat().st_size < 64 * 1024
    with pytest.raises(ArchiveTooLarge, match="unpacks to 4 MiB"):
        await _upload(zip_path, tmp_path)


def _lying_bomb(path: Path, real_size: int, claimed: int) -> Path:
    """A deflated entry whose headers claim ``claimed`` bytes but which inflates to more."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("zeros.bin", b"\x00" * real_size)
    data = bytearray(buffer.getvalue())
    real = struct.pack("<I", real_size)
    for offset in range(len(data) - 3):  # rewrite the size in the local and central headers
        if data[offset : offset + 4] == real:
            data[offset : offset + 4] = struct.pack("<I", claimed)
    path.write_bytes(bytes(data))
    return path


async def test_zip_bomb_with_lying_headers_is_stopped_while_extracting(tmp_path: Path) -> None:
    zip_path = _lying_bomb(tmp_path / "liar.zip", real_size=1024 * 1024, claimed=1000)
    with pytest.raises(ArchiveRejected):
        await _upload(zip_path, tmp_path)
    extracted = tmp_path / "work" / "upload" / "zeros.bin"
    assert not extracted.exists()  # nothing half-written is left behind


def test_unpacked_bytes_are_counted_not_trusted(tmp_path: Path) -> None:
    """Several honest entries within their headers still stop at the running total."""
    zip_path = _zip(tmp_path / "sum.zip", {f"{i}.bin": b"\x00" * 1000 for i in range(5)})
    limits = UploadLimits(max_bytes=10**6, max_files=10, max_uncompressed_bytes=4500)
    with pytest.raises(ArchiveTooLarge):
        extract_zip(zip_path, tmp_path / "out", limits)


@pytest.mark.filterwarnings("ignore:Duplicate name")
def test_lenient_mode_skips_unsafe_entries(tmp_path: Path) -> None:
    zip_path = tmp_path / "repo.zip"
    with zipfile.ZipFile(zip_path, "w") as archive:
        archive.writestr("owner-repo-abc1234/README.md", "# r")
        link = zipfile.ZipInfo("owner-repo-abc1234/link")
        link.external_attr = (stat.S_IFLNK | 0o777) << 16
        archive.writestr(link, "README.md")
        archive.writestr("owner-repo-abc1234/README.md", "# again")
        archive.comment = b"0" * 40
    result = extract_zip(
        zip_path, tmp_path / "out", LIMITS, strict=False, strip_top="always", label="The archive"
    )
    assert [f.path for f in result.files] == ["README.md"]
    assert len(result.skipped) == 2
    assert "symbolic link" in result.skipped[0]
    assert result.comment == "0" * 40


async def test_an_honest_zip_of_zeros_is_refused_by_its_compression_ratio(tmp_path: Path) -> None:
    """Within every size limit, but 4 MiB from a few KiB: storing it would cost ~1000 times
    what was sent (the 1 MB zip that became 2 GiB stored, issue 13)."""
    zip_path = _zip(tmp_path / "zeros.zip", {"weights.bin": b"\x00" * (4 * 1024 * 1024)})
    roomy = UploadLimits(max_bytes=10**6, max_files=10, max_uncompressed_bytes=10**8)
    with pytest.raises(ArchiveTooLarge, match="more than 100 times") as refused:
        await _upload(zip_path, tmp_path, roomy)
    assert refused.value.status == 413
    assert "'weights.bin' expands from" in refused.value.message
    assert not (tmp_path / "work" / "upload" / "weights.bin").exists()


async def test_a_compressible_entry_within_the_exemption_is_accepted(tmp_path: Path) -> None:
    # 512 KiB of zeros (1000:1) but under the 1 MiB exemption: small text compresses well.
    entries = {**_layout(), "vocab.txt": b"\x00" * (512 * 1024)}
    zip_path = _zip(tmp_path / "ok.zip", entries)
    roomy = UploadLimits(max_bytes=10**6, max_files=10, max_uncompressed_bytes=10**8)
    source = await _upload(zip_path, tmp_path, roomy)
    assert "vocab.txt" in {f.path for f in source.files}


def test_the_whole_zip_is_held_to_the_ratio_too(tmp_path: Path) -> None:
    """Many entries each under the exemption still add up past the ratio."""
    zip_path = _zip(tmp_path / "many.zip", {f"{i}.bin": b"\x00" * (900 * 1024) for i in range(4)})
    roomy = UploadLimits(max_bytes=10**6, max_files=10, max_uncompressed_bytes=10**8)
    with pytest.raises(ArchiveTooLarge, match="The zip expands from"):
        extract_zip(zip_path, tmp_path / "out", roomy)


def test_the_ratio_is_configurable(tmp_path: Path) -> None:
    zip_path = _zip(tmp_path / "zeros.zip", {"weights.bin": b"\x00" * (2 * 1024 * 1024)})
    lax = UploadLimits(max_bytes=10**6, max_files=10, max_uncompressed_bytes=10**8, max_ratio=5000)
    extraction = extract_zip(zip_path, tmp_path / "out", lax)
    assert extraction.files[0].size == 2 * 1024 * 1024
