"""Settings shared by every service, read from the environment once at start.

`RuntimeSettings` (prefix `REGISTRY_`) chooses the backing components; each service adds
its own settings class with its own prefix and embeds a `RuntimeSettings`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from registry_common.outbound import OutboundPolicy, origin_of, parse_origins

SERVICES = ("gateway", "auth", "ingest", "scoring", "lineage", "health")

BlobBackend = Literal["local", "s3"]
BusBackend = Literal["inprocess", "sns-sqs"]
TelemetryExporter = Literal["none", "console", "otlp", "inprocess"]
LogExporter = Literal["none", "otlp"]


class RuntimeSettings(BaseSettings):
    """Which components back the registry; identical for every service of a deployment."""

    model_config = SettingsConfigDict(env_prefix="REGISTRY_", extra="ignore", frozen=True)

    data_dir: Path = Field(
        default=Path(".registry"),
        description="Where embedded components keep their files (SQLite, blobs, logs, keys).",
    )
    database_url: str | None = Field(
        default=None,
        description=(
            "SQLAlchemy async URL. Unset: one SQLite file per service under data_dir. "
            "PostgreSQL: postgresql+asyncpg://user:pass@host/db."
        ),
    )
    blob_backend: BlobBackend = "local"
    s3_bucket: str = "registry-artifacts"
    bus_backend: BusBackend = "inprocess"
    bus_prefix: str = Field(
        default="registry",
        description="Prefix of SNS topic and SQS queue names, so deployments can share an account.",
    )
    bus_wait_seconds: int = Field(
        default=10, ge=0, le=20, description="SQS long-poll wait; lower means faster tests."
    )
    bus_provision: bool = Field(
        default=True,
        description=(
            "SNS+SQS: create the topics, queues, dead-letter queues, subscriptions and queue "
            "policies that are missing at start. false: a deployment stack owns them and the "
            "bus only looks them up, so its role needs no create/subscribe rights."
        ),
    )
    aws_endpoint_url: str | None = Field(
        default=None, description="Custom AWS API endpoint (an emulator); unset in AWS."
    )
    aws_region: str = "us-east-1"
    telemetry_exporter: TelemetryExporter = "inprocess"
    otlp_endpoint: str | None = Field(
        default=None,
        description=(
            "OTLP/HTTP base URL: spans go to <it>/v1/traces, shipped logs to <it>/v1/logs. "
            "A collector sidecar (http://localhost:4318), or the health service's receiver "
            "(http://health:8005/internal/otlp) in distributed mode without a collector."
        ),
    )
    log_exporter: LogExporter = Field(
        default="none",
        description="otlp: also ship log records to <otlp_endpoint>/v1/logs (batched).",
    )
    trace_asgi_messages: bool = Field(
        default=False,
        description=(
            "Also trace every ASGI message (one span per response chunk) for debugging the "
            "request flow; off because a download becomes hundreds of spans "
            "(docs/performance.md)."
        ),
    )
    log_level: str = "INFO"
    log_dir: Path | None = Field(
        default=None, description="Also write JSON logs to <log_dir>/<service>.log when set."
    )
    hf_endpoint: str = Field(
        default="https://huggingface.co",
        validation_alias=AliasChoices("REGISTRY_HF_ENDPOINT", "HF_ENDPOINT"),
    )
    github_api_url: str = Field(
        default="https://api.github.com",
        validation_alias=AliasChoices("REGISTRY_GITHUB_API_URL", "GITHUB_API_URL"),
    )
    github_token: str | None = Field(
        default=None, validation_alias=AliasChoices("REGISTRY_GITHUB_TOKEN", "GITHUB_TOKEN")
    )
    outbound_allow_origins: str = Field(
        default="",
        description=(
            "Comma-separated origins (scheme://host[:port]) on private addresses that URLs "
            "users give may still reach, e.g. an internal mirror. The Hugging Face and GitHub "
            "endpoints above are always allowed, by exact origin."
        ),
    )
    max_body_bytes: int = Field(
        default=1024 * 1024,
        ge=1024,
        description=(
            "Request body ceiling of every route but uploads (JSON bodies), in bytes, enforced "
            "while the body streams in: larger bodies get 413 before they are parsed."
        ),
    )
    outbox_poll_seconds: float = Field(
        default=2.0,
        gt=0,
        description=(
            "How often a service's outbox relay looks for unsent events without being woken "
            "(it is woken at once by every commit that recorded events; the poll finds rows "
            "a crash or another replica left)."
        ),
    )
    outbox_max_backoff_seconds: float = Field(
        default=5.0,
        gt=0,
        description="Longest wait between publish attempts while the event bus is down.",
    )
    outbox_stuck_seconds: float = Field(
        default=60.0,
        gt=0,
        description=(
            "The service's health turns the `event outbox` component critical when its "
            "oldest unsent event is older than this."
        ),
    )
    internal_token: str | None = Field(
        default=None,
        description=(
            "Shared secret every internal call carries (X-Internal-Token, compared in constant "
            "time). Required in distributed mode: `python -m registry_<service>` refuses to "
            "start without it (24+ characters). Embedded mode makes one per process when unset."
        ),
    )

    @field_validator("hf_endpoint", "github_api_url")
    @classmethod
    def _strip_slash(cls, value: str) -> str:
        return value.rstrip("/")

    @field_validator("outbound_allow_origins")
    @classmethod
    def _valid_origins(cls, value: str) -> str:
        parse_origins(value)  # a ValueError here names the bad entry at start
        return value

    def outbound_policy(self) -> OutboundPolicy:
        """Who URLs users give may reach: public addresses, plus these exact origins."""
        trusted = {origin_of(self.hf_endpoint), origin_of(self.github_api_url)}
        return OutboundPolicy(frozenset(trusted) | parse_origins(self.outbound_allow_origins))

    def database_url_for(self, service: str) -> str:
        """Each service owns its tables: its own SQLite file, or the shared server."""
        if self.database_url:
            return self.database_url
        path = (self.data_dir / "db" / f"{service}.sqlite3").resolve()
        return f"sqlite+aiosqlite:///{path}"
