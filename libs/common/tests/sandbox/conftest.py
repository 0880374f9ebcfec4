"""Fixtures of the sandbox tests: the levels this host can build, a planted data directory."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from registry_common.sandbox import Isolation, available_levels

PYTHON = "/usr/bin/python3"  # the system interpreter: readable by any uid, no venv needed

# The levels with a wall (mount, pid and network namespaces); each hostile test runs under
# every one this host provides.
WALLED = [Isolation.BWRAP_UID, Isolation.BWRAP_USERNS, Isolation.UNSHARE_UID]


def walled_levels() -> list[object]:
    found = available_levels()
    return [
        pytest.param(level, id=level.value)
        if level in found
        else pytest.param(
            level, id=level.value, marks=pytest.mark.skip(reason=f"{level.value} not available")
        )
        for level in WALLED
    ]


@pytest.fixture
def data_dir() -> Iterator[Path]:
    """A registry data directory whose planted secret file any uid could read by its
    permission bits (0755 / 0644 up the whole path): only the sandbox's wall hides it."""
    base = Path(tempfile.mkdtemp(prefix="registry-data-", dir="/var/tmp"))
    base.chmod(0o755)
    (base / "secret.txt").write_text("PLANTED-DATA-SECRET\n")
    (base / "secret.txt").chmod(0o644)
    try:
        yield base
    finally:
        shutil.rmtree(base, ignore_errors=True)


@pytest.fixture
def python_available() -> None:
    if not os.access(PYTHON, os.X_OK):
        pytest.skip(f"{PYTHON} is needed for the hostile programs")
