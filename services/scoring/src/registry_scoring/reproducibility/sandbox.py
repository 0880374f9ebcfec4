"""Run a demo program in an isolated, resource-limited subprocess.

Isolation measures (details and limits in ``docs/reproducibility.md``):

* a fresh interpreter of this environment started with ``-I`` (no user site, no ``PYTHON*``
  variables, script directory not on ``sys.path``), ``-B`` and ``-u``; stdin is /dev/null;
* a minimal environment built from scratch (nothing inherited: no credentials), with ``HOME``,
  ``TMPDIR``, the Hugging Face caches and the working directory inside a fresh temporary
  directory that is deleted afterwards;
* resource limits set by the child's bootstrap before any demo code runs (CPU seconds, address
  space, file size, open files, no core dumps; process count when a dedicated uid is used);
* a wall-clock timeout after which the whole process group (its own session) is killed;
* an audit-hook policy inside the child (``_bootstrap.py``): network only to the configured
  hub endpoint, no process creation, writes only inside the sandbox directory, no reading of
  other processes or of the service's home, working directory and secret paths;
* optionally (``run_as``) a different, unprivileged uid/gid for the child.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import math
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, Literal
from urllib.parse import urlsplit

from ._bootstrap import SENTINEL

__all__ = [
    "BOOTSTRAP",
    "RunFailure",
    "RunOutcome",
    "SandboxConfig",
    "default_deny_read",
    "run_program",
]

KIB = 1024
MIB = 1024 * KIB
GIB = 1024 * MIB

BOOTSTRAP = str(Path(__file__).with_name("_bootstrap.py"))
PROGRAM_NAME = "demo.py"

FailureKind = Literal["exception", "exit", "timeout", "signal", "sandbox"]


@dataclass(frozen=True)
class RunFailure:
    """Why a run failed, parsed from the child's report (or from how it ended)."""

    kind: FailureKind
    exc_type: str  # "NameError", "ModuleNotFoundError", "Timeout", "SIGXCPU", ...
    message: str
    name: str | None = None  # NameError.name / ImportError.name when the exception has one
    lineno: int | None = None  # line of the demo program where it failed

    @property
    def first_line(self) -> str:
        return self.message.strip().splitlines()[0] if self.message.strip() else ""

    def summary(self) -> str:
        """``"Type: first line of the message"``, for reports."""
        return f"{self.exc_type}: {self.first_line}" if self.first_line else self.exc_type


@dataclass(frozen=True)
class RunOutcome:
    ok: bool
    returncode: int | None
    stdout: str
    stderr: str  # the tail, truncated to SandboxConfig.output_bytes
    duration: float  # seconds, wall clock
    failure: RunFailure | None


def default_deny_read() -> tuple[str, ...]:
    """Paths the child may not read: the service's home and working directory, secret stores.

    Reads are deny-listed rather than allow-listed because Python and the libraries a demo
    imports read many system files. The interpreter's own directories (prefixes, ``sys.path``)
    stay readable even when they lie inside a denied directory (most specific rule wins).
    """
    paths = [
        os.path.expanduser("~"),
        "/root",
        "/etc/shadow",
        "/etc/gshadow",
        "/etc/sudoers",
        "/etc/sudoers.d",
        "/etc/ssh",
        "/run/secrets",
        "/var/run/secrets",
        "/var/lib/cloud",
    ]
    cwd = os.getcwd()
    if cwd != "/":
        paths.append(cwd)
    return tuple(dict.fromkeys(p for p in paths if p and p != "/"))


@dataclass(frozen=True)
class SandboxConfig:
    """Limits and reachability of one sandbox run."""

    hub_endpoint: str
    timeout: float = 30.0  # wall-clock seconds
    memory_bytes: int = 2 * GIB  # RLIMIT_AS (virtual address space)
    cpu_seconds: int | None = None  # RLIMIT_CPU; None = 2 x timeout (two busy threads)
    file_size_bytes: int = 1 * GIB  # RLIMIT_FSIZE: largest file the program may write
    open_files: int = 256  # RLIMIT_NOFILE
    output_bytes: int = 64 * KIB  # kept of stdout (head) and stderr (tail)
    extra_endpoints: tuple[str, ...] = ()  # e.g. the hub's LFS CDN, "https://cdn-lfs.hf.co"
    deny_read: tuple[str, ...] | None = None  # None = default_deny_read()
    run_as: tuple[int, int] | None = None  # (uid, gid) for the child, when started as root
    max_processes: int = 128  # RLIMIT_NPROC, applied only with run_as (see docs)
    base_dir: str | None = None  # parent of the per-run temporary directories
    extra_env: dict[str, str] = field(default_factory=dict)  # non-secret settings only

    def endpoints(self) -> list[tuple[str, int]]:
        found: list[tuple[str, int]] = []
        for url in (self.hub_endpoint, *self.extra_endpoints):
            parts = urlsplit(url if "://" in url else f"https://{url}")
            if not parts.hostname:
                raise ValueError(f"not an endpoint URL: {url!r}")
            port = parts.port or (80 if parts.scheme == "http" else 443)
            found.append((parts.hostname, port))
        return found

    def effective_cpu_seconds(self) -> int:
        return self.cpu_seconds if self.cpu_seconds is not None else 2 * math.ceil(self.timeout)


def _child_env(config: SandboxConfig, root: Path) -> dict[str, str]:
    """The child's whole environment: nothing of the parent's (no tokens, no cloud keys)."""
    cache = root / "cache"
    hf_home = root / "hf"
    env = {
        "PATH": "/usr/local/bin:/usr/bin:/bin",
        "HOME": str(root / "home"),
        "TMPDIR": str(root / "tmp"),
        "TEMP": str(root / "tmp"),
        "TMP": str(root / "tmp"),
        "LANG": "C.UTF-8",
        "LC_ALL": "C.UTF-8",
        "HF_ENDPOINT": config.hub_endpoint.rstrip("/"),
        "HF_HOME": str(hf_home),
        "HF_HUB_CACHE": str(hf_home / "hub"),
        "HF_HUB_DISABLE_TELEMETRY": "1",
        "HF_HUB_DISABLE_IMPLICIT_TOKEN": "1",
        "HF_HUB_DISABLE_PROGRESS_BARS": "1",
        "DO_NOT_TRACK": "1",
        "XDG_CACHE_HOME": str(cache),
        "TORCH_HOME": str(cache / "torch"),
        "MPLCONFIGDIR": str(cache / "matplotlib"),
        "NO_PROXY": "*",
        "no_proxy": "*",
        # A 2-core host runs two sandboxes at once: keep native thread pools small, and glibc
        # from reserving 64 MiB of address space per thread arena (RLIMIT_AS counts it).
        "OMP_NUM_THREADS": "1",
        "MKL_NUM_THREADS": "1",
        "OPENBLAS_NUM_THREADS": "1",
        "TOKENIZERS_PARALLELISM": "false",
        "MALLOC_ARENA_MAX": "2",
    }
    env.update(config.extra_env)
    return env


def _child_config(config: SandboxConfig, root: Path, program: Path) -> str:
    limits: dict[str, int | None] = {
        "cpu_seconds": config.effective_cpu_seconds(),
        "memory_bytes": config.memory_bytes,
        "file_size_bytes": config.file_size_bytes,
        "open_files": config.open_files,
        "core_bytes": 0,
        "processes": config.max_processes if config.run_as is not None else None,
    }
    deny_read = config.deny_read if config.deny_read is not None else default_deny_read()
    return json.dumps(
        {
            "program": str(program),
            "root": str(root),
            "endpoints": [list(e) for e in config.endpoints()],
            "limits": limits,
            "deny_read": list(deny_read),
        }
    )


def _read_bounded(stream: IO[bytes], limit: int, keep: str) -> bytes:
    """Read a pipe to EOF keeping at most ``limit`` bytes (its head or its tail)."""
    kept = bytearray()
    truncated = False
    while chunk := stream.read(64 * KIB):
        if keep == "head":
            room = limit - len(kept)
            if room > 0:
                kept += chunk[:room]
            truncated = truncated or len(chunk) > room
        else:
            kept += chunk
            if len(kept) > 2 * limit:
                del kept[: len(kept) - limit]
                truncated = True
    if keep == "tail" and len(kept) > limit:
        del kept[: len(kept) - limit]
        truncated = True
    if truncated:
        marker = b"\n[... output truncated ...]\n"
        return bytes(kept) + marker if keep == "head" else marker + bytes(kept)
    return bytes(kept)


def _kill_group(pid: int) -> None:
    """SIGKILL the child's process group (its own session), then the child itself."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signal.SIGKILL)
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.kill(pid, signal.SIGKILL)


def _parse_report(stderr: str) -> tuple[str, dict[str, Any] | None]:
    """Split the bootstrap's failure report (last sentinel line) from the rest of stderr."""
    report: dict[str, Any] | None = None
    kept: list[str] = []
    for line in stderr.splitlines():
        if line.startswith(SENTINEL + " "):
            try:
                parsed = json.loads(line[len(SENTINEL) + 1 :])
            except ValueError:
                continue
            if isinstance(parsed, dict):
                report = parsed
        else:
            kept.append(line)
    return "\n".join(kept).rstrip("\n") + ("\n" if kept else ""), report


_REFUSAL = re.compile(r"sandbox: [^'\"\n]*")
_EXCEPTION_LINE = re.compile(r"^(?:[A-Za-z_][\w]*\.)*(?P<type>[A-Z]\w*)(?:: (?P<message>.*))?$")


def _last_exception_line(stderr: str) -> tuple[str, str] | None:
    """``(type, message)`` from the last line of a traceback (``Type: message``), if any."""
    lines = [line for line in stderr.strip().splitlines() if line and not line[0].isspace()]
    if not lines or "Traceback (most recent call last):" not in stderr:
        return None
    found = _EXCEPTION_LINE.match(lines[-1])
    return (found["type"], found["message"] or "") if found else None


def _failure(
    returncode: int | None,
    stderr: str,
    report: dict[str, Any] | None,
    timed_out: bool,
    timeout: float,
) -> RunFailure | None:
    if timed_out:
        message = f"killed after the {timeout:g} s wall-clock limit"
        refusals = _REFUSAL.findall(stderr)
        if refusals:  # e.g. a client retrying a refused connection until the time ran out
            message += f" (last refusal: {refusals[-1]})"
        return RunFailure("timeout", "Timeout", message)
    if returncode == 0:
        return None
    if report is not None:
        exc_type = str(report.get("type") or "Exception")
        name = report.get("name")
        lineno = report.get("lineno")
        return RunFailure(
            "exit" if exc_type == "SystemExit" else "exception",
            exc_type,
            str(report.get("message") or "")[:4000],
            name if isinstance(name, str) else None,
            lineno if isinstance(lineno, int) else None,
        )
    if returncode is not None and returncode < 0:
        try:
            signame = signal.Signals(-returncode).name
        except ValueError:
            signame = f"signal {-returncode}"
        hint = {
            "SIGXCPU": " (CPU time limit)",
            "SIGKILL": " (CPU time limit or out of memory)",
            "SIGXFSZ": " (file size limit)",
            "SIGSEGV": " (crashed)",
        }.get(signame, "")
        return RunFailure("signal", signame, f"killed by {signame}{hint}")
    parsed = _last_exception_line(stderr)
    if parsed is not None:
        return RunFailure("exception", parsed[0], parsed[1])
    return RunFailure("sandbox", "ExitStatus", f"exited with status {returncode}")


def _make_root(base_dir: str | None) -> Path:
    return Path(os.path.realpath(tempfile.mkdtemp(prefix="repro-", dir=base_dir)))


def _prepare(root: Path, source: str, run_as: tuple[int, int] | None) -> Path:
    for sub in ("work", "home", "tmp", "cache", "hf"):
        (root / sub).mkdir()
    program = root / "work" / PROGRAM_NAME
    program.write_text(source, encoding="utf-8")
    if run_as is not None:
        uid, gid = run_as
        for path in (root, *root.rglob("*")):
            os.chown(path, uid, gid)
    return program


async def run_program(source: str, config: SandboxConfig) -> RunOutcome:
    """Run ``source`` as a demo program under ``config``; never raises for program failures."""
    # Synchronous on purpose (a few small local file operations): done in a worker thread, a
    # cancellation here would let the thread keep creating files while the cleanup below
    # deletes the directory, leaving debris behind.
    root = _make_root(config.base_dir)
    spawned: list[int] = []
    try:
        program = _prepare(root, source, config.run_as)
        identity: dict[str, Any] = {}
        if config.run_as is not None:
            identity = {"user": config.run_as[0], "group": config.run_as[1], "extra_groups": []}
        args = [sys.executable, "-I", "-B", "-u", BOOTSTRAP, _child_config(config, root, program)]
        # The child is spawned by the stdlib's subprocess from a worker thread, NOT by the event
        # loop: uvloop's spawn runs Python's at-fork hooks in the child, and huggingface_hub's
        # hook (closing its HTTP client) deadlocks there when another thread of this process
        # held that client's lock at fork time. subprocess.Popen without preexec_fn runs no
        # hooks, whatever loop is in use.
        started = time.perf_counter()
        returncode, raw_out, raw_err, timed_out = await asyncio.to_thread(
            _run_blocking,
            args,
            str(root / "work"),
            _child_env(config, root),
            identity,
            config,
            spawned,
        )
        duration = time.perf_counter() - started
        stdout = raw_out.decode("utf-8", "replace")
        stderr, report = _parse_report(raw_err.decode("utf-8", "replace"))
        failure = _failure(returncode, stderr, report, timed_out, config.timeout)
        return RunOutcome(
            ok=failure is None,
            returncode=returncode,
            stdout=stdout,
            stderr=stderr,
            duration=duration,
            failure=failure,
        )
    finally:
        for pid in spawned:  # cancelled while running: the worker thread cannot be interrupted
            _kill_group(pid)
        # The thread finishes even if this await is cancelled (threads cannot be interrupted).
        await asyncio.to_thread(shutil.rmtree, root, True)


def _run_blocking(
    args: list[str],
    cwd: str,
    env: dict[str, str],
    identity: dict[str, Any],
    config: SandboxConfig,
    spawned: list[int],
) -> tuple[int, bytes, bytes, bool]:
    """Spawn, collect bounded output, enforce the wall-clock limit; (returncode, out, err,
    timed_out). `spawned` gets the pid at once so a cancelled caller can kill the group."""
    proc = subprocess.Popen(  # noqa: S603 - fixed argv, no shell; the sandbox is the point
        args,
        cwd=cwd,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,
        close_fds=True,
        **identity,
    )
    spawned.append(proc.pid)
    assert proc.stdout is not None
    assert proc.stderr is not None
    with ThreadPoolExecutor(max_workers=2, thread_name_prefix="sandbox-pipe") as readers:
        out = readers.submit(_read_bounded, proc.stdout, config.output_bytes, "head")
        err = readers.submit(_read_bounded, proc.stderr, config.output_bytes, "tail")
        timed_out = False
        try:
            proc.wait(timeout=config.timeout)
        except subprocess.TimeoutExpired:
            timed_out = True
            _kill_group(proc.pid)
            proc.wait()
        # Pipes close when the last holder exits; a descendant that escaped the process group
        # could keep them open, so do not wait for EOF forever.
        stdout = out.result(timeout=2.0) if _settles(out) else b""
        stderr = err.result(timeout=2.0) if _settles(err) else b""
        for pipe in (proc.stdout, proc.stderr):
            with contextlib.suppress(OSError):
                pipe.close()
    spawned.remove(proc.pid)
    return proc.returncode, stdout, stderr, timed_out


def _settles(future: Future[bytes]) -> bool:
    try:
        future.result(timeout=2.0)
    except FutureTimeout:
        return False
    return True
