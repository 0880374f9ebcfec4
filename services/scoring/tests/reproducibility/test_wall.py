"""The scoring service's sandbox, as its composition root builds it, hides the data directory."""

from __future__ import annotations

import os
import shutil
import tempfile
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from registry_common.sandbox import Isolation
from registry_common.settings import RuntimeSettings
from registry_scoring.app import build_sandbox
from registry_scoring.config import ScoringSettings
from registry_scoring.reproducibility.sandbox import SandboxConfig, run_program


@pytest.fixture
def data_dir() -> Iterator[Path]:
    """A data directory any uid could read by its permission bits (only the wall hides it)."""
    base = Path(tempfile.mkdtemp(prefix="registry-data-", dir="/var/tmp"))
    base.chmod(0o755)
    (base / "db").mkdir(mode=0o755)
    (base / "db" / "auth.sqlite3").write_text("planted-password-hash-0b7e")
    (base / "db" / "auth.sqlite3").chmod(0o644)
    try:
        yield base
    finally:
        shutil.rmtree(base, ignore_errors=True)


async def test_demos_cannot_read_the_data_directory(hub_url: str, data_dir: Path) -> None:
    settings = ScoringSettings(runtime=RuntimeSettings(data_dir=data_dir))
    sandbox = build_sandbox(settings)
    if sandbox.isolation in (Isolation.UID, Isolation.RLIMITS):
        pytest.skip("no mount namespace on this host")
    # Through libc (past the audit hook): only the operating system stands in the way.
    program = textwrap.dedent(
        f"""
        import ctypes
        libc = ctypes.CDLL(None)
        buffer = ctypes.create_string_buffer(4096)
        fd = libc.open(b"{data_dir}/db/auth.sqlite3", 0)
        size = libc.read(fd, buffer, 4096) if fd >= 0 else -1
        print("opened" if fd >= 0 else "absent", buffer.raw[: max(size, 0)])
        """
    )
    outcome = await run_program(program, SandboxConfig(hub_endpoint=hub_url), sandbox)
    assert outcome.ok, outcome.stderr
    assert "planted-password-hash" not in outcome.stdout
    assert outcome.stdout.startswith("absent")
    assert outcome.isolation == sandbox.isolation.value
    # the control: the file is there and readable on the host
    assert "planted" in (data_dir / "db" / "auth.sqlite3").read_text()


async def test_a_readable_data_directory_is_refused_where_only_a_uid_separates(
    hub_url: str,
) -> None:
    if os.geteuid() != 0:
        pytest.skip("the uid level needs root")
    # The uid level (AWS Fargate) has no mount namespace: a data directory readable by the
    # sandbox uid would be readable by the demo, so the run is refused with what to change.
    world_readable = Path(tempfile.mkdtemp(prefix="registry-data-", dir="/var/tmp"))
    world_readable.chmod(0o755)  # noqa: ASYNC240 - test setup
    try:
        refused = build_sandbox(
            ScoringSettings(
                runtime=RuntimeSettings(data_dir=world_readable), sandbox_isolation="uid"
            )
        )
        outcome = await run_program("print('ran')", SandboxConfig(hub_endpoint=hub_url), refused)
    finally:
        shutil.rmtree(world_readable, ignore_errors=True)
    assert outcome.failure is not None
    assert outcome.failure.exc_type == "Sandbox:denied"
    assert "chmod o-rwx" in outcome.failure.message
    assert outcome.isolation == Isolation.UID.value
