"""Which wall this host can build, and the command line that builds it.

Each level wraps the program's argv in tools from Debian (``prlimit``, ``setpriv`` and
``unshare`` from util-linux, ``bwrap`` from bubblewrap). No ``preexec_fn`` is used: a Python
callback between fork and exec runs the process's at-fork hooks, and some libraries' hooks
deadlock there (docs/reproducibility.md); small exec'd tools do the same work safely.
"""

from __future__ import annotations

import functools
import os
import pwd
import shutil
import stat
import subprocess
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from .model import STRENGTH, Isolation, Limits, SandboxRequest

# Host paths every program may read (when present): the system's programs and libraries,
# TLS roots, name resolution and time zones. Nothing under /etc that holds a secret.
SYSTEM_PATHS = (
    "/usr",
    "/bin",
    "/sbin",
    "/lib",
    "/lib32",
    "/lib64",
    "/libx32",
    "/etc/ssl",
    "/etc/ca-certificates",
    "/etc/pki",
    "/etc/alternatives",
    "/etc/ld.so.cache",
    "/etc/ld.so.conf",
    "/etc/ld.so.conf.d",
    "/etc/localtime",
    "/etc/nsswitch.conf",
    "/etc/hosts",
    "/etc/resolv.conf",
    "/etc/passwd",
    "/etc/group",
    "/etc/mime.types",
)
SANDBOX_PATH = "/usr/local/bin:/usr/bin:/bin"
SANDBOX_USER = "registry-sandbox"
NOBODY = 65534


@dataclass(frozen=True)
class Identity:
    """The unprivileged uid/gid programs run as (used when the service runs as root)."""

    uid: int
    gid: int

    @classmethod
    def resolve(cls, user: str | int | tuple[int, int] | None) -> Identity:
        """``registry-sandbox`` if that system user exists, else ``nobody`` (65534)."""
        if isinstance(user, tuple):
            uid, gid = user
            if uid == 0 or gid == 0:
                raise ValueError("the sandbox user must not be root")
            return cls(uid, gid)
        if isinstance(user, int):
            if user == 0:
                raise ValueError("the sandbox user must not be root")
            return cls(user, user)
        try:
            entry = pwd.getpwnam(user or SANDBOX_USER)
        except KeyError:
            if user not in (None, SANDBOX_USER):
                raise ValueError(f"sandbox user {user!r} does not exist") from None
            return cls(NOBODY, NOBODY)
        if entry.pw_uid == 0:
            raise ValueError("the sandbox user must not be root")
        return cls(entry.pw_uid, entry.pw_gid)


@functools.cache
def _tool(name: str) -> str | None:
    return shutil.which(name, path="/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin")


@functools.cache
def _works(argv: tuple[str, ...]) -> bool:
    """Whether a probe command succeeds (namespaces may be forbidden by the host)."""
    try:
        done = subprocess.run(  # noqa: S603 - fixed probe commands of this module
            argv, stdin=subprocess.DEVNULL, capture_output=True, timeout=10, env={}, check=False
        )
    except (OSError, subprocess.TimeoutExpired):
        return False
    return done.returncode == 0


def available_levels() -> tuple[Isolation, ...]:
    """Every level this host can build now, strongest first (probed once per process)."""
    root = os.geteuid() == 0
    found: list[Isolation] = []
    bwrap, unshare, setpriv = _tool("bwrap"), _tool("unshare"), _tool("setpriv")
    true = _tool("true") or "/bin/true"
    if bwrap and root and setpriv:
        probe: tuple[str, ...] = ("--unshare-pid", "--unshare-net", "--ro-bind", "/", "/")
        if _works((bwrap, *probe, "--", true)):
            found.append(Isolation.BWRAP_UID)
    if bwrap and not root and _works((bwrap, "--unshare-all", "--ro-bind", "/", "/", "--", true)):
        found.append(Isolation.BWRAP_USERNS)
    namespaces = ("--mount", "--pid", "--net", "--fork", "--mount-proc")
    if unshare and root and setpriv and _works((unshare, *namespaces, "--", true)):
        found.append(Isolation.UNSHARE_UID)
    if root and setpriv:
        found.append(Isolation.UID)
    found.append(Isolation.RLIMITS)
    return tuple(level for level in STRENGTH if level in found)


def drops_uid(level: Isolation) -> bool:
    return level in (Isolation.BWRAP_UID, Isolation.UNSHARE_UID, Isolation.UID)


def hides_paths(level: Isolation) -> bool:
    """Whether the level's mount namespace hides the host's files (not only permissions)."""
    return level in (Isolation.BWRAP_UID, Isolation.BWRAP_USERNS, Isolation.UNSHARE_UID)


def isolates_network(level: Isolation) -> bool:
    return level in (Isolation.BWRAP_UID, Isolation.BWRAP_USERNS, Isolation.UNSHARE_UID)


def filters_network(level: Isolation) -> bool:
    """Whether the allow-list can be built: a network namespace whose loopback is up (bubblewrap
    brings it up; a bare ``unshare --net`` leaves it down) and a system Python for the relay."""
    return level in (Isolation.BWRAP_UID, Isolation.BWRAP_USERNS) and _tool("python3") is not None


def relay_argv(relay: str, socket_path: str, port: int) -> list[str]:
    return [_tool("python3") or "python3", "-I", "-S", relay, socket_path, str(port), "--"]


def readable_by(path: str, identity: Identity) -> bool:
    """Whether ``identity`` could read ``path`` by its permission bits (ACLs aside): every
    ancestor directory searchable, the path itself readable."""
    target = Path(os.path.realpath(path))
    chain = [*reversed(target.parents), target]
    for index, entry in enumerate(chain):
        try:
            info = entry.stat()
        except OSError:
            return False
        last = index == len(chain) - 1
        need = stat.S_IROTH if last else stat.S_IXOTH
        if info.st_uid == identity.uid:
            need <<= 6
        elif info.st_gid == identity.gid:
            need <<= 3
        if not info.st_mode & need:
            return False
    return True


def prlimit_argv(limits: Limits, *, nproc: bool) -> list[str]:
    """``prlimit`` with the run's limits; they are inherited through every exec after it."""
    argv = [
        _tool("prlimit") or "prlimit",
        # SIGXCPU at the soft limit, SIGKILL at the hard limit one second later.
        f"--cpu={limits.cpu_seconds}:{limits.cpu_seconds + 1}",
        f"--as={limits.memory_bytes}",
        f"--fsize={limits.file_size_bytes}",
        f"--nofile={limits.open_files}",
        "--core=0",
    ]
    if nproc:
        # RLIMIT_NPROC counts every process of the uid, so it is only meaningful for the
        # dedicated sandbox uid (for the service's uid it would count the service itself).
        argv.append(f"--nproc={limits.processes}")
    return [*argv, "--"]


def setpriv_argv(identity: Identity) -> list[str]:
    return [
        _tool("setpriv") or "setpriv",
        f"--reuid={identity.uid}",
        f"--regid={identity.gid}",
        "--clear-groups",
        "--no-new-privs",
        "--inh-caps=-all",
        "--bounding-set=-all",
        "--",
    ]


def _ancestors(path: str) -> list[str]:
    parts = Path(path).parents
    return [str(p) for p in reversed(parts) if str(p) != "/"]


def bwrap_argv(
    level: Isolation,
    request: SandboxRequest,
    run_dir: str,
    hidden: Iterable[str],
    identity: Identity,
) -> list[str]:
    """bubblewrap: a new root with read-only system paths, the run directory read-write at
    its own path, a private /tmp, /proc and /dev, and nothing else of the host."""
    argv = [_tool("bwrap") or "bwrap"]
    if level is Isolation.BWRAP_USERNS:
        argv.append("--unshare-user")
    argv += ["--unshare-pid", "--unshare-ipc", "--unshare-uts", "--unshare-cgroup-try"]
    if request.network != "open":
        argv.append("--unshare-net")
    argv += ["--die-with-parent", "--new-session", "--hostname", "sandbox"]
    made: set[str] = set()

    def parents(dest: str) -> None:
        # bubblewrap creates missing mount points 0700 (root's): make them traversable.
        for ancestor in _ancestors(dest):
            if ancestor not in made:
                made.add(ancestor)
                argv.extend(["--perms", "0755", "--dir", ancestor])

    readonly = [*SYSTEM_PATHS, *request.readonly_paths]
    for path in dict.fromkeys(readonly):
        if not os.path.lexists(path):
            continue
        if os.path.islink(path) and path in SYSTEM_PATHS and path.count("/") == 1:
            argv.extend(["--symlink", os.readlink(path), path])  # /lib -> usr/lib (merged /usr)
            continue
        parents(path)
        argv.extend(["--ro-bind", path, path])
    argv += ["--proc", "/proc", "--dev", "/dev"]
    argv += ["--size", str(request.limits.tmp_bytes), "--perms", "1777", "--tmpfs", "/tmp"]  # noqa: S108 - the private one
    parents(run_dir)
    argv.extend(["--bind", run_dir, run_dir])
    bound = [os.path.realpath(p) for p in readonly if os.path.lexists(p)]
    for path in hidden:
        real = os.path.realpath(path)
        if not os.path.exists(real):
            continue
        if any(real == b or real.startswith(b.rstrip("/") + "/") for b in bound):
            # A secret inside a path the program needs: cover it.
            if os.path.isdir(real):
                argv.extend(["--perms", "0000", "--tmpfs", real])
            else:
                argv.extend(["--ro-bind", "/dev/null", real])
    argv.extend(["--chdir", f"{run_dir}/work"])
    if level is Isolation.BWRAP_UID:
        # Started as root (a privileged bubblewrap can bind any path): the program itself
        # runs as the sandbox uid, with every capability dropped, after setpriv.
        argv += ["--cap-add", "CAP_SETUID", "--cap-add", "CAP_SETGID", "--"]
        argv += setpriv_argv(identity)
    else:
        argv.append("--")
    return argv


_UNSHARE_SCRIPT = (
    # Runs as root inside the new mount namespace, before the uid is dropped: cover each
    # hidden path with an empty, unreadable tmpfs, then become the sandbox uid. The shell
    # waits instead of exec'ing so a program killed by a signal ends as status 128+N, the
    # convention bubblewrap follows too (unshare's own re-raising of the signal fails).
    'while [ "$1" != "--" ]; do if [ -d "$1" ]; then '
    'mount -t tmpfs -o size=4k,mode=000 sandbox-hidden "$1"; '
    'else mount --bind /dev/null "$1"; fi || exit 125; shift; done; shift; "$@"; exit $?'
)


def unshare_argv(request: SandboxRequest, hidden: Iterable[str], identity: Identity) -> list[str]:
    argv = [_tool("unshare") or "unshare", "--mount", "--pid", "--ipc", "--uts"]
    if request.network == "none":
        argv.append("--net")
    argv += ["--fork", "--kill-child", "--mount-proc", "--propagation", "private", "--"]
    covered = [os.path.realpath(p) for p in hidden if os.path.exists(p)]
    argv += [_tool("sh") or "/bin/sh", "-c", _UNSHARE_SCRIPT, "sandbox-launch", *covered, "--"]
    return argv + setpriv_argv(identity)
