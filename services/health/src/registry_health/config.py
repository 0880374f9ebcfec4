"""Health settings (prefix HEALTH_)."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from registry_common.settings import RuntimeSettings


class HealthSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="HEALTH_", extra="ignore")

    runtime: RuntimeSettings = Field(default_factory=RuntimeSettings)
