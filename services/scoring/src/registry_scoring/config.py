"""Scoring settings (prefix SCORING_)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from registry_common.settings import RuntimeSettings


class ScoringSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="SCORING_", extra="ignore")

    runtime: RuntimeSettings = Field(default_factory=RuntimeSettings)
    reproducibility_timeout_seconds: float = Field(
        default=30.0, gt=0, description="Wall-clock limit of one run of a card's demo code."
    )
    reproducibility_repair_rounds: int = Field(default=3, ge=0)
    sandbox_isolation: Literal["auto", "bwrap+uid", "bwrap+userns", "unshare+uid", "uid"] = Field(
        default="auto",
        description=(
            "The wall demo code runs behind (docs/security/sandbox.md); auto: the strongest "
            "this host provides."
        ),
    )
    sandbox_user: str | None = Field(
        default=None,
        description=(
            "The uid demos run as when the service is root; unset: registry-sandbox if that "
            "system user exists, else nobody."
        ),
    )
    sandbox_allow_weak_isolation: bool = Field(
        default=False,
        description=(
            "Run demos with resource limits only when no wall is available (non-root without "
            "bubblewrap). Only on a machine without secrets; otherwise such runs are refused."
        ),
    )
    sandbox_url: str | None = Field(
        default=None,
        description=(
            "The sandbox runner service (python -m registry_common.sandbox) demos run in, "
            "instead of beside this service: set in AWS, where the wall is a separate task."
        ),
    )
    sandbox_hidden_paths: list[str] = Field(
        default_factory=list,
        description="Paths demos must never read besides REGISTRY_DATA_DIR (configuration).",
    )
    metric_timeout_seconds: float = Field(default=120.0, gt=0)
    reviewedness_max_commits: int = Field(default=100, ge=1)
