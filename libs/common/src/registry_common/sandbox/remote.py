"""The sandbox as a separate service: a small internal HTTP runner and its client.

Where the wall cannot be built beside the services (AWS Fargate allows neither privileged
containers nor user namespaces), the programs run in their own task that holds no secret and
whose role grants nothing: ``python -m registry_common.sandbox`` serves ``POST /run`` there,
and the services use ``RemoteSandbox`` in place of ``Sandbox`` (the same ``run``).
The runner trusts its network boundary (a security group that admits only its callers): what
it runs is untrusted by definition, and it has nothing to steal.
"""

from __future__ import annotations

import asyncio
import base64
import time
from typing import Any, Literal, Protocol

import httpx
from fastapi import FastAPI, HTTPException
from pydantic import BaseModel, Field

from .model import Isolation, Limits, Outcome, SandboxRequest, SandboxResult
from .runner import Sandbox, SandboxOptions

RUN_PATH = "/run"


class SandboxRunner(Protocol):
    """What a caller needs of a sandbox, local or remote."""

    async def run(self, request: SandboxRequest) -> SandboxResult: ...


class LimitsBody(BaseModel):
    wall_seconds: float = Field(default=30.0, gt=0, le=3600)
    cpu_seconds: int = Field(default=60, gt=0, le=7200)
    memory_bytes: int = Field(default=2 * 1024**3, gt=0)
    processes: int = Field(default=64, ge=1, le=4096)
    file_size_bytes: int = Field(default=256 * 1024**2, gt=0)
    open_files: int = Field(default=256, ge=16, le=65536)
    output_bytes: int = Field(default=64 * 1024, ge=1, le=64 * 1024**2)
    tmp_bytes: int = Field(default=256 * 1024**2, gt=0)


class RunBody(BaseModel):
    command: str = Field(min_length=1)
    args: list[str] = Field(default_factory=list)
    files: dict[str, str] = Field(default_factory=dict, description="name -> base64 content")
    env: dict[str, str] = Field(default_factory=dict)
    limits: LimitsBody = Field(default_factory=LimitsBody)
    network: Literal["none", "allow-list", "open"] = "none"
    readonly_paths: list[str] = Field(default_factory=list)
    label: str = "program"
    allowed_endpoints: list[str] = Field(default_factory=list)


def request_body(request: SandboxRequest) -> dict[str, Any]:
    limits = request.limits
    return {
        "command": request.command,
        "args": list(request.args),
        "files": {name: base64.b64encode(data).decode() for name, data in request.files.items()},
        "env": dict(request.env),
        "limits": {
            "wall_seconds": limits.wall_seconds,
            "cpu_seconds": limits.cpu_seconds,
            "memory_bytes": limits.memory_bytes,
            "processes": limits.processes,
            "file_size_bytes": limits.file_size_bytes,
            "open_files": limits.open_files,
            "output_bytes": limits.output_bytes,
            "tmp_bytes": limits.tmp_bytes,
        },
        "network": request.network,
        "readonly_paths": list(request.readonly_paths),
        "label": request.label,
        "allowed_endpoints": list(request.allowed_endpoints),
    }


def _request_from(body: RunBody) -> SandboxRequest:
    return SandboxRequest(
        command=body.command,
        args=tuple(body.args),
        files={name: base64.b64decode(data, validate=True) for name, data in body.files.items()},
        env=body.env,
        limits=Limits(**body.limits.model_dump()),
        network=body.network,
        readonly_paths=tuple(body.readonly_paths),
        label=body.label,
        allowed_endpoints=tuple(body.allowed_endpoints),
    )


def result_body(result: SandboxResult) -> dict[str, Any]:
    return {
        "outcome": result.outcome.value,
        "exit_code": result.exit_code,
        "stdout": base64.b64encode(result.stdout).decode(),
        "stderr": base64.b64encode(result.stderr).decode(),
        "duration": result.duration,
        "isolation": result.isolation.value if result.isolation else None,
        "message": result.message,
    }


def result_from(body: dict[str, Any]) -> SandboxResult:
    isolation = body.get("isolation")
    return SandboxResult(
        outcome=Outcome(body["outcome"]),
        exit_code=body.get("exit_code"),
        stdout=base64.b64decode(body.get("stdout") or ""),
        stderr=base64.b64decode(body.get("stderr") or ""),
        duration=float(body.get("duration") or 0.0),
        isolation=Isolation(isolation) if isolation else None,
        message=str(body.get("message") or ""),
    )


def build_runner_app(sandbox: Sandbox, *, max_concurrent: int = 2) -> FastAPI:
    """The runner: ``POST /run`` runs one request behind ``sandbox`` and answers its result
    (200 for every outcome, including ``denied``); ``GET /health`` names the wall."""
    app = FastAPI(title="registry sandbox runner", docs_url=None, redoc_url=None)
    slots = asyncio.Semaphore(max_concurrent)

    @app.post(RUN_PATH)
    async def run(body: RunBody) -> dict[str, Any]:
        try:
            request = _request_from(body)
        except ValueError as exc:  # a file name that is a path, bad base64, unusable limits
            raise HTTPException(status_code=422, detail=f"invalid sandbox request: {exc}") from exc
        async with slots:
            return result_body(await sandbox.run(request))

    @app.get("/health")
    async def health() -> dict[str, str]:
        return {"status": "ok", "isolation": sandbox.isolation.value}

    return app


def configured_sandbox(url: str | None, options: SandboxOptions) -> SandboxRunner:
    """The runner service at ``url`` when one is configured (AWS: the wall is a separate
    task), else a local sandbox with ``options``; never a local fallback for a remote one."""
    return RemoteSandbox(url) if url else Sandbox(options)


class RemoteSandbox:
    """A ``Sandbox`` whose programs run in the runner service at ``url``."""

    def __init__(
        self,
        url: str,
        *,
        margin_seconds: float = 15.0,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.url = url.rstrip("/")
        self._margin = margin_seconds
        self._transport = transport

    async def run(self, request: SandboxRequest) -> SandboxResult:
        started = time.perf_counter()
        # The runner answers within the wall-clock limit plus its own overhead.
        timeout = request.limits.wall_seconds + self._margin
        try:
            async with httpx.AsyncClient(timeout=timeout, transport=self._transport) as client:
                response = await client.post(self.url + RUN_PATH, json=request_body(request))
            response.raise_for_status()
            return result_from(response.json())
        except (httpx.HTTPError, ValueError, KeyError) as exc:
            return SandboxResult(
                outcome=Outcome.FAILED_TO_START,
                exit_code=None,
                stdout=b"",
                stderr=b"",
                duration=time.perf_counter() - started,
                isolation=None,
                message=f"the sandbox runner at {self.url} failed: {type(exc).__name__}: {exc}",
            )
