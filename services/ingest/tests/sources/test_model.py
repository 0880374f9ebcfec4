"""File classification, version normalization, sizes and sub-folder selection."""

from __future__ import annotations

from pathlib import Path

import pytest

from registry_ingest.sources.model import (
    FetchedFile,
    FetchedSource,
    classify_file,
    human_bytes,
    is_bulk,
    is_compressed,
    normalize_versions,
    subtree,
)
from registry_ingest.sources.retry import RetryPolicy, parse_retry_after
from registry_ingest.sources.urls import parse_source_url

CLASSIFIED = [
    ("model.safetensors", "weights"),
    ("model-00001-of-00002.safetensors", "weights"),
    ("pytorch_model.bin", "weights"),
    ("tf_model.h5", "weights"),
    ("flax_model.msgpack", "weights"),
    ("rust_model.ot", "weights"),
    ("onnx/model.onnx", "weights"),
    ("original/consolidated.00.pth", "weights"),
    ("checkpoint.ckpt", "weights"),
    ("model.gguf", "weights"),
    ("model.tflite", "weights"),
    ("saved_model.pb", "weights"),
    ("Model.mlmodel", "weights"),
    ("weights.pt", "weights"),
    ("config.json", "config"),
    ("onnx/config.json", "config"),
    ("generation_config.json", "config"),
    ("preprocessor_config.json", "config"),
    ("adapter_config.json", "config"),
    ("config_sentence_transformers.json", "config"),
    ("model.safetensors.index.json", "config"),
    ("params.json", "config"),
    ("README.md", "card"),
    ("readme.md", "card"),
    ("README", "card"),
    ("MODEL_CARD.md", "card"),
    ("docs/README.md", "card"),
    ("tokenizer.json", "tokenizer"),
    ("tokenizer_config.json", "tokenizer"),
    ("vocab.txt", "tokenizer"),
    ("vocab.json", "tokenizer"),
    ("merges.txt", "tokenizer"),
    ("spiece.model", "tokenizer"),
    ("tokenizer.model", "tokenizer"),
    ("special_tokens_map.json", "tokenizer"),
    ("added_tokens.json", "tokenizer"),
    ("train.py", "code"),
    ("notebook.ipynb", "code"),
    ("src/index.ts", "code"),
    ("main.go", "code"),
    ("lib.rs", "code"),
    ("Main.java", "code"),
    ("kernel.cu", "code"),
    ("ops.cpp", "code"),
    ("run.sh", "code"),
    ("requirements.txt", "code"),
    ("Dockerfile", "code"),
    (".github/workflows/test.yml", "code"),
    ("data/train-00000-of-00001.parquet", "data"),
    ("train.csv", "data"),
    ("splits/test.jsonl", "data"),
    ("data.arrow", "data"),
    ("data.tsv", "data"),
    ("data/sentences.txt", "data"),
    ("train/labels.json", "data"),
    ("LICENSE", "other"),
    (".gitattributes", "other"),
    ("notes.txt", "other"),
    ("logo.png", "other"),
]


@pytest.mark.parametrize(("path", "kind"), CLASSIFIED)
def test_classify_file(path: str, kind: str) -> None:
    assert classify_file(path) == kind


def test_bulk_and_compressed() -> None:
    assert is_bulk("weights", 1)
    assert is_bulk("data", 1)
    assert not is_bulk("config", 1000)
    assert is_bulk("other", 100 * 1024 * 1024)  # anything big counts against the budget
    assert is_compressed("model.safetensors", "weights")
    assert is_compressed("train.parquet", "data")
    assert not is_compressed("README.md", "card")


@pytest.mark.parametrize(
    ("tags", "expected"),
    [
        (["v1.0.0", "v1.1.0", "1.2.0"], ["1.0.0", "1.1.0", "1.2.0"]),
        (["v20240930", "v20230314", "v20231117"], ["20230314", "20231117", "20240930"]),
        (["1.10.0", "1.9.0", "1.2"], ["1.2", "1.9.0", "1.10.0"]),
        (["v2.0.0", "v2.0.0-rc.1", "v2.0.0-beta", "v2.0.0-rc.2"],
         ["2.0.0-beta", "2.0.0-rc.1", "2.0.0-rc.2", "2.0.0"]),
        (["v1.0.0-alpha.10", "v1.0.0-alpha.2"], ["1.0.0-alpha.2", "1.0.0-alpha.10"]),
        (["latest", "release-1", "nightly", "v1.0.0.0", "01.2.3", "v1.2.3+build.5"],
         ["1.2.3+build.5"]),
        (["refs/tags/v3"], ["3"]),
        (["v1.0.0", "1.0.0"], ["1.0.0"]),
        ([], []),
    ],
)  # fmt: skip
def test_normalize_versions(tags: list[str], expected: list[str]) -> None:
    assert normalize_versions(tags) == expected


@pytest.mark.parametrize(
    ("size", "text"),
    [
        (0, "0 bytes"),
        (1023, "1023 bytes"),
        (1024, "1 KiB"),
        (1536, "1.5 KiB"),
        (2 * 1024**3, "2 GiB"),
        (13_207_024_435, "12.3 GiB"),
        (5 * 1024**5, "5120 TiB"),
    ],
)
def test_human_bytes(size: int, text: str) -> None:
    assert human_bytes(size) == text


def test_subtree() -> None:
    paths = ["README.md", "config.json", "onnx/config.json", "onnx/model.onnx", "x.bin"]
    assert subtree(paths, None) == {p: p for p in paths}
    assert subtree(paths, "onnx") == {
        "onnx/config.json": "config.json",
        "onnx/model.onnx": "model.onnx",
        "README.md": "README.md",
    }
    assert subtree(paths, "missing") == {}


def test_fetched_source_byte_counts(tmp_path: Path) -> None:
    ref = parse_source_url("https://huggingface.co/org/name", "model")
    source = FetchedSource(
        ref=ref,
        files=[
            FetchedFile("a.bin", 10, "x", tmp_path / "a.bin", "weights"),
            FetchedFile("b.bin", 5, None, None, "weights"),
        ],
    )
    assert (source.fetched_bytes, source.declared_bytes) == (10, 15)
    assert source.files[0].fetched
    assert not source.files[1].fetched


def test_retry_policy_bounds_the_total_wait() -> None:
    policy = RetryPolicy(attempts=4, base_delay=1.0, max_delay=10.0, max_total_wait=2.5)
    assert policy.next_delay(0, None, 0.0) == 1.0
    assert policy.next_delay(1, None, 1.0) == 1.5  # capped by what is left of the budget
    assert policy.next_delay(3, None, 0.0) is None  # attempts used up
    assert policy.next_delay(0, 2.0, 0.0) == 2.0  # Retry-After honoured within the cap
    assert policy.next_delay(0, 60.0, 0.0) is None  # ... and not beyond it


@pytest.mark.parametrize(
    ("header", "expected"),
    [(None, None), ("", None), ("3", 3.0), ("-1", 0.0), ("soon", None),
     ("Wed, 21 Oct 2015 07:28:00 GMT", 0.0)],
)  # fmt: skip
def test_parse_retry_after(header: str | None, expected: float | None) -> None:
    assert parse_retry_after(header) == expected
