"""The runner service and its client: the same run, across HTTP (an ASGI transport in-process,
then a closed loopback port for the outage)."""

from __future__ import annotations

import socket

import httpx
import pytest

from registry_common.sandbox import (
    Isolation,
    Limits,
    Outcome,
    RemoteSandbox,
    Sandbox,
    SandboxOptions,
    SandboxRequest,
    available_levels,
    build_runner_app,
)
from registry_common.sandbox.__main__ import RunnerSettings, create_app

from .conftest import PYTHON


def _runner() -> RemoteSandbox:
    level = available_levels()[0]
    if level is Isolation.RLIMITS:
        pytest.skip("no wall on this host")
    app = build_runner_app(Sandbox(SandboxOptions(isolation=level)))
    return RemoteSandbox("http://sandbox.internal", transport=httpx.ASGITransport(app=app))


async def test_a_remote_run_returns_files_output_and_outcome() -> None:
    remote = _runner()
    request = SandboxRequest(
        PYTHON,
        ("-I", "-S", "-c", "import sys; print(open('in.bin', 'rb').read()[:3]); sys.exit(4)"),
        files={"in.bin": b"\x00\xffzip"},
    )
    result = await remote.run(request)
    assert result.outcome is Outcome.COMPLETED, result
    assert result.exit_code == 4
    assert result.stdout == b"b'\\x00\\xffz'\n"
    assert result.isolation is available_levels()[0]


async def test_a_remote_timeout_is_reported_as_such() -> None:
    remote = _runner()
    request = SandboxRequest(
        PYTHON, ("-I", "-S", "-c", "import time; time.sleep(60)"), limits=Limits(wall_seconds=1)
    )
    result = await remote.run(request)
    assert result.outcome is Outcome.TIMED_OUT
    assert result.duration >= 1


async def test_an_invalid_request_gets_a_422_that_says_why() -> None:
    app = build_runner_app(Sandbox())
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://sandbox.internal"
    ) as client:
        response = await client.post(
            "/run", json={"command": PYTHON, "files": {"../etc/passwd": "eA=="}}
        )
    assert response.status_code == 422
    assert "plain names" in response.json()["detail"]


async def test_an_unreachable_runner_is_a_start_failure_naming_it() -> None:
    with socket.socket() as probe:  # a loopback port with nothing listening
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    remote = RemoteSandbox(f"http://127.0.0.1:{port}")
    result = await remote.run(SandboxRequest(PYTHON, ("-c", "pass")))
    assert result.outcome is Outcome.FAILED_TO_START
    assert f"127.0.0.1:{port}" in result.message
    assert result.isolation is None


async def test_the_runner_service_reports_its_wall() -> None:
    app = create_app(RunnerSettings(isolation="auto"))
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://sandbox.internal"
    ) as client:
        response = await client.get("/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "isolation": available_levels()[0].value}
