"""Ingest settings (prefix INGEST_)."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from registry_common.sandbox.settings import SandboxSettings
from registry_common.settings import RuntimeSettings

# Where `make node24` installs Node.js 24 (npm's `node` package), relative to a checkout.
NODE24_RELATIVE = Path(".tools/node24/node_modules/.bin/node")


class IngestSettings(SandboxSettings, BaseSettings):
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
    group_ttl_seconds: float = Field(
        default=3600.0,
        gt=0,
        description=(
            "How long an atomic group request (R25) stays open for commands and its execute; "
            "past it the request is expired (410) and its uploaded zips are removed."
        ),
    )
    group_max_commands: int = Field(
        default=100, ge=1, description="Commands one atomic group may hold (413 beyond)."
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
    max_upload_ratio: float = Field(
        default=100.0,
        gt=1,
        description=(
            "Largest compression ratio of an uploaded zip and of each of its entries (a zip "
            "bomb, or an honest zip of zeros, is refused with 413); what unpacks to 1 MiB or "
            "less is exempt."
        ),
    )
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

    # ---------------------------------------------------------------- sensitive models (R18)
    monitor_node: str | None = Field(
        default=None,
        description=(
            "The Node.js 24 binary download monitors run with. Unset: the one `make node24` "
            "installs (.tools/node24 under the working directory, else under this checkout). "
            "With INGEST_SANDBOX_URL it is the binary's path inside the runner's image."
        ),
    )
    monitor_network: Literal["open", "none"] = Field(
        default="open",
        description=(
            "Network of a monitor: open (it may call the customer's audit servers; the "
            "default, as R18 asks) or none (its own empty network namespace)."
        ),
    )
    monitor_wall_seconds: float = Field(
        default=10.0, gt=0, le=3600, description="Wall-clock limit of one monitor run."
    )
    monitor_cpu_seconds: int = Field(default=10, gt=0, le=3600, description="CPU-seconds limit.")
    monitor_memory_bytes: int = Field(
        default=4 * 1024**3,
        gt=0,
        description=(
            "Address-space limit (RLIMIT_AS) of a monitor; V8 reserves a lot of address "
            "space up front, so keep this generous and bound the heap instead."
        ),
    )
    monitor_heap_mb: int = Field(
        default=256, ge=16, description="V8 heap limit of a monitor (--max-old-space-size)."
    )
    monitor_output_bytes: int = Field(
        default=64 * 1024,
        ge=1024,
        description="Cap of a monitor's stdout and stderr each; more output kills it.",
    )
    monitor_message_bytes: int = Field(
        default=4096,
        ge=64,
        description="How much of a refusing monitor's stdout the error and the history keep.",
    )
    monitor_max_program_bytes: int = Field(
        default=64 * 1024, ge=1, description="Largest monitor program accepted (413 beyond)."
    )
    monitor_max_concurrent: int = Field(
        default=4, ge=1, description="Monitors run at once; further downloads wait their turn."
    )

    def node_binary(self) -> str:
        """The configured node, else the `make node24` one found from the working directory,
        then from this package's checkout; a path that does not exist makes each monitor run
        a failed_to_start that names it."""
        if self.monitor_node:
            return self.monitor_node
        checkout = Path(__file__).resolve().parents[4]
        for base in (Path.cwd(), checkout):
            candidate = base / NODE24_RELATIVE
            if candidate.exists():
                return str(candidate.resolve())
        return str(checkout / NODE24_RELATIVE)

    orphan_sweep_interval_seconds: float = Field(
        default=900.0,
        gt=0,
        description=(
            "How often the orphan-blob sweeper deletes blobs no committed catalog row "
            "references (left by a crash between storing a bundle and committing its row, "
            "or by a failed removal after a delete)."
        ),
    )
    orphan_grace_seconds: float = Field(
        default=3600.0,
        ge=0,
        description=(
            "An unreferenced blob younger than this is kept: its upload may still be about "
            "to commit. Longer than the slowest bundle write."
        ),
    )
    metadata_store: Literal["sql", "dynamodb"] = Field(
        default="sql",
        description=(
            "Where the artifact catalog lives. sql: the service's SQL database "
            "(REGISTRY_DATABASE_URL chooses PostgreSQL; unset, SQLite). dynamodb: the "
            "DynamoDB table INGEST_DYNAMODB_TABLE (audit trail, popularity counters and "
            "monitors stay in the SQL database). Regex search then reads every README: "
            "see docs/performance.md, Configuration matrix."
        ),
    )
    dynamodb_table: str = Field(
        default="registry-ingest-catalog",
        min_length=3,
        max_length=255,
        description="The catalog's DynamoDB table (INGEST_METADATA_STORE=dynamodb).",
    )
    dynamodb_provision: bool = Field(
        default=True,
        description=(
            "Create the DynamoDB table and its indexes when missing at start. false: a "
            "deployment stack owns the table, so the role needs no CreateTable right."
        ),
    )
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
