"""The sandbox settings every service that runs untrusted programs shares (scoring's card
demos, ingest's download monitors): one definition, each service's own prefix
(`SCORING_SANDBOX_URL`, `INGEST_SANDBOX_URL`, ...)."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field

from .model import Isolation
from .remote import SandboxRunner, configured_sandbox
from .runner import SandboxOptions


class SandboxSettings(BaseModel):
    """Mixed into a service's settings; `sandbox_runner(data_dir)` builds the wall."""

    sandbox_isolation: Literal["auto", "bwrap+uid", "bwrap+userns", "unshare+uid", "uid"] = Field(
        default="auto",
        description=(
            "The wall untrusted programs run behind (docs/security/sandbox.md); auto: the "
            "strongest this host provides."
        ),
    )
    sandbox_user: str | None = Field(
        default=None,
        description=(
            "The uid untrusted programs run as when the service is root; unset: "
            "registry-sandbox if that system user exists, else nobody."
        ),
    )
    sandbox_allow_weak_isolation: bool = Field(
        default=False,
        description=(
            "Run untrusted programs with resource limits only when no wall is available "
            "(non-root without bubblewrap). Only on a machine without secrets; otherwise such "
            "runs are refused."
        ),
    )
    sandbox_url: str | None = Field(
        default=None,
        description=(
            "The sandbox runner service (python -m registry_common.sandbox) programs run in, "
            "instead of beside this service: set in AWS, where the wall is a separate task."
        ),
    )
    sandbox_hidden_paths: list[str] = Field(
        default_factory=list,
        description="Paths programs must never read besides REGISTRY_DATA_DIR (configuration).",
    )

    def sandbox_runner(self, data_dir: Path) -> SandboxRunner:
        """The runner service when one is configured (AWS), else a local sandbox that hides
        the data directory and configuration (the level is probed on the first run)."""
        hidden = (str(data_dir.resolve()), *self.sandbox_hidden_paths)
        isolation = self.sandbox_isolation
        return configured_sandbox(
            self.sandbox_url,
            SandboxOptions(
                isolation="auto" if isolation == "auto" else Isolation(isolation),
                user=self.sandbox_user,
                hidden_paths=hidden,
                allow_weak_isolation=self.sandbox_allow_weak_isolation,
            ),
        )
