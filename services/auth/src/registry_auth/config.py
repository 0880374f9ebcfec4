"""Auth settings (prefix AUTH_)."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, SecretStr
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
    initial_admin_password: SecretStr | None = Field(
        default=None,
        description=(
            "Password the default admin gets when it is created (first start) and on "
            "DELETE /reset. Unset: the contract's well-known password. A restart never "
            "changes an existing admin's password. In AWS it comes from Secrets Manager."
        ),
    )
    initial_admin_password_file: Path | None = Field(
        default=None,
        description="A file holding that password (a mounted secret); wins over the variable.",
    )
    login_free_failures: int = Field(
        default=10, ge=1, description="Failures one client may make on one account unslowed."
    )
    login_client_free_failures: int = Field(
        default=100, ge=1, description="Failures one client may make across all accounts."
    )
    login_account_free_failures: int = Field(
        default=50,
        ge=1,
        description="Failures one account may take from all clients together (distributed).",
    )
    login_max_delay_seconds: float = Field(
        default=60.0, gt=0, description="Longest wait imposed on one client (doubling back-off)."
    )
    login_account_max_delay_seconds: float = Field(
        default=5.0,
        gt=0,
        description=(
            "Longest wait an account-wide back-off imposes; clients that signed in to the "
            "account before are exempt from it."
        ),
    )

    def initial_admin_password_value(self) -> str | None:
        """The configured initial password, read from its file when one is named."""
        if self.initial_admin_password_file is not None:
            try:
                text = self.initial_admin_password_file.read_text(encoding="utf-8")
            except OSError as exc:
                raise ValueError(
                    f"AUTH_INITIAL_ADMIN_PASSWORD_FILE {self.initial_admin_password_file} "
                    f"cannot be read ({exc.strerror})."
                ) from exc
            return text.rstrip("\r\n")
        if self.initial_admin_password is not None:
            return self.initial_admin_password.get_secret_value()
        return None
