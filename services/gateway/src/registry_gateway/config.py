"""Gateway settings (prefix GATEWAY_)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from registry_common.settings import RuntimeSettings
from registry_gateway.client_address import IPNetwork, parse_networks

TRACKS = ("Performance track", "Access control track", "High assurance track")


class GatewaySettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="GATEWAY_", extra="ignore")

    runtime: RuntimeSettings = Field(default_factory=RuntimeSettings)
    auth_url: str = "http://127.0.0.1:8001"
    ingest_url: str = "http://127.0.0.1:8002"
    scoring_url: str = "http://127.0.0.1:8003"
    lineage_url: str = "http://127.0.0.1:8004"
    health_url: str = "http://127.0.0.1:8005"
    download_redirect: bool = Field(
        default=False,
        description=(
            "S3 mode: answer downloads with a redirect to a presigned URL instead of streaming "
            "the bytes through the gateway."
        ),
    )
    max_upload_bytes: int = Field(
        default=2 * 1024**3 + 1024**2,
        ge=1024,
        description=(
            "Request body ceiling of POST /artifact/{type}/upload (the whole multipart form), "
            "enforced while it streams in: 413 before anything is spooled past it. The zip "
            "itself is then held to INGEST_MAX_UPLOAD_BYTES."
        ),
    )
    planned_tracks: tuple[str, ...] = Field(
        default=TRACKS, description="What GET /tracks lists (the spec's exact strings)."
    )
    ui_dir: Path | None = Field(
        default=None,
        description=(
            "The built web UI (index.html + assets/) served at /ui/. Unset: the repository's "
            "ui/dist, looked up from the working directory, then from this package's source "
            "location (a workspace checkout); see registry_gateway.webui.locate_ui_dir."
        ),
    )
    trusted_proxies: Annotated[tuple[IPNetwork, ...], NoDecode] = Field(
        default=(),
        description=(
            "CIDR blocks of the proxies in front of the gateway (e.g. the load balancer's "
            "subnets), comma-separated. X-Forwarded-For is read only from these peers, "
            "right-most untrusted entry first; unset, the peer's own address is the client's."
        ),
    )
    rate_limit_regex_per_minute: int = Field(
        default=60,
        ge=0,
        description="POST /artifact/byRegEx calls per user a minute (bursts up to that); 0: off.",
    )
    rate_limit_ingest_per_minute: int = Field(
        default=120,
        ge=0,
        description=(
            "Artifact registrations, updates and uploads per user a minute (bursts up to "
            "that); 0: off."
        ),
    )

    @field_validator("trusted_proxies", mode="before")
    @classmethod
    def _networks(cls, value: Any) -> Any:
        if isinstance(value, str | list | tuple):
            return parse_networks(value)
        return value

    def rate_limits(self) -> dict[str, int]:
        return {
            "regex": self.rate_limit_regex_per_minute,
            "ingest": self.rate_limit_ingest_per_minute,
        }
