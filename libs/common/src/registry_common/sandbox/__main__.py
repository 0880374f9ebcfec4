"""``python -m registry_common.sandbox``: the sandbox runner service (remote.py).

Settings (prefix ``SANDBOX_``): ``ISOLATION`` (auto), ``USER``, ``HIDDEN_PATHS`` (JSON list),
``ALLOW_WEAK_ISOLATION`` (false), ``MAX_CONCURRENT`` (2); ``HOST``/``PORT`` as every service.
"""

from __future__ import annotations

from typing import Literal

from fastapi import FastAPI
from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from registry_common.serve import serve

from .model import Isolation
from .remote import build_runner_app
from .runner import Sandbox, SandboxOptions


class RunnerSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="SANDBOX_", extra="ignore")

    isolation: Literal["auto", "bwrap+uid", "bwrap+userns", "unshare+uid", "uid"] = "auto"
    user: str | None = None
    hidden_paths: list[str] = Field(default_factory=list)
    allow_weak_isolation: bool = False
    max_concurrent: int = Field(default=2, ge=1)


def create_app(settings: RunnerSettings | None = None) -> FastAPI:
    settings = settings or RunnerSettings()
    sandbox = Sandbox(
        SandboxOptions(
            isolation="auto" if settings.isolation == "auto" else Isolation(settings.isolation),
            user=settings.user,
            hidden_paths=tuple(settings.hidden_paths),
            allow_weak_isolation=settings.allow_weak_isolation,
        )
    )
    return build_runner_app(sandbox, max_concurrent=settings.max_concurrent)


if __name__ == "__main__":
    serve(create_app, "sandbox")
