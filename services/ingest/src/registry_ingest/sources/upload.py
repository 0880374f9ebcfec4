"""Zips users upload (internal models laid out like a Hugging Face repository)."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any, BinaryIO

from registry_ingest.sources.archive import (
    CHUNK,
    ExtractedFile,
    UploadLimits,
    extract_zip,
)
from registry_ingest.sources.cards import (
    card_facts,
    find_card,
    find_root_file,
    read_card,
    read_config,
)
from registry_ingest.sources.model import FetchedFile, FetchedSource, classify_file
from registry_ingest.sources.urls import SourceRef, upload_ref

__all__ = ["UploadLimits", "fetch_upload", "local_source"]


def fetch_upload(
    zip_path: Path | BinaryIO,
    workdir: Path,
    *,
    filename: str,
    artifact_type: str,
    limits: UploadLimits,
) -> FetchedSource:
    """Check and extract an uploaded zip (blocking; call it in a thread). `zip_path` may be
    the spooled upload itself: it is read where it lies, never copied first."""
    ref = upload_ref(filename, artifact_type)
    workdir.mkdir(parents=True, exist_ok=True)
    extraction = extract_zip(
        zip_path, workdir / "upload", limits, strict=True, strip_top="single", label="The zip"
    )
    source = local_source(ref, extraction.files, metadata={"source_kind": "upload"})
    source.metadata["upload_sha256"] = sha256_file(zip_path)
    source.metadata["upload_filename"] = ref.url.removeprefix("upload://")
    if extraction.top_folder:
        source.metadata["upload_top_folder"] = extraction.top_folder
    if not source.files:
        source.notes.append("The zip holds no files.")
    return source


def local_source(
    ref: SourceRef,
    files: list[ExtractedFile],
    *,
    metadata: dict[str, Any],
    revision: str | None = None,
    exclude_github: str | None = None,
) -> FetchedSource:
    """A `FetchedSource` for files already on disk, read like a Hugging Face repository."""
    fetched = [
        FetchedFile(
            path=f.path,
            size=f.size,
            sha256=f.sha256,
            local_path=f.local_path,
            kind=classify_file(f.path),
        )
        for f in sorted(files, key=lambda f: f.path)
    ]
    card = find_card(fetched)
    card_text, card_data, card_error = read_card(card.local_path if card else None)
    config_file = find_root_file(fetched, "config.json")
    config, config_error = read_config(config_file.local_path if config_file else None)
    total = sum(f.size for f in fetched)
    facts = card_facts(card_data, card_text, exclude_github=exclude_github)
    return FetchedSource(
        ref=ref,
        revision=revision,
        card_text=card_text,
        card_data=card_data,
        card_error=card_error,
        config=config,
        config_error=config_error,
        files=fetched,
        complete=True,
        metadata={
            **facts,
            "repo_id": ref.repo_id,
            **metadata,
            "fetched_bytes": total,
            "declared_bytes": total,
        },
    )


def sha256_file(path: Path | BinaryIO) -> str:
    digest = hashlib.sha256()
    if isinstance(path, Path):
        with path.open("rb") as handle:
            while chunk := handle.read(CHUNK):
                digest.update(chunk)
        return digest.hexdigest()
    path.seek(0)
    while chunk := path.read(CHUNK):
        digest.update(chunk)
    return digest.hexdigest()
