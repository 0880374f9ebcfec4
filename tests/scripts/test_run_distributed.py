"""`make run-distributed` (scripts/run_distributed.py) as an operator runs it: one command
starts the emulator, PostgreSQL and the six services, prints the gateway's URL, serves the
API through it, and Ctrl-C leaves no process behind."""

from __future__ import annotations

import contextlib
import os
import queue
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.fakes.github import FakeGitHub
from tests.fakes.hub import FakeHub
from tests.harness.registry import DEFAULT_ADMIN, DEFAULT_PASSWORD, free_port

ROOT = Path(__file__).resolve().parents[2]
STARTUP_SECONDS = 150
PROCESSES = {
    "aws-emulator",
    "postgres",
    "auth",
    "ingest",
    "scoring",
    "lineage",
    "health",
    "gateway",
}

pytestmark = [pytest.mark.integration, pytest.mark.e2e]


@pytest.fixture
def run_dir() -> Iterator[Path]:
    """Outside pytest's 0700 base directory: PostgreSQL runs as another user when we are
    root and must traverse every parent (and other pytest sessions reset that one's mode)."""
    path = Path(tempfile.mkdtemp(prefix="registry-run-"))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def _gone(pid: int) -> bool:
    """Exited: no such process, or a zombie nobody has reaped yet (it runs nothing)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except FileNotFoundError:
        return True
    return bool(re.search(r"^State:\s+Z", status, re.MULTILINE))


class Output:
    """The command's output, read by a thread so a full pipe never blocks it."""

    def __init__(self, process: subprocess.Popen[str]) -> None:
        self.lines: list[str] = []
        self._queue: queue.Queue[str | None] = queue.Queue()
        assert process.stdout is not None
        stream = process.stdout

        def pump() -> None:
            for line in stream:
                self._queue.put(line)
            self._queue.put(None)

        threading.Thread(target=pump, daemon=True).start()

    def until(self, marker: str, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                line = self._queue.get(timeout=0.5)
            except queue.Empty:
                continue
            if line is None:
                raise AssertionError("the command ended early:\n" + "".join(self.lines))
            self.lines.append(line)
            if marker in line:
                return
        raise AssertionError(f"no {marker!r} within {timeout} s:\n" + "".join(self.lines))

    @property
    def text(self) -> str:
        return "".join(self.lines)


def _run(
    run_dir: Path, port: int, fake_hub: FakeHub, fake_github: FakeGitHub
) -> subprocess.Popen[str]:
    env = {**os.environ, "HF_ENDPOINT": fake_hub.url, "GITHUB_API_URL": fake_github.url}
    command = [sys.executable, "-m", "scripts.run_distributed", "--port", str(port)]
    return subprocess.Popen(
        [*command, "--data-dir", str(run_dir)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def _pids(text: str) -> dict[str, int]:
    """The banner's "  <name>  pid <n>  <log>" lines."""
    return {
        name: int(pid) for name, pid in re.findall(r"^\s+([a-z-]+)\s+pid\s+(\d+)\s+/", text, re.M)
    }


def _all_gone(pids: dict[str, int], timeout: float = 15) -> None:
    deadline = time.monotonic() + timeout
    while not all(_gone(pid) for pid in pids.values()):
        left = {name: pid for name, pid in pids.items() if not _gone(pid)}
        assert time.monotonic() < deadline, f"still running: {left}"
        time.sleep(0.2)


def _cleanup(process: subprocess.Popen[str], pids: dict[str, int]) -> None:
    """Never leave a server behind, even when the test fails."""
    if process.poll() is None:
        process.kill()
        process.wait()
    for pid in pids.values():
        if not _gone(pid):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)


def test_run_distributed_starts_the_topology_and_ctrl_c_stops_it(
    run_dir: Path, fake_hub: FakeHub, fake_github: FakeGitHub
) -> None:
    port = free_port()
    process = _run(run_dir, port, fake_hub, fake_github)
    pids: dict[str, int] = {}
    try:
        output = Output(process)
        output.until("Press Ctrl-C to stop everything.", STARTUP_SECONDS)
        found = re.search(r"is up: (http://127\.0\.0\.1:\d+)", output.text)
        assert found, output.text
        url = found.group(1)
        assert url == f"http://127.0.0.1:{port}"
        pids = _pids(output.text)
        assert set(pids) == PROCESSES, output.text
        logs = run_dir / "logs"
        for name in ("auth", "ingest", "scoring", "lineage", "health", "gateway"):
            assert f"{logs / name}.log" in output.text

        with httpx.Client(base_url=url, timeout=30) as client:
            assert client.get("/health").json() == {"status": "ok"}
            token = client.put(
                "/authenticate",
                json={
                    "user": {"name": DEFAULT_ADMIN, "is_admin": True},
                    "secret": {"password": DEFAULT_PASSWORD},
                },
            )
            assert token.status_code == 200, token.text
            assert token.json().startswith("bearer ")
            # The health service reads every consumer's SQS queue and DLQ by name.
            queues = client.get("/health/dead-letters", headers={"X-Authorization": token.json()})
            assert queues.status_code == 200, queues.text
            assert [q["consumer"] for q in queues.json()["queues"]] == [
                "auth",
                "health",
                "ingest",
                "lineage",
                "scoring",
            ]
            assert client.get("/ui/").status_code == 200

        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=60) == 0, output.text
        _all_gone(pids)
        assert (logs / "gateway.log").stat().st_size > 0
    finally:
        _cleanup(process, pids)


def test_run_distributed_names_the_process_that_died(
    run_dir: Path, fake_hub: FakeHub, fake_github: FakeGitHub
) -> None:
    """The gateway's port is taken: the gateway exits, the command says so and where its
    log is, and stops everything it started."""
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = int(taken.getsockname()[1])
        process = _run(run_dir, port, fake_hub, fake_github)
        try:
            code = process.wait(timeout=STARTUP_SECONDS)
            assert process.stdout is not None
            text = process.stdout.read()
        finally:
            _cleanup(process, {})
    assert code == 1, text
    assert re.search(
        r"gateway exited with code \d+; its output: \S+gateway\.out, its log: \S+gateway\.log", text
    ), text
    assert "registry: stopped" in text
    # Nothing it started is left: no process has the run's directory on its command line.
    leftovers = []
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        with contextlib.suppress(OSError):
            if str(run_dir).encode() in cmdline.read_bytes() and not _gone(
                int(cmdline.parent.name)
            ):
                leftovers.append(cmdline.parent.name)
    assert not leftovers
