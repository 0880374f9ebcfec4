"""One file served from inside a stored zip: every range of a stored and of a deflated member
is exactly the file's bytes, read straight from the blob store."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest

from registry_common.blobs.local import LocalBlobStore
from registry_gateway.hub_api import tree_entries
from registry_gateway.hub_files import member_bytes

TEXT = b"".join(b"line %d of a tokenizer vocabulary\n" % i for i in range(5000))
BINARY = bytes(range(256)) * 300


def _entries(data: bytes) -> dict[str, dict[str, object]]:
    """Offsets of each member, computed from the zip's local headers."""
    found: dict[str, dict[str, object]] = {}
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        for info in archive.infolist():
            name_length, extra_length = (
                int.from_bytes(data[info.header_offset + 26 : info.header_offset + 28], "little"),
                int.from_bytes(data[info.header_offset + 28 : info.header_offset + 30], "little"),
            )
            found[info.filename] = {
                "offset": info.header_offset + 30 + name_length + extra_length,
                "compressed_size": info.compress_size,
                "size": info.file_size,
                "method": "stored" if info.compress_type == zipfile.ZIP_STORED else "deflated",
            }
    return found


@pytest.fixture
async def stored(tmp_path: Path) -> tuple[LocalBlobStore, dict[str, dict[str, object]]]:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("vocab.txt", TEXT, compress_type=zipfile.ZIP_DEFLATED)
        archive.writestr("model.safetensors", BINARY, compress_type=zipfile.ZIP_STORED)
    blobs = LocalBlobStore(tmp_path / "blobs")
    await blobs.start()
    await blobs.put("bundle.zip", buffer.getvalue())
    return blobs, _entries(buffer.getvalue())


@pytest.mark.parametrize(("name", "content"), [("vocab.txt", TEXT), ("model.safetensors", BINARY)])
@pytest.mark.parametrize(
    ("start", "end"), [(0, None), (0, 1), (1000, 70_000), (65_530, 65_540), (-5, None)]
)
async def test_ranges_of_a_member_are_its_bytes(
    stored: tuple[LocalBlobStore, dict[str, dict[str, object]]],
    name: str,
    content: bytes,
    start: int,
    end: int | None,
) -> None:
    blobs, entries = stored
    first = start if start >= 0 else len(content) + start
    last = min(end if end is not None else len(content), len(content))
    served = b"".join(
        [c async for c in member_bytes(blobs, "bundle.zip", entries[name], first, last)]
    )
    assert served == content[first:last]


def test_tree_listings_are_the_hubs() -> None:
    files = [
        {"path": p, "oid": "0" * 40, "size": 1, "sha256": "1" * 64, "lfs": p.endswith(".onnx")}
        for p in ("README.md", "onnx/model.onnx", "onnx/extra/x.onnx")
    ]
    snapshot = {"commit": "c" * 40, "files": files}
    top = tree_entries(snapshot, "", recursive=False)
    assert top is not None
    assert [(e["type"], e["path"]) for e in top] == [("file", "README.md"), ("directory", "onnx")]
    everything = tree_entries(snapshot, "", recursive=True)
    assert everything is not None
    assert [e["path"] for e in everything] == [
        "README.md",
        "onnx",
        "onnx/extra",
        "onnx/extra/x.onnx",
        "onnx/model.onnx",
    ]
    inside = tree_entries(snapshot, "onnx", recursive=False)
    assert inside is not None
    assert [e["path"] for e in inside] == ["onnx/extra", "onnx/model.onnx"]
    assert inside[1]["lfs"]["oid"] == "1" * 64
    assert tree_entries(snapshot, "missing", recursive=False) is None
