"""Refusals, start failures, request validation and cancellation of the sandbox."""

from __future__ import annotations

import asyncio
import os
import signal
import time
from pathlib import Path

import pytest

from registry_common.sandbox import (
    Identity,
    Isolation,
    Limits,
    Outcome,
    Sandbox,
    SandboxOptions,
    SandboxRequest,
    available_levels,
)
from registry_common.sandbox.isolation import readable_by
from registry_common.sandbox.runner import _classify

from .conftest import PYTHON, walled_levels

root_only = pytest.mark.skipif(os.geteuid() != 0, reason="needs root (a dedicated uid)")


@root_only
def test_network_none_is_denied_without_a_network_namespace() -> None:
    sandbox = Sandbox(SandboxOptions(isolation=Isolation.UID))
    result = sandbox.run_blocking(SandboxRequest(PYTHON, ("-c", "print('ran')"), network="none"))
    assert result.outcome is Outcome.DENIED
    assert result.isolation is Isolation.UID
    assert "network namespace" in result.message
    assert result.stdout == b""


@root_only
def test_readable_hidden_path_is_denied_with_only_a_uid(data_dir: Path) -> None:
    sandbox = Sandbox(SandboxOptions(isolation=Isolation.UID, hidden_paths=(str(data_dir),)))
    request = SandboxRequest(PYTHON, ("-c", "print('ran')"), network="open")
    refused = sandbox.run_blocking(request)
    assert refused.outcome is Outcome.DENIED
    assert str(data_dir) in refused.message
    assert "chmod o-rwx" in refused.message
    # Made unreadable to others, the same directory no longer stops the run: the uid is the
    # wall, and the program really cannot read it.
    data_dir.chmod(0o700)
    program = f"open({str(data_dir / 'secret.txt')!r}).read()"
    ran = sandbox.run_blocking(SandboxRequest(PYTHON, ("-I", "-S", "-c", program), network="open"))
    assert ran.outcome is Outcome.COMPLETED, ran
    assert ran.exit_code == 1
    assert b"PermissionError" in ran.stderr


def test_no_wall_is_denied_unless_weak_isolation_is_allowed() -> None:
    request = SandboxRequest(PYTHON, ("-I", "-S", "-c", "print('ran')"), network="open")
    denied = Sandbox(SandboxOptions(isolation=Isolation.RLIMITS)).run_blocking(request)
    assert denied.outcome is Outcome.DENIED
    assert "bubblewrap" in denied.message
    allowed = Sandbox(
        SandboxOptions(isolation=Isolation.RLIMITS, allow_weak_isolation=True)
    ).run_blocking(request)
    assert allowed.ok, allowed
    assert allowed.stdout == b"ran\n"
    assert allowed.isolation is Isolation.RLIMITS


@pytest.mark.parametrize("level", walled_levels())
def test_a_missing_command_fails_to_start(level: Isolation) -> None:
    result = Sandbox(SandboxOptions(isolation=level)).run_blocking(
        SandboxRequest("/nonexistent/monitor", ("MODEL", "up", "down", "bundle.zip"))
    )
    assert result.outcome is Outcome.FAILED_TO_START, result
    assert result.isolation is level


def test_the_auto_level_is_the_strongest_available() -> None:
    sandbox = Sandbox()
    assert sandbox.isolation is available_levels()[0]


async def test_a_cancelled_caller_kills_the_program() -> None:
    level = available_levels()[0]
    if level is Isolation.RLIMITS:
        pytest.skip("no wall on this host")
    sandbox = Sandbox(SandboxOptions(isolation=level))
    request = SandboxRequest(
        PYTHON, ("-I", "-S", "-c", "import time; time.sleep(600)"), limits=Limits(wall_seconds=600)
    )
    task = asyncio.create_task(sandbox.run(request))
    await asyncio.sleep(1.0)
    started = time.perf_counter()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    # The worker thread returns as soon as its program is dead, far below the 600 s limit.
    assert time.perf_counter() - started < request.limits.wall_seconds


@pytest.mark.parametrize(
    ("name", "kwargs"),
    [
        ("a path", {"files": {"../escape": b""}}),
        ("hidden file", {"files": {".bashrc": b""}}),
        ("no command", {"command": ""}),
        ("a policy", {"network": "filtered"}),
        ("an allow-list of nothing", {"network": "allow-list"}),
    ],
)
def test_bad_requests_are_rejected(name: str, kwargs: dict[str, object]) -> None:
    fields: dict[str, object] = {"command": PYTHON, **kwargs}
    with pytest.raises(ValueError, match=r"sandbox|command|policy"):
        SandboxRequest(**fields)  # type: ignore[arg-type]


def test_limits_must_be_usable() -> None:
    with pytest.raises(ValueError, match="positive"):
        Limits(wall_seconds=0)
    with pytest.raises(ValueError, match="too small"):
        Limits(processes=0)


def test_classification_of_endings() -> None:
    assert _classify(0, b"", 5)[0] is Outcome.COMPLETED
    assert _classify(2, b"usage", 5)[0] is Outcome.COMPLETED
    assert _classify(-signal.SIGXCPU, b"", 5)[0] is Outcome.KILLED_CPU
    assert _classify(128 + signal.SIGXCPU, b"", 5)[0] is Outcome.KILLED_CPU  # via bubblewrap
    assert _classify(-signal.SIGXFSZ, b"", 5)[0] is Outcome.FILE_TOO_LARGE
    assert _classify(1, b"Traceback...\nMemoryError\n", 5)[0] is Outcome.KILLED_MEMORY
    node_oom = b"FATAL ERROR: Reached heap limit Allocation failed - JavaScript heap out of memory"
    assert _classify(-signal.SIGABRT, node_oom, 5)[0] is Outcome.KILLED_MEMORY
    assert _classify(-signal.SIGSEGV, b"", 5)[0] is Outcome.KILLED
    assert _classify(1, b"bwrap: execvp x: No such file", 5)[0] is Outcome.FAILED_TO_START


def test_readable_by_follows_every_ancestor(tmp_path: Path) -> None:
    nobody = Identity(65534, 65534)
    inner = tmp_path / "open"
    inner.mkdir()
    (inner / "file").write_text("x")
    tmp_path.chmod(0o755)
    inner.chmod(0o755)
    (inner / "file").chmod(0o644)
    # /tmp/pytest-of-<user> itself is 0700: nothing under it is readable by another uid.
    assert readable_by(str(inner / "file"), nobody) is readable_by(str(tmp_path.parent), nobody)
    inner.chmod(0o750)
    assert not readable_by(str(inner / "file"), nobody)
    assert not readable_by(str(tmp_path / "missing"), nobody)


def test_an_egress_proxy_that_cannot_start_is_a_start_failure(tmp_path: Path) -> None:
    level = available_levels()[0]
    if level not in (Isolation.BWRAP_UID, Isolation.BWRAP_USERNS):
        pytest.skip("the allow-list needs bubblewrap")
    deep = tmp_path / ("d" * 100)  # longer than a Unix socket path may be
    deep.mkdir()
    request = SandboxRequest(
        PYTHON, ("-c", "print('ran')"), network="allow-list", allowed_endpoints=("example.org:443",)
    )
    result = Sandbox(SandboxOptions(base_dir=str(deep))).run_blocking(request)
    assert result.outcome is Outcome.FAILED_TO_START
    assert "shorter base directory" in result.message
    assert list(deep.iterdir()) == []  # its run directory is gone
