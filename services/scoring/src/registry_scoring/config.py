"""Scoring settings (prefix SCORING_)."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from registry_common.sandbox.settings import SandboxSettings
from registry_common.settings import RuntimeSettings


class ScoringSettings(SandboxSettings, BaseSettings):
    model_config = SettingsConfigDict(env_prefix="SCORING_", extra="ignore")

    runtime: RuntimeSettings = Field(default_factory=RuntimeSettings)
    reproducibility_timeout_seconds: float = Field(
        default=30.0, gt=0, description="Wall-clock limit of one run of a card's demo code."
    )
    reproducibility_repair_rounds: int = Field(default=3, ge=0)
    metric_timeout_seconds: float = Field(default=120.0, gt=0)
    reviewedness_max_commits: int = Field(default=100, ge=1)
