"""Auth settings (prefix AUTH_)."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from registry_common.settings import RuntimeSettings


class AuthSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="AUTH_", extra="ignore")

    runtime: RuntimeSettings = Field(default_factory=RuntimeSettings)
    token_secret: str | None = Field(
        default=None,
        description=(
            "HMAC key that signs tokens. Unset: a random key is generated once and kept in "
            "<data_dir>/secrets/token-signing-key. In AWS it comes from Secrets Manager."
        ),
    )
    token_max_calls: int = Field(default=1000, ge=1)
    token_ttl_seconds: int = Field(default=10 * 3600, ge=1)
