"""Ingest settings (prefix INGEST_)."""

from __future__ import annotations

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
    popularity_flush_seconds: float = Field(
        default=2.0,
        gt=0,
        description=(
            "How often the search-appearance counts summed in memory are added to the "
            "database (one batched UPDATE); the confusion audit flushes before it reads."
        ),
    )
    confusion_top_k: int = Field(
        default=1000,
        ge=1,
        description="How many of the most popular artifacts the confusion audit compares against.",
    )
    confusion_min_score: float = Field(
        default=0.5, ge=0, le=1, description="Lowest score the confusion audit lists."
    )
    confusion_min_target_popularity: float = Field(
        default=5.0,
        ge=0,
        description=(
            "Popularity (downloads + search appearances / 10) an artifact needs before the "
            "audit treats it as worth imitating."
        ),
    )
    confusion_min_downloads: int = Field(
        default=10, ge=2, description="Downloads below which traffic is too little to judge."
    )
    confusion_new_account_hours: float = Field(
        default=1.0,
        gt=0,
        description="An account this young at download time counts as new (bot-farm sign).",
    )
    confusion_max_age_seconds: float = Field(
        default=10.0,
        ge=0,
        description=(
            "How long a computed confusion report is served again (paging, concurrent "
            "requests) before the next request recomputes it; 0 recomputes every time."
        ),
    )
    confusion_traffic_rows: int = Field(
        default=5000, ge=10, description="Newest downloads per artifact the traffic check reads."
    )
