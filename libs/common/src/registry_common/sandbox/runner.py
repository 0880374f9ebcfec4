"""Run one untrusted program behind the strongest wall this host can build.

``Sandbox(options).run(request)`` never raises for anything the program does: every ending
is a ``SandboxResult`` with an ``Outcome``. The steps of a run:

1. choose the isolation level (once per ``Sandbox``) and refuse the run (``denied``) when
   that level cannot honour the request: network ``none`` without a network namespace, a
   hidden path the sandbox uid could read without a mount namespace to hide it, or no wall
   at all unless the operator allowed it;
2. create a private run directory (0700, owned by the sandbox uid) with ``work`` (the
   program's current directory, holding the request's files), ``home`` and ``tmp``;
3. start ``prlimit`` -> (``bwrap`` | ``unshare`` | ``setpriv``) -> the command, with an
   environment built from scratch, in its own session;
4. read stdout and stderr with a byte cap each, killing the whole tree on overflow or at the
   wall-clock limit; delete the run directory.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import signal
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Literal

import structlog

from .egress import EgressProxy
from .isolation import (
    SANDBOX_PATH,
    Identity,
    available_levels,
    bwrap_argv,
    drops_uid,
    filters_network,
    isolates_network,
    prlimit_argv,
    readable_by,
    relay_argv,
    setpriv_argv,
    unshare_argv,
)
from .model import PROXY_PORT, Isolation, Outcome, SandboxRequest, SandboxResult

_log = structlog.get_logger().bind(component="sandbox")

_MEMORY_MARKERS = (
    b"MemoryError",
    b"Cannot allocate memory",
    b"out of memory",
    b"std::bad_alloc",
)
# Messages of the wrapping tools themselves: the program never started.
_TOOL_PREFIXES = (
    b"bwrap: ",
    b"setpriv: ",
    b"unshare: ",
    b"prlimit: ",
    b"sandbox-launch: ",
    b"sandbox-relay: ",
)
RELAY = Path(__file__).with_name("_relay.py")
EGRESS_SOCKET = "egress.sock"
_POLL_SECONDS = 0.05


@dataclass(frozen=True)
class SandboxOptions:
    """Deployment-wide settings of the sandbox (the request carries the per-run ones).

    ``hidden_paths``: the registry's data directory, its configuration and anything else the
    program must never read; checked on every run. ``user``: the dedicated uid (name or
    number) programs run as when the service is root; ``registry-sandbox`` if it exists, else
    ``nobody``. ``allow_weak_isolation``: run even where only resource limits are available
    (a developer machine without bubblewrap, as non-root); off by default.
    """

    isolation: Isolation | Literal["auto"] = "auto"
    user: str | int | tuple[int, int] | None = None
    base_dir: str | None = None
    hidden_paths: tuple[str, ...] = ()
    allow_weak_isolation: bool = False


class Sandbox:
    def __init__(self, options: SandboxOptions | None = None) -> None:
        self.options = options or SandboxOptions()
        self._level: Isolation | None = None
        self._identity: Identity | None = None

    # ------------------------------------------------------------------ level

    @property
    def isolation(self) -> Isolation:
        """The level in effect (probed on first use; logged once)."""
        if self._level is None:
            found = available_levels()
            wanted = self.options.isolation
            level = found[0] if wanted == "auto" else Isolation(wanted)
            self._level = level
            _log.info(
                "sandbox.isolation.selected",
                isolation=level.value,
                available=[lvl.value for lvl in found],
                requested=str(wanted),
            )
        return self._level

    @property
    def identity(self) -> Identity:
        if self._identity is None:
            self._identity = Identity.resolve(self.options.user)
        return self._identity

    def refusal(self, request: SandboxRequest) -> str | None:
        """Why this request cannot run behind this sandbox's wall, or None."""
        level = self.isolation
        if level not in available_levels():
            available = ", ".join(lvl.value for lvl in available_levels())
            return f"isolation {level.value} is not available on this host (available: {available})"
        if level is Isolation.RLIMITS and not self.options.allow_weak_isolation:
            return (
                "no sandbox wall is available (install bubblewrap, or run the service as root "
                "so programs get their own uid); set allow_weak_isolation only on a machine "
                "without secrets"
            )
        if request.network == "allow-list" and not filters_network(level):
            return (
                f"network policy 'allow-list' needs bubblewrap (a network namespace with its "
                f"own loopback and the egress proxy), which isolation {level.value} does not have"
            )
        if request.network == "none" and not isolates_network(level):
            return (
                f"network policy 'none' needs a network namespace, which isolation "
                f"{level.value} does not have (install bubblewrap or util-linux unshare)"
            )
        if level is Isolation.UID:
            for path in self.options.hidden_paths:
                if os.path.exists(path) and readable_by(path, self.identity):
                    return (
                        f"the sandbox uid {self.identity.uid} could read {path}: make it "
                        f"unreadable to others (chmod o-rwx) or install bubblewrap"
                    )
        return None

    # ------------------------------------------------------------------ run

    async def run(self, request: SandboxRequest) -> SandboxResult:
        """Run ``request`` in a worker thread; a cancelled caller kills the program.

        On cancellation this waits (briefly: the program is killed at once) for the worker to
        finish, so the run directory is gone when the cancellation arrives.
        """
        cancel = threading.Event()
        worker = asyncio.ensure_future(asyncio.to_thread(self.run_blocking, request, cancel))
        try:
            return await asyncio.shield(worker)
        except asyncio.CancelledError:
            cancel.set()  # threads cannot be interrupted: the worker polls this
            with contextlib.suppress(Exception):
                await worker
            raise

    def run_blocking(
        self, request: SandboxRequest, cancel: threading.Event | None = None
    ) -> SandboxResult:
        started = time.perf_counter()
        refused = self.refusal(request)
        level = self.isolation
        if refused is not None:
            return self._finish(request, Outcome.DENIED, None, b"", b"", started, level, refused)
        run_dir = Path(
            os.path.realpath(tempfile.mkdtemp(prefix="sandbox-", dir=self.options.base_dir))
        )
        proxy: EgressProxy | None = None
        try:
            self._prepare(run_dir, request, level)
            argv = self._argv(level, request, str(run_dir))
            env = _environment(request, run_dir)
            if request.network == "allow-list":
                try:
                    proxy = EgressProxy(
                        str(run_dir / EGRESS_SOCKET),
                        request.allowed_endpoints,
                        owner=(self.identity.uid, self.identity.gid) if drops_uid(level) else None,
                    )
                except OSError as exc:  # e.g. a base_dir too long for a Unix socket's path
                    message = (
                        f"could not start the egress proxy in {run_dir}: {exc.strerror or exc} "
                        f"(a shorter base directory helps: Unix socket paths are short)"
                    )
                    return self._finish(
                        request, Outcome.FAILED_TO_START, None, b"", b"", started, level, message
                    )
                shutil.copyfile(RELAY, run_dir / RELAY.name)
                relay = relay_argv(str(run_dir / RELAY.name), proxy.path, PROXY_PORT)
                argv = _before_command(argv, request, relay)
                proxy_url = f"http://127.0.0.1:{PROXY_PORT}"
                for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY"):
                    env[name] = env[name.lower()] = proxy_url
                for name in ("NO_PROXY", "no_proxy"):
                    env.pop(name, None)
            return self._execute(request, level, argv, env, run_dir, started, cancel)
        finally:
            if proxy is not None:
                proxy.close()
            shutil.rmtree(run_dir, ignore_errors=True)

    def _prepare(self, run_dir: Path, request: SandboxRequest, level: Isolation) -> None:
        for sub in ("work", "home", "tmp"):
            (run_dir / sub).mkdir(mode=0o700)
        for name, content in request.files.items():
            (run_dir / "work" / name).write_bytes(content)
        run_dir.chmod(0o700)
        if drops_uid(level):
            uid, gid = self.identity.uid, self.identity.gid
            for path in (run_dir, *run_dir.rglob("*")):
                os.chown(path, uid, gid)

    def _argv(self, level: Isolation, request: SandboxRequest, run_dir: str) -> list[str]:
        command = [request.command, *request.args]
        hidden = self.options.hidden_paths
        limits = request.limits
        if level in (Isolation.BWRAP_UID, Isolation.BWRAP_USERNS):
            nproc = level is Isolation.BWRAP_UID
            wall = bwrap_argv(level, request, run_dir, hidden, self.identity)
            return [*prlimit_argv(limits, nproc=nproc), *wall, *command]
        if level is Isolation.UNSHARE_UID:
            wall = unshare_argv(request, hidden, self.identity)
            return [*prlimit_argv(limits, nproc=True), *wall, *command]
        if level is Isolation.UID:
            return [*prlimit_argv(limits, nproc=True), *setpriv_argv(self.identity), *command]
        return [*prlimit_argv(limits, nproc=False), *command]

    def _execute(
        self,
        request: SandboxRequest,
        level: Isolation,
        argv: list[str],
        env: dict[str, str],
        run_dir: Path,
        started: float,
        cancel: threading.Event | None,
    ) -> SandboxResult:
        limits = request.limits
        try:
            proc = subprocess.Popen(  # noqa: S603 - fixed argv, no shell; the wall is the point
                argv,
                cwd=run_dir / "work",
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                start_new_session=True,
                close_fds=True,
            )
        except OSError as exc:
            message = f"could not start the sandbox: {exc.strerror or exc}"
            return self._finish(
                request, Outcome.FAILED_TO_START, None, b"", b"", started, level, message
            )
        assert proc.stdout is not None
        assert proc.stderr is not None
        overflow = threading.Event()
        out = _CappedReader(proc.stdout, limits.output_bytes, overflow.set)
        err = _CappedReader(proc.stderr, limits.output_bytes, overflow.set)
        deadline = started + limits.wall_seconds
        timed_out = cancelled = False
        while proc.poll() is None:
            if overflow.is_set():
                break
            if cancel is not None and cancel.is_set():
                cancelled = True
                break
            if time.perf_counter() >= deadline:
                timed_out = True
                break
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=_POLL_SECONDS)
        if proc.poll() is None:
            _kill_tree(proc.pid)
        proc.wait()
        _kill_tree(proc.pid)  # descendants left in the session (levels without a pid namespace)
        stdout, stderr = out.result(), err.result()
        code = proc.returncode
        if overflow.is_set():
            outcome, message = (
                Outcome.OUTPUT_TRUNCATED,
                f"killed: printed more than {limits.output_bytes} bytes on one stream",
            )
        elif cancelled:
            outcome, message = Outcome.KILLED, "killed: the caller cancelled the run"
        elif timed_out:
            outcome = Outcome.TIMED_OUT
            message = f"killed after the {limits.wall_seconds:g} s wall-clock limit"
        else:
            outcome, message = _classify(code, stderr, limits.cpu_seconds)
        return self._finish(request, outcome, code, stdout, stderr, started, level, message)

    def _finish(
        self,
        request: SandboxRequest,
        outcome: Outcome,
        code: int | None,
        stdout: bytes,
        stderr: bytes,
        started: float,
        level: Isolation | None,
        message: str,
    ) -> SandboxResult:
        result = SandboxResult(
            outcome=outcome,
            exit_code=code,
            stdout=stdout,
            stderr=stderr,
            duration=time.perf_counter() - started,
            isolation=level,
            message=message,
        )
        _log.info(
            "sandbox.run.finished",
            label=request.label,
            outcome=outcome.value,
            exit_code=code,
            isolation=level.value if level else None,
            network=request.network,
            duration=round(result.duration, 3),
            reason=message,
        )
        return result


def _before_command(argv: list[str], request: SandboxRequest, prefix: list[str]) -> list[str]:
    """``argv`` with ``prefix`` inserted just before the program's own command."""
    tail = len(request.args) + 1
    return [*argv[:-tail], *prefix, *argv[-tail:]]


def _environment(request: SandboxRequest, run_dir: Path) -> dict[str, str]:
    """The program's whole environment, built from nothing: never ``os.environ``."""
    env = {
        "PATH": SANDBOX_PATH,
        "HOME": str(run_dir / "home"),
        "TMPDIR": str(run_dir / "tmp"),
        "LANG": "C.UTF-8",
        "LC_ALL": "C.UTF-8",
    }
    env.update(request.env)
    return env


def _classify(code: int | None, stderr: bytes, cpu_seconds: int) -> tuple[Outcome, str]:
    """The outcome of a program that ended by itself (not timed out, not over its output)."""
    if code is None:
        return Outcome.KILLED, "ended without a status"
    if code != 0 and stderr.startswith(_TOOL_PREFIXES):
        first = stderr.decode("utf-8", "replace").strip().splitlines()[0]
        return Outcome.FAILED_TO_START, f"the program could not start: {first}"
    if code in (126, 127) and not stderr.strip():
        return Outcome.FAILED_TO_START, f"the command could not be executed (status {code})"
    signo = -code if code < 0 else None
    if signo is None and code > 128 and code - 128 < 65:
        # bubblewrap's and unshare's own status for a program killed by a signal
        signo = code - 128
    tail = stderr[-4096:]
    if signo is not None:
        name = _signal_name(signo)
        if signo == signal.SIGXCPU:
            return Outcome.KILLED_CPU, f"killed by {name} after {cpu_seconds} CPU seconds"
        if signo == signal.SIGXFSZ:
            return Outcome.FILE_TOO_LARGE, f"killed by {name}: wrote past its file-size limit"
        if any(marker in tail for marker in _MEMORY_MARKERS):
            return Outcome.KILLED_MEMORY, f"killed by {name}: out of memory"
        if signo == signal.SIGKILL:
            return Outcome.KILLED, "killed by SIGKILL (CPU time or memory limit)"
        return Outcome.KILLED, f"killed by {name}"
    if code != 0 and any(marker in tail for marker in _MEMORY_MARKERS):
        return Outcome.KILLED_MEMORY, "stopped: it ran out of its memory limit"
    return Outcome.COMPLETED, f"exited with status {code}"


def _signal_name(signo: int) -> str:
    try:
        return signal.Signals(signo).name
    except ValueError:
        return f"signal {signo}"


def _kill_tree(pid: int) -> None:
    """SIGKILL the run's session (its process group); a pid namespace dies with its first
    process (bubblewrap's --die-with-parent, unshare's --kill-child)."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signal.SIGKILL)
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.kill(pid, signal.SIGKILL)


class _CappedReader:
    """Reads a pipe in a thread keeping at most ``limit`` bytes; calls ``on_overflow`` once
    when the program wrote more."""

    def __init__(self, stream: IO[bytes], limit: int, on_overflow: Callable[[], None]) -> None:
        self._stream = stream
        self._limit = limit
        self._on_overflow = on_overflow
        self._kept = bytearray()
        self._thread = threading.Thread(target=self._read, name="sandbox-pipe", daemon=True)
        self._thread.start()

    def _read(self) -> None:
        fd = self._stream.fileno()
        try:
            while chunk := os.read(fd, 65536):
                room = self._limit - len(self._kept)
                self._kept += chunk[: max(room, 0)]
                if len(chunk) > room:
                    self._on_overflow()
                    return
        except OSError:
            return

    def result(self) -> bytes:
        # A descendant that escaped the process group (levels without a pid namespace) can
        # hold the pipe open: never wait for its end of file for long.
        self._thread.join(timeout=2.0)
        if not self._thread.is_alive():  # never close a descriptor another thread reads
            with contextlib.suppress(OSError):
                self._stream.close()
        return bytes(self._kept)
