"""What a fetch produces: the files of a source (fetched or only known by size) and its facts."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any, Final, Literal

from registry_common.limits import human_bytes as human_bytes  # re-exported for the sources
from registry_ingest.sources.urls import SourceRef

FileKind = Literal["weights", "config", "card", "tokenizer", "code", "data", "other"]
FILE_KINDS: Final = ("weights", "config", "card", "tokenizer", "code", "data", "other")

WEIGHT_SUFFIXES: Final = frozenset(
    {
        ".safetensors", ".bin", ".pt", ".pth", ".ckpt", ".h5", ".hdf5", ".keras", ".onnx",
        ".gguf", ".ggml", ".ggjt", ".tflite", ".lite", ".msgpack", ".pb", ".ot", ".mlmodel",
        ".pkl", ".pickle", ".joblib", ".params", ".pdparams", ".caffemodel", ".nemo",
        ".llamafile", ".engine", ".plan", ".mar", ".ptl", ".torchscript", ".npz", ".weights",
    }
)  # fmt: skip
DATA_SUFFIXES: Final = frozenset(
    {
        ".parquet", ".csv", ".tsv", ".jsonl", ".ndjson", ".arrow", ".feather", ".avro", ".orc",
        ".tfrecord", ".tfrecords", ".npy", ".lance", ".db", ".sqlite", ".tar", ".tgz", ".gz",
        ".bz2", ".xz", ".zst", ".zip", ".7z", ".wav", ".flac", ".mp3", ".mp4", ".webdataset",
    }
)  # fmt: skip
CODE_SUFFIXES: Final = frozenset(
    {
        ".py", ".pyi", ".pyx", ".ipynb", ".js", ".mjs", ".cjs", ".jsx", ".ts", ".tsx", ".go",
        ".rs", ".java", ".kt", ".kts", ".scala", ".c", ".cc", ".cpp", ".cxx", ".h", ".hh",
        ".hpp", ".cu", ".cuh", ".cs", ".sh", ".bash", ".zsh", ".ps1", ".rb", ".php", ".swift",
        ".m", ".mm", ".r", ".jl", ".lua", ".pl", ".sql", ".dart", ".ex", ".exs", ".hs",
        ".clj", ".vue", ".svelte", ".zig", ".nim", ".mojo",
    }
)  # fmt: skip
CODE_NAMES: Final = frozenset(
    {
        "makefile", "dockerfile", "cmakelists.txt", "requirements.txt", "pyproject.toml",
        "setup.cfg", "package.json", "cargo.toml", "go.mod", "gemfile", "build.gradle",
        "pom.xml", "environment.yml", "environment.yaml", "tox.ini", "noxfile.py",
    }
)  # fmt: skip
CARD_NAMES: Final = frozenset(
    {"readme", "readme.md", "readme.markdown", "readme.rst", "readme.txt", "model_card.md",
     "modelcard.md", "dataset_card.md"}
)  # fmt: skip
CONFIG_NAMES: Final = frozenset(
    {"config.json", "params.json", "modules.json", "hparams.yaml", "hparams.yml", "config.yaml",
     "config.yml", "model_index.json", "quantize_config.json"}
)  # fmt: skip
TOKENIZER_NAMES: Final = frozenset(
    {"merges.txt", "special_tokens_map.json", "added_tokens.json", "chat_template.jinja",
     "chat_template.json", "spiece.model", "sentencepiece.bpe.model"}
)  # fmt: skip
DATA_DIRS: Final = frozenset(
    {"data", "dataset", "datasets", "train", "test", "valid", "validation", "val", "dev",
     "splits", "raw", "processed"}
)  # fmt: skip
# Already compressed or opaque binaries: stored, not deflated, in bundles.
COMPRESSED_SUFFIXES: Final = frozenset(
    {".zip", ".gz", ".tgz", ".bz2", ".xz", ".zst", ".7z", ".parquet", ".png", ".jpg",
     ".jpeg", ".gif", ".webp", ".mp3", ".mp4", ".ogg", ".flac", ".avro", ".orc", ".arrow"}
)  # fmt: skip
# Files of these kinds (and any file above SMALL_FILE_BYTES) are mirrored only within budget.
BULK_KINDS: Final = frozenset({"weights", "data"})
SMALL_FILE_BYTES: Final = 16 * 1024 * 1024
ROOT_CONTEXT_FILES: Final = frozenset({"readme.md", "readme", "config.json"})

_VERSION = re.compile(
    r"^[vV]?(?P<major>0|[1-9]\d*)(?:\.(?P<minor>0|[1-9]\d*))?(?:\.(?P<patch>0|[1-9]\d*))?"
    r"(?:-(?P<pre>[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))?(?:\+[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?$"
)


def classify_file(path: str) -> FileKind:
    """The kind of a repository file, judged by its name (and data folders)."""
    pure = PurePosixPath(path)
    name = pure.name.lower()
    suffix = pure.suffix.lower()
    folders = {part.lower() for part in pure.parts[:-1]}
    if name in CARD_NAMES:
        return "card"
    if (
        name in TOKENIZER_NAMES
        or (name.startswith("tokenizer") and suffix in (".json", ".model", ".txt", ""))
        or name.startswith("vocab.")
        or suffix in (".model", ".tiktoken", ".spm")
    ):
        return "tokenizer"
    if suffix in WEIGHT_SUFFIXES:
        return "weights"
    if (
        name in CONFIG_NAMES
        or (suffix == ".json" and (name.endswith("config.json") or name.startswith("config")))
        or name.endswith(".index.json")
    ):
        return "config"
    if name in CODE_NAMES or suffix in CODE_SUFFIXES or ".github" in folders:
        return "code"
    if suffix in DATA_SUFFIXES:
        return "data"
    if folders & DATA_DIRS and suffix in (".txt", ".json", ".xml", ".jpg", ".png", ".jpeg"):
        return "data"
    return "other"


def subtree(paths: list[str], subdir: str | None) -> dict[str, str]:
    """``{repository path: bundle path}`` of the files to keep for a sub-folder URL.

    Without a sub-folder every path is kept as is. With one, its files are kept relative to
    it, and the repository's root README and config.json come along when the sub-folder has
    none of its own (they carry the card and the lineage); nothing is kept when the
    sub-folder does not exist.
    """
    if not subdir:
        return {path: path for path in paths}
    prefix = subdir.strip("/") + "/"
    inside = {path: path[len(prefix) :] for path in paths if path.startswith(prefix)}
    if not inside:
        return {}
    names = {name.lower() for name in inside.values()}
    for path in paths:
        if path.lower() in ROOT_CONTEXT_FILES and path.lower() not in names:
            inside[path] = path
    return inside


def is_compressed(path: str, kind: str) -> bool:
    """True when deflating the file would only cost CPU (weights, archives, media)."""
    return kind == "weights" or PurePosixPath(path).suffix.lower() in COMPRESSED_SUFFIXES


def is_bulk(kind: str, size: int) -> bool:
    """Files mirrored only while the fetch budget allows (weights, data and anything big)."""
    return kind in BULK_KINDS or size > SMALL_FILE_BYTES


def normalize_versions(tags: list[str]) -> list[str]:
    """Semver-like git tags without their ``v`` (``v1.2.0`` -> ``1.2.0``), oldest first."""
    found: dict[str, tuple[Any, ...]] = {}
    for tag in tags:
        name = tag.strip().removeprefix("refs/tags/")
        match = _VERSION.match(name)
        if match is None:
            continue
        version = name[1:] if name[:1] in ("v", "V") else name
        found[version] = _version_key(match)
    return sorted(found, key=lambda v: found[v])


def _version_key(match: re.Match[str]) -> tuple[Any, ...]:
    numbers = tuple(int(match.group(g) or 0) for g in ("major", "minor", "patch"))
    pre = match.group("pre")
    if pre is None:
        return (*numbers, 1, ())
    idents = tuple((0, int(p), "") if p.isdigit() else (1, 0, p) for p in pre.split("."))
    return (*numbers, 0, idents)


@dataclass(frozen=True)
class FetchedFile:
    """One file of a source. ``local_path`` is None when its bytes were not mirrored."""

    path: str
    size: int
    sha256: str | None
    local_path: Path | None
    kind: FileKind

    @property
    def fetched(self) -> bool:
        return self.local_path is not None


@dataclass
class FetchedSource:
    """Everything a fetch learned about a source, ready for bundling, rating and lineage."""

    ref: SourceRef
    revision: str | None = None
    versions: list[str] = field(default_factory=list)
    card_text: str | None = None
    card_data: dict[str, Any] = field(default_factory=dict)
    card_error: str | None = None
    config: dict[str, Any] | None = None
    config_error: str | None = None
    files: list[FetchedFile] = field(default_factory=list)
    complete: bool = False
    notes: list[str] = field(default_factory=list)
    metadata: dict[str, Any] = field(default_factory=dict)

    @property
    def fetched_bytes(self) -> int:
        return sum(f.size for f in self.files if f.fetched)

    @property
    def declared_bytes(self) -> int:
        return sum(f.size for f in self.files)
