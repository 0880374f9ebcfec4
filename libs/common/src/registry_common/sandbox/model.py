"""What a sandbox run is asked to do and what it reports: plain, frozen values.

A run is generic: a command with its arguments, files copied into a fresh working directory,
an explicit environment (never the service's own), resource limits and a network policy.
The card demos of the scoring service and the download monitors (``node`` programs) are both
expressed this way; nothing here knows about Python, Node or model cards.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Literal

KIB = 1024
MIB = 1024 * KIB
GIB = 1024 * MIB

NetworkPolicy = Literal["none", "allow-list", "open"]
"""``none``: a network namespace with only its own loopback (nothing of the host's is
reachable, not even the host's loopback). ``allow-list``: the same namespace, plus an HTTP(S)
proxy on its loopback (``HTTP_PROXY``/``HTTPS_PROXY``) whose other end, outside the sandbox,
connects only to ``SandboxRequest.allowed_endpoints`` (``egress.py``); bubblewrap levels only.
``open``: the host's network, unfiltered."""

PROXY_PORT = 3128  # the allow-list proxy's port on the sandbox's own loopback


class Isolation(StrEnum):
    """The wall in effect, strongest first (docs/security/sandbox.md explains each)."""

    BWRAP_UID = "bwrap+uid"
    """bubblewrap started as root: mount, pid, ipc, uts (and network) namespaces, then the
    program drops to the dedicated sandbox uid with no capabilities and no_new_privs."""
    BWRAP_USERNS = "bwrap+userns"
    """bubblewrap started without root: the same namespaces inside a user namespace; the
    program keeps the service's uid on the host, but sees none of its files or processes."""
    UNSHARE_UID = "unshare+uid"
    """util-linux ``unshare`` as root (no bubblewrap): mount, pid, ipc, uts (and network)
    namespaces, a tmpfs over every hidden path, a fresh /proc, then the sandbox uid."""
    UID = "uid"
    """Only a separate uid (``setpriv``) and resource limits: no namespaces (e.g. AWS Fargate,
    which allows none). Hidden paths must be unreadable by that uid; network ``none`` is
    refused."""
    RLIMITS = "rlimits"
    """Resource limits and a clean environment only, as the service's own uid: no wall at
    all. Refused unless the operator allows weak isolation."""


STRENGTH: tuple[Isolation, ...] = (
    Isolation.BWRAP_UID,
    Isolation.BWRAP_USERNS,
    Isolation.UNSHARE_UID,
    Isolation.UID,
    Isolation.RLIMITS,
)


class Outcome(StrEnum):
    """How a run ended, one word a caller can branch on."""

    COMPLETED = "completed"  # the program exited by itself (see exit_code)
    TIMED_OUT = "timed_out"  # killed at the wall-clock limit
    KILLED_MEMORY = "killed_memory"  # ran out of its address-space limit
    KILLED_CPU = "killed_cpu"  # ran out of its CPU-seconds limit
    FILE_TOO_LARGE = "file_too_large"  # wrote past its file-size limit
    KILLED = "killed"  # ended by another signal
    OUTPUT_TRUNCATED = "output_truncated"  # printed more than the output cap: killed
    FAILED_TO_START = "failed_to_start"  # the command or the isolation tool could not start
    DENIED = "denied"  # refused before starting: the required wall is not available


@dataclass(frozen=True)
class Limits:
    """Resource limits of one run. Defaults suit a short Python program."""

    wall_seconds: float = 30.0  # the whole process tree is killed after this long
    cpu_seconds: int = 60  # RLIMIT_CPU, per process (SIGXCPU, then SIGKILL a second later)
    memory_bytes: int = 2 * GIB  # RLIMIT_AS, per process (virtual address space)
    processes: int = 64  # RLIMIT_NPROC of the sandbox uid (only with a dedicated uid)
    file_size_bytes: int = 256 * MIB  # RLIMIT_FSIZE: largest file it may write
    open_files: int = 256  # RLIMIT_NOFILE
    output_bytes: int = 64 * KIB  # per stream (stdout, stderr); more kills the program
    tmp_bytes: int = 256 * MIB  # size of the private /tmp (bubblewrap levels)

    def __post_init__(self) -> None:
        if self.wall_seconds <= 0 or self.cpu_seconds <= 0 or self.memory_bytes <= 0:
            raise ValueError("sandbox limits must be positive")
        if self.processes < 1 or self.output_bytes < 1 or self.open_files < 16:
            raise ValueError("sandbox limits are too small to start a program")


@dataclass(frozen=True)
class SandboxRequest:
    """One program to run.

    ``command`` is an absolute path (or a name found on the sandbox's ``PATH``); ``args``
    follow it. ``files`` (name -> content) are written into the working directory, which is
    the program's current directory: refer to them by relative name (``bundle.zip``).
    ``env`` is the program's whole environment besides ``PATH``, ``HOME``, ``TMPDIR`` and
    the locale (and the proxy variables under ``allow-list``), which the sandbox sets: put only
    non-secret values in it. ``readonly_paths``
    are host directories the program needs to read (an interpreter's prefix, a ``node``
    installation); ``/usr`` and the system libraries are always there.
    """

    command: str
    args: tuple[str, ...] = ()
    files: Mapping[str, bytes] = field(default_factory=dict)
    env: Mapping[str, str] = field(default_factory=dict)
    limits: Limits = field(default_factory=Limits)
    network: NetworkPolicy = "none"
    readonly_paths: tuple[str, ...] = ()
    label: str = "program"  # for logs: "card-demo", "download-monitor"
    allowed_endpoints: tuple[str, ...] = ()  # "https://huggingface.co", "host:port" (allow-list)

    def __post_init__(self) -> None:
        if not self.command:
            raise ValueError("a sandbox request needs a command")
        for name in self.files:
            if not name or name.startswith(("/", ".")) or "/" in name or "\x00" in name:
                raise ValueError(f"sandbox file names are plain names, not paths: {name!r}")
        if self.network not in ("none", "allow-list", "open"):
            raise ValueError(f"unknown network policy {self.network!r} (none, allow-list or open)")
        if self.network == "allow-list" and not self.allowed_endpoints:
            raise ValueError("the allow-list network policy needs allowed_endpoints")


@dataclass(frozen=True)
class SandboxResult:
    outcome: Outcome
    exit_code: int | None  # the program's status; negative: killed by that signal
    stdout: bytes  # at most limits.output_bytes (the head)
    stderr: bytes  # at most limits.output_bytes (the head)
    duration: float  # seconds, wall clock
    isolation: Isolation | None  # the wall it ran behind (None: it never started)
    message: str = ""  # a sentence on why it ended, for logs and reports

    @property
    def ok(self) -> bool:
        return self.outcome is Outcome.COMPLETED and self.exit_code == 0
