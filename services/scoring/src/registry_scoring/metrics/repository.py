"""Which files of a code repository count as "code" for the GitHub-based metrics."""

from __future__ import annotations

import re
from pathlib import PurePosixPath
from typing import Final

# Model weights, data and media are not code (and are never reviewed line by line).
NON_CODE_SUFFIXES: Final = frozenset(
    {
        ".safetensors", ".bin", ".pt", ".pth", ".ckpt", ".h5", ".hdf5", ".keras", ".onnx",
        ".gguf", ".ggml", ".tflite", ".msgpack", ".pb", ".ot", ".mlmodel", ".pkl", ".pickle",
        ".joblib", ".params", ".pdparams", ".caffemodel", ".nemo", ".engine", ".npz", ".npy",
        ".weights", ".parquet", ".csv", ".tsv", ".jsonl", ".ndjson", ".arrow", ".feather",
        ".avro", ".orc", ".tfrecord", ".tfrecords", ".lance", ".db", ".sqlite", ".tar",
        ".tgz", ".gz", ".bz2", ".xz", ".zst", ".zip", ".7z", ".rar", ".wav", ".flac", ".mp3",
        ".ogg", ".mp4", ".avi", ".mov", ".webm", ".png", ".jpg", ".jpeg", ".gif", ".bmp",
        ".tif", ".tiff", ".webp", ".ico", ".svg", ".pdf", ".psd", ".ttf", ".otf", ".woff",
        ".woff2", ".eot", ".so", ".dll", ".dylib", ".exe", ".a", ".o", ".class", ".jar",
        ".whl", ".egg", ".pyc", ".lock", ".map",
    }
)  # fmt: skip
VENDORED_DIRS: Final = frozenset(
    {"vendor", "vendors", "third_party", "third-party", "thirdparty", "3rdparty", "external",
     "extern", "node_modules", "site-packages", ".venv", "venv", "bower_components", "dist",
     "build", "__pycache__", ".git"}
)  # fmt: skip
GENERATED_NAMES: Final = frozenset(
    {"package-lock.json", "yarn.lock", "pnpm-lock.yaml", "poetry.lock", "uv.lock",
     "pipfile.lock", "cargo.lock", "go.sum", "composer.lock", "gemfile.lock"}
)  # fmt: skip
LICENSE_NAMES: Final = re.compile(r"^(licen[cs]e|copying|notice|copyright)([.-].*)?$", re.I)
_GENERATED = re.compile(r"(\.min\.(js|css)|_pb2(_grpc)?\.py|\.pb\.go|\.generated\.\w+)$", re.I)

TEST_PATTERN: Final = re.compile(
    r"(^|/)(tests?|testing|spec|__tests__)/|(^|/)test_[^/]+\.py$|_test\.(py|go|rs)$|"
    r"(^|/)[^/]+_tests?\.py$|\.(test|spec)\.[jt]sx?$|(^|/)conftest\.py$",
    re.IGNORECASE,
)
CI_PATTERN: Final = re.compile(
    r"^\.github/workflows/[^/]+\.ya?ml$|^\.travis\.yml$|^\.circleci/|^\.gitlab-ci\.yml$|"
    r"^azure-pipelines\.ya?ml$|^jenkinsfile$|^\.buildkite/|^appveyor\.yml$|^bitbucket-pipelines\.yml$",
    re.IGNORECASE,
)
DEPENDENCY_NAMES: Final = frozenset(
    {"requirements.txt", "pyproject.toml", "setup.py", "setup.cfg", "environment.yml",
     "environment.yaml", "pipfile", "package.json", "cargo.toml", "go.mod", "pom.xml",
     "build.gradle", "build.gradle.kts", "gemfile", "cmakelists.txt", "conda.yaml",
     "requirements-dev.txt", "dockerfile"}
)  # fmt: skip
CONTRIBUTING: Final = re.compile(r"^(\.github/|docs/)?contributing(\.\w+)?$", re.IGNORECASE)


def is_code(path: str) -> bool:
    """True for text files written by the project: source, docs and configuration; False
    for weights, data, media and other binaries, vendored or generated files, lockfiles and
    license texts (copied boilerplate, not the project's work)."""
    pure = PurePosixPath(path)
    name = pure.name.lower()
    if pure.suffix.lower() in NON_CODE_SUFFIXES or name in GENERATED_NAMES:
        return False
    if any(part.lower() in VENDORED_DIRS for part in pure.parts[:-1]):
        return False
    return not (LICENSE_NAMES.match(name) or _GENERATED.search(name))


def is_bot(login: str | None, kind: str | None = None) -> bool:
    if kind == "Bot":
        return True
    login = (login or "").lower()
    return login.endswith("[bot]") or login in {"web-flow", "github-actions", "dependabot"}
