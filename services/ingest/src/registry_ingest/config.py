"""Ingest settings (prefix INGEST_)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from registry_common.settings import RuntimeSettings


class IngestSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="INGEST_", extra="ignore")

    runtime: RuntimeSettings = Field(default_factory=RuntimeSettings)
    gate_enabled: bool = Field(
        default=False,
        description=(
            "R2 ingest gate: refuse (424) a public Hugging Face model whose rating has a "
            "metric below 0.5. Off by default: every artifact is admitted and its rating and "
            "'vetted' status stay visible."
        ),
    )
    rating_wait_seconds: float = Field(
        default=60.0, ge=0, description="How long a create waits for the rating before 202."
    )
    page_size: int = Field(default=100, ge=1, le=1000, description="Artifacts per enumerate page.")
    max_queries: int = Field(default=64, ge=1, description="Queries per enumerate request (413).")
    max_name_matches: int = Field(default=1000, ge=1, description="Cap of /artifact/byName.")
    max_regex_results: int = Field(default=1000, ge=1, description="Cap of regex results.")
    max_fetch_bytes: int = Field(
        default=2 * 1024**3, ge=0, description="Largest source mirrored into a bundle."
    )
    fetch_timeout_seconds: float = Field(
        default=60.0, gt=0, description="Longest wait for one connect or read of a source."
    )
    fetch_deadline_seconds: float = Field(
        default=60.0,
        gt=0,
        description=(
            "Longest time one plain-URL download may take in total (redirects and the whole "
            "body), however steadily the server trickles. A minute matches how long a caller "
            "of the create waits; raise it for large files on slow links."
        ),
    )
    max_upload_bytes: int = Field(default=2 * 1024**3, ge=1)
    max_upload_files: int = Field(default=10_000, ge=1)
    max_upload_uncompressed_bytes: int = Field(default=8 * 1024**3, ge=1)
    unsafe_pickle_policy: Literal["record", "refuse"] = Field(
        default="record",
        description=(
            "What to do with an artifact whose pickle-based files import outside the "
            "allow-list: 'record' stores it with the verdict in its details; 'refuse' "
            "answers 400 naming the files and imports, and stores nothing."
        ),
    )
    scan_max_file_bytes: int = Field(
        default=512 * 1024**2,
        ge=1,
        description="Pickle bytes read per file (per pickle inside a zip) by the weights scan.",
    )
    scan_budget_seconds: float = Field(
        default=30.0, gt=0, description="Time the weights scan may take for one artifact."
    )
