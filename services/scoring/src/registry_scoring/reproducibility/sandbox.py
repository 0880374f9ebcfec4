"""Run a demo program through the registry's sandbox, with the audit hook inside it.

The wall is the operating system's (``registry_common.sandbox``; docs/security/sandbox.md):
the program runs under its own uid in mount, pid and ipc namespaces (bubblewrap where
available), with an environment built from scratch, a private run directory that is deleted
afterwards, CPU, memory, file-size, process and output limits and a wall-clock limit that
kills its whole process tree. It sees neither the service's files nor its processes.

Inside that wall, and as defence in depth only, the child's bootstrap (``_bootstrap.py``):

* starts a fresh interpreter of this environment with ``-I``, ``-B`` and ``-u``; stdin is
  /dev/null;
* applies the resource limits again before any demo code runs;
* installs an audit-hook policy: network only to the configured hub endpoint, no process
  creation, writes only inside the run directory, no reading of other processes or of the
  service's home, working directory and secret paths.

The demo needs the hub: where the sandbox can filter egress (bubblewrap) its network policy is
``allow-list`` with the hub's endpoints, so even native code past the hook reaches only the hub;
elsewhere ``open``, confined by the remote runner's network boundary or only by the hook
(``network_for``; docs/security/sandbox.md).
"""

from __future__ import annotations

import asyncio
import json
import math
import os
import re
import signal
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

from registry_common.sandbox import (
    Isolation,
    Limits,
    NetworkPolicy,
    Outcome,
    Sandbox,
    SandboxOptions,
    SandboxRequest,
    SandboxResult,
    SandboxRunner,
)
from registry_common.sandbox.isolation import filters_network
from registry_common.sandbox.model import PROXY_PORT

from ._bootstrap import DEMO_NAME, SENTINEL

__all__ = [
    "BOOTSTRAP",
    "RunFailure",
    "RunOutcome",
    "SandboxConfig",
    "default_deny_read",
    "run_program",
]

_LOOPBACK_NAMES = frozenset({"localhost", "127.0.0.1", "::1", "[::1]"})
KIB = 1024
MIB = 1024 * KIB
GIB = 1024 * MIB

BOOTSTRAP = str(Path(__file__).with_name("_bootstrap.py"))
PROGRAM_NAME = DEMO_NAME
# The sandbox kills a program that prints more than this on one stream; the report keeps
# only `output_bytes` of it (stdout's head, stderr's tail).
OUTPUT_KILL_BYTES = 4 * MIB

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
    isolation: str | None = None  # the sandbox's wall (registry_common.sandbox.Isolation)


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
    deny_read: tuple[str, ...] | None = None  # None = default_deny_read() (the hook's list)
    run_as: tuple[int, int] | None = None  # (uid, gid); None = the sandbox's own user
    max_processes: int = 128  # RLIMIT_NPROC of the sandbox uid
    base_dir: str | None = None  # parent of the per-run directories
    extra_env: dict[str, str] = field(default_factory=dict)  # non-secret settings only
    # The wall (registry_common.sandbox.SandboxOptions): "auto" = the strongest available.
    isolation: Isolation | Literal["auto"] = "auto"
    hidden_paths: tuple[str, ...] = ()  # the registry's data directory and configuration
    allow_weak_isolation: bool = False  # run with no wall at all (never where secrets live)

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

    def sandbox(self) -> Sandbox:
        return Sandbox(
            SandboxOptions(
                isolation=self.isolation,
                user=self.run_as,
                base_dir=self.base_dir,
                hidden_paths=self.hidden_paths,
                allow_weak_isolation=self.allow_weak_isolation,
            )
        )


def _child_env(config: SandboxConfig) -> dict[str, str]:
    """The child's environment besides what the sandbox sets (PATH, HOME, TMPDIR, locale):
    nothing of the parent's (no tokens, no cloud keys). The bootstrap derives the cache
    directories from HOME."""
    env = {
        "HF_ENDPOINT": config.hub_endpoint.rstrip("/"),
        "HF_HUB_DISABLE_TELEMETRY": "1",
        "HF_HUB_DISABLE_IMPLICIT_TOKEN": "1",
        "HF_HUB_DISABLE_PROGRESS_BARS": "1",
        "DO_NOT_TRACK": "1",
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


def _allowed_endpoints(config: SandboxConfig) -> tuple[str, ...]:
    """The hub (and extra endpoints) as the egress proxy's allow-list; a loopback hub also under
    its loopback aliases (the fake hub's LFS redirects use ``localhost``)."""
    found: list[str] = []
    for host, port in config.endpoints():
        names = [host]
        if host.lower() in _LOOPBACK_NAMES:
            names = sorted(_LOOPBACK_NAMES - {"[::1]"})
        found += [f"[{name}]:{port}" if ":" in name else f"{name}:{port}" for name in names]
    return tuple(dict.fromkeys(found))


def network_for(sandbox: SandboxRunner) -> NetworkPolicy:
    """``allow-list`` where this host's sandbox can filter egress (bubblewrap): the demo reaches
    the hub and nothing else, whatever code it runs. Otherwise ``open``: a remote runner's own
    network boundary filters (AWS security group, compose network), and on a host without
    bubblewrap only the audit hook does (docs/security/sandbox.md)."""
    if isinstance(sandbox, Sandbox) and filters_network(sandbox.isolation):
        return "allow-list"
    return "open"


def _child_config(config: SandboxConfig, network: NetworkPolicy = "open") -> str:
    limits: dict[str, int | None] = {
        "cpu_seconds": config.effective_cpu_seconds(),
        "memory_bytes": config.memory_bytes,
        "file_size_bytes": config.file_size_bytes,
        "open_files": config.open_files,
        "core_bytes": 0,
        "processes": None,  # set by the sandbox for its uid (prlimit)
    }
    deny_read = config.deny_read if config.deny_read is not None else default_deny_read()
    endpoints = [list(e) for e in config.endpoints()]
    if network == "allow-list":  # the egress proxy on the sandbox's own loopback
        endpoints.append(["127.0.0.1", PROXY_PORT])
    return json.dumps(
        {
            "endpoints": endpoints,
            "limits": limits,
            "deny_read": list(deny_read),
        }
    )


def _interpreter_paths() -> tuple[str, ...]:
    """What the child interpreter reads: this environment (its packages) and the base Python."""
    found = [sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix]
    found.append(os.path.dirname(os.path.dirname(os.path.realpath(sys.executable))))
    return tuple(dict.fromkeys(os.path.realpath(p) for p in found if p and p != "/"))


def _keep(data: bytes, limit: int, keep: str) -> str:
    """At most ``limit`` bytes of an output (its head or its tail), marked when cut."""
    text_marker = b"\n[... output truncated ...]\n"
    if len(data) <= limit:
        kept = data
    elif keep == "head":
        kept = data[:limit] + text_marker
    else:
        kept = text_marker + data[-limit:]
    return kept.decode("utf-8", "replace")


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


def _request(source: str, config: SandboxConfig, network: NetworkPolicy) -> SandboxRequest:
    bootstrap = Path(BOOTSTRAP).read_bytes()
    return SandboxRequest(
        command=sys.executable,
        args=("-I", "-B", "-u", Path(BOOTSTRAP).name, _child_config(config, network)),
        files={Path(BOOTSTRAP).name: bootstrap, PROGRAM_NAME: source.encode("utf-8")},
        env=_child_env(config),
        limits=Limits(
            wall_seconds=config.timeout,
            cpu_seconds=config.effective_cpu_seconds(),
            memory_bytes=config.memory_bytes,
            processes=config.max_processes,
            file_size_bytes=config.file_size_bytes,
            open_files=config.open_files,
            output_bytes=max(OUTPUT_KILL_BYTES, config.output_bytes),
        ),
        # The demo downloads from the hub: only the hub where egress can be filtered, and
        # the hook limits it to the hub in any case (defence in depth).
        network=network,
        allowed_endpoints=_allowed_endpoints(config) if network == "allow-list" else (),
        readonly_paths=_interpreter_paths(),
        label="card-demo",
    )


def _returncode(result: SandboxResult) -> int | None:
    """The status as a plain child's would be: a signal death as ``-signal`` (the wrapping
    tools report it as ``128 + signal``)."""
    code = result.exit_code
    signalled = (Outcome.KILLED, Outcome.KILLED_CPU, Outcome.KILLED_MEMORY, Outcome.FILE_TOO_LARGE)
    if code is not None and code > 128 and result.outcome in signalled:
        with_signal = code - 128
        if with_signal in {int(s) for s in signal.Signals}:
            return -with_signal
    return code


async def run_program(
    source: str, config: SandboxConfig, sandbox: SandboxRunner | None = None
) -> RunOutcome:
    """Run ``source`` as a demo program under ``config``; never raises for program failures.

    ``sandbox`` is the registry's sandbox to run it in (default: one built from ``config``).
    """
    runner = sandbox or config.sandbox()
    network = await asyncio.to_thread(network_for, runner)  # may probe the host once
    result = await runner.run(_request(source, config, network))
    stdout = _keep(result.stdout, config.output_bytes, "head")
    stderr, report = _parse_report(result.stderr.decode("utf-8", "replace"))
    stderr = _keep(stderr.encode("utf-8"), config.output_bytes, "tail")
    failure: RunFailure | None
    if result.outcome in (Outcome.DENIED, Outcome.FAILED_TO_START, Outcome.OUTPUT_TRUNCATED):
        failure = RunFailure("sandbox", f"Sandbox:{result.outcome.value}", result.message)
    else:
        timed_out = result.outcome is Outcome.TIMED_OUT
        failure = _failure(_returncode(result), stderr, report, timed_out, config.timeout)
    return RunOutcome(
        ok=failure is None,
        returncode=_returncode(result),
        stdout=stdout,
        stderr=stderr,
        duration=result.duration,
        failure=failure,
        isolation=result.isolation.value if result.isolation else None,
    )
