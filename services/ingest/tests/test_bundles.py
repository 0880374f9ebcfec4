"""Zip bundles: manifest, parts, compression choices, determinism."""

from __future__ import annotations

import hashlib
import json
import zipfile
from pathlib import Path

import pytest

from registry_ingest.bundles import MANIFEST_NAME, Bundle, build_bundle
from registry_ingest.sources.model import FetchedFile, FetchedSource, classify_file
from registry_ingest.sources.urls import parse_source_url
from services.ingest.tests.sources.helpers import make_fetcher
from tests.fakes.hub import FakeHub, HubControl

CONTENT = {
    "README.md": b"---\nlicense: mit\n---\n# Card\n",
    "config.json": b'{"model_type": "bert"}',
    "tokenizer.json": b"{}",
    "vocab.txt": b"[PAD]\n[UNK]\n" * 50,
    "model.safetensors": bytes(range(256)) * 64,
    "onnx/model.onnx": b"\x07" * 1000,
    "train.py": b"print('train')\n" * 20,
    "data/train.parquet": b"PAR1" * 10,
}


def _source(tmp_path: Path, content: dict[str, bytes], missing: dict[str, int] | None = None):  # type: ignore[no-untyped-def]
    root = tmp_path / "files"
    files = []
    for path, data in content.items():
        local = root / path
        local.parent.mkdir(parents=True, exist_ok=True)
        local.write_bytes(data)
        digest = hashlib.sha256(data).hexdigest()
        files.append(FetchedFile(path, len(data), digest, local, classify_file(path)))
    for path, size in (missing or {}).items():
        files.append(FetchedFile(path, size, None, None, classify_file(path)))
    return FetchedSource(
        ref=parse_source_url("https://huggingface.co/org/model", "model"),
        revision="a" * 40,
        files=files[::-1],  # order must not matter
        complete=not missing,
        notes=["Weights were not mirrored."] if missing else [],
    )


def _names(path: Path) -> list[str]:
    with zipfile.ZipFile(path) as archive:
        return archive.namelist()


def _manifest(path: Path) -> dict:  # type: ignore[type-arg]
    with zipfile.ZipFile(path) as archive:
        return json.loads(archive.read(MANIFEST_NAME))  # type: ignore[no-any-return]


async def test_full_bundle_and_manifest(tmp_path: Path) -> None:
    source = _source(tmp_path, CONTENT, missing={"pytorch_model.bin": 440_000_000})
    bundle = await build_bundle(source, tmp_path / "work")
    assert isinstance(bundle, Bundle)
    assert set(bundle.paths) == {"full", "weights", "config", "card"}
    full = bundle.paths["full"]
    assert full.name == "bundle.zip"
    assert _names(full) == [MANIFEST_NAME, *sorted(CONTENT)]
    with zipfile.ZipFile(full) as archive:
        for path, data in CONTENT.items():
            assert archive.read(path) == data
        assert archive.testzip() is None
    manifest = _manifest(full)
    assert manifest == bundle.manifest
    assert manifest["source"] == "https://huggingface.co/org/model"
    assert manifest["revision"] == "a" * 40
    assert manifest["complete"] is False
    assert manifest["notes"] == ["Weights were not mirrored."]
    entries = {e["path"]: e for e in manifest["files"]}
    assert [e["path"] for e in manifest["files"]] == sorted(entries)
    for path, data in CONTENT.items():
        assert entries[path]["sha256"] == hashlib.sha256(data).hexdigest()
        assert entries[path]["size"] == len(data)
        assert entries[path]["fetched"] is True
    assert entries["pytorch_model.bin"] == {
        "path": "pytorch_model.bin",
        "size": 440_000_000,
        "sha256": None,
        "kind": "weights",
        "fetched": False,
    }
    assert bundle.size_bytes == full.stat().st_size
    assert bundle.content_bytes == sum(map(len, CONTENT.values())) + 440_000_000


async def test_parts_hold_the_right_files(tmp_path: Path) -> None:
    bundle = await build_bundle(_source(tmp_path, CONTENT), tmp_path / "work")
    assert _names(bundle.paths["weights"]) == [
        MANIFEST_NAME, "model.safetensors", "onnx/model.onnx"
    ]  # fmt: skip
    assert _names(bundle.paths["config"]) == [
        MANIFEST_NAME, "config.json", "tokenizer.json", "vocab.txt"
    ]  # fmt: skip
    assert _names(bundle.paths["card"]) == [MANIFEST_NAME, "README.md"]
    for part in ("weights", "config", "card"):
        manifest = _manifest(bundle.paths[part])
        assert manifest["part"] == part
        assert len(manifest["files"]) == len(CONTENT)  # the manifest lists everything
        assert bundle.part_size(part) == bundle.paths[part].stat().st_size


async def test_compression_choices(tmp_path: Path) -> None:
    bundle = await build_bundle(_source(tmp_path, CONTENT), tmp_path / "work")
    with zipfile.ZipFile(bundle.paths["full"]) as archive:
        methods = {info.filename: info.compress_type for info in archive.infolist()}
    assert methods["model.safetensors"] == zipfile.ZIP_STORED
    assert methods["onnx/model.onnx"] == zipfile.ZIP_STORED
    assert methods["data/train.parquet"] == zipfile.ZIP_STORED
    assert methods["README.md"] == zipfile.ZIP_DEFLATED
    assert methods["train.py"] == zipfile.ZIP_DEFLATED
    assert methods[MANIFEST_NAME] == zipfile.ZIP_DEFLATED


async def test_same_input_gives_identical_bytes(tmp_path: Path) -> None:
    first = await build_bundle(_source(tmp_path / "a", CONTENT), tmp_path / "work-a")
    second = await build_bundle(_source(tmp_path / "b", CONTENT), tmp_path / "work-b")
    for part in ("full", "weights", "config", "card"):
        assert first.paths[part].read_bytes() == second.paths[part].read_bytes(), part


async def test_empty_parts_still_exist(tmp_path: Path) -> None:
    source = _source(tmp_path, {"train.py": b"print(1)\n"})
    bundle = await build_bundle(source, tmp_path / "work")
    for part in ("weights", "config", "card"):
        assert _names(bundle.paths[part]) == [MANIFEST_NAME]
    nothing = FetchedSource(ref=parse_source_url("https://www.kaggle.com/datasets/o/n", "dataset"))
    empty = await build_bundle(nothing, tmp_path / "empty")
    assert _names(empty.paths["full"]) == [MANIFEST_NAME]
    assert empty.manifest["files"] == []
    assert empty.content_bytes == 0


async def test_a_source_file_named_like_the_manifest(tmp_path: Path) -> None:
    source = _source(tmp_path, {"manifest.json": b'{"theirs": true}'})
    bundle = await build_bundle(source, tmp_path / "work")
    assert _names(bundle.paths["full"]) == [MANIFEST_NAME, "source-manifest.json"]
    assert bundle.manifest["files"][0]["bundle_path"] == "source-manifest.json"
    assert "theirs" not in _manifest(bundle.paths["full"])


@pytest.mark.integration
async def test_bundle_of_a_hub_model(
    fake_hub: FakeHub, hub_control: HubControl, tmp_path: Path
) -> None:
    assert fake_hub.url is not None
    fetcher = make_fetcher(fake_hub.url)
    ref = parse_source_url("https://huggingface.co/google-bert/bert-base-uncased", "model")
    source = await fetcher.fetch(ref, tmp_path / "work")
    bundle = await build_bundle(source, tmp_path / "work")
    for entry in bundle.manifest["files"]:
        data = fake_hub.file_bytes("google-bert/bert-base-uncased", entry["path"])
        assert entry["sha256"] == hashlib.sha256(data).hexdigest()
    assert "model.safetensors" in _names(bundle.paths["weights"])
    assert "vocab.txt" in _names(bundle.paths["config"])
    assert bundle.manifest["revision"] == source.revision
    assert bundle.manifest["complete"]
