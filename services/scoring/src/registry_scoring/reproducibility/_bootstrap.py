"""Child side of the reproducibility sandbox: limits, audit-hook policy, then the demo program.

Run as ``python -I -B -u _bootstrap.py <config-json>`` by ``sandbox.py``, through the registry's
sandbox (``registry_common.sandbox``: its own uid and namespaces, which are the wall); standard
library only.
The order matters: everything trusted (resource limits, DNS pinning of the hub endpoint,
neutralising ``_posixsubprocess``) happens *before* the audit hook is installed, and the demo
program runs only after it.

The hook (``_audit``) is written defensively because the program it polices runs in the same
interpreter:

* it never looks up a global or builtin name at call time (everything it uses arrives in the
  ``state`` tuple bound by ``functools.partial``), so monkeypatching ``builtins`` or ``os`` cannot
  change its behaviour (a test disassembles it to check);
* its state is immutable (tuples, frozensets, strings, ints, C functions): the frame of a refusal
  is visible in the traceback the program receives, so anything reachable from it must be
  read-only;
* it only inspects arguments of exact built-in types (``type(x) is str``) and never calls a
  method the program could override, so no program code ever runs inside the hook.

This is defence in depth, not the wall: CPython documents audit hooks as unsuitable for
sandboxing against code that can execute native code or craft bytecode. See
``docs/reproducibility.md`` for what it stops and what it does not.
"""

from __future__ import annotations

import contextlib
import json
import os
import posix
import resource
import shutil
import socket
import sys
import traceback
import types
from collections.abc import Callable
from functools import partial
from typing import Any

SENTINEL = "__repro_sandbox_failure__"
DEMO_NAME = "demo.py"  # the program, written beside this script in the run's work directory
"""Prefix of the last stderr line: a JSON description of the exception that ended the program."""

# Events the hook refuses outright: ways to start another process (which would run without the
# hook), to raise the resource limits, or to enumerate every live object (the hook's state).
BLOCKED_EVENTS = frozenset(
    {
        "subprocess.Popen",
        "os.system",
        "os.exec",
        "os.posix_spawn",
        "os.spawn",
        "os.fork",
        "os.forkpty",
        "os.startfile",
        "_posixsubprocess.fork_exec",
        "resource.setrlimit",
        "resource.prlimit",
        "gc.get_objects",
        "gc.get_referrers",
        "gc.get_referents",
        "sys.remote_exec",
    }
)

# libc entry points that would let ctypes code bypass the Python-level checks above.
DENIED_SYMBOLS = frozenset(
    {
        "socket",
        "connect",
        "sendto",
        "sendmsg",
        "sendmmsg",
        "bind",
        "fork",
        "vfork",
        "_Fork",
        "__fork",
        "clone",
        "clone3",
        "__clone",
        "execve",
        "execv",
        "execvp",
        "execvpe",
        "execl",
        "execlp",
        "execle",
        "fexecve",
        "execveat",
        "system",
        "popen",
        "posix_spawn",
        "posix_spawnp",
        "syscall",
        "kill",
        "killpg",
        "tgkill",
        "pidfd_open",
        "pidfd_send_signal",
        "setrlimit",
        "setrlimit64",
        "prlimit",
        "prlimit64",
        "ptrace",
        "dlopen",
        "dlmopen",
        "dlsym",
        "dlvsym",
        "mprotect",
        "unshare",
        "setns",
        "chroot",
        "mount",
        "PySys_AddAuditHook",
        "PySys_Audit",
        "_PySys_ClearAuditHooks",
    }
)

_WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_TRUNC | os.O_APPEND

# Events whose arguments are checked (the hook returns at once for every other event).
_PATH_WRITE_EVENTS = frozenset(
    {
        "os.remove",
        "os.rmdir",
        "os.mkdir",
        "os.chmod",
        "os.chown",
        "os.chflags",
        "os.lchflags",
        "os.truncate",
        "os.utime",
        "os.setxattr",
        "os.removexattr",
        "os.rename",
        "os.link",
        "os.symlink",
    }
)
_WATCHED_EVENTS = (
    BLOCKED_EVENTS
    | _PATH_WRITE_EVENTS
    | {
        "open",
        "os.listdir",
        "os.scandir",
        "import",
        "ctypes.dlopen",
        "ctypes.dlsym",
        "ctypes.dlsym/handle",
        "object.__setattr__",
        "os.kill",
        "os.killpg",
        "socket.__new__",
        "socket.bind",
        "socket.connect",
        "socket.sendto",
        "socket.sendmsg",
        "socket.getaddrinfo",
        "socket.gethostbyname",
        "socket.gethostbyaddr",
        "socket.getnameinfo",
    }
)


def _refuse_fork_exec(*_args: object, **_kwargs: object) -> Any:
    raise PermissionError("sandbox: starting processes is not allowed")


def _resolve(path: Any, dir_fd: Any, caps: tuple[Any, ...]) -> str:
    """Absolute path with symbolic links resolved, using only the C functions in ``caps``.

    ``path`` may be a str, bytes or an int file descriptor (resolved through /proc/self/fd);
    anything else is refused, so no object of the program is ever asked for its path.
    A missing component ends the resolution (the rest is normalised lexically).
    """
    type_, str_, bytes_, int_, _len, denied, oserror, getcwd, lstat, readlink = caps
    kind = type_(path)
    if kind is bytes_:
        path = path.decode("utf-8", "surrogateescape")
    elif kind is int_:
        try:
            path = readlink(f"/proc/self/fd/{path:d}")
        except oserror:
            return f"/proc/self/fd/{path:d}"
        if not path.startswith("/"):
            pseudo: str = path  # "pipe:[123]", "socket:[456]": not a file system path
            return pseudo
    elif kind is not str_:
        raise denied("sandbox: refusing a path of an unsupported type")
    text: str = path
    if not text.startswith("/"):
        if type_(dir_fd) is int_ and dir_fd >= 0:
            try:
                base = readlink(f"/proc/self/fd/{dir_fd:d}")
            except oserror:
                raise denied("sandbox: unknown directory descriptor") from None
        else:
            base = getcwd()
        text = base + "/" + text
    pending = text.split("/")
    pending.reverse()
    resolved = ""
    links = 0
    while pending:
        part = pending.pop()
        if part == "" or part == ".":
            continue
        if part == "..":
            resolved = resolved[: resolved.rfind("/")] if resolved else ""
            continue
        candidate = resolved + "/" + part
        try:
            mode = lstat(candidate).st_mode
        except oserror:
            resolved = candidate
            continue
        if (mode & 0o170000) == 0o120000:
            links += 1
            if links > 40:
                raise denied("sandbox: too many levels of symbolic links")
            target: str = readlink(candidate)
            if not target.startswith("/") and ":[" in target:
                return target  # /proc/<pid>/fd/N -> "pipe:[123]": not a file system path
            if target.startswith("/"):
                resolved = ""
            more = target.split("/")
            more.reverse()
            pending.extend(more)
        else:
            resolved = candidate
    return resolved or "/"


def _audit(state: tuple[Any, ...], event: str, args: tuple[Any, ...]) -> None:
    """The audit hook: refuse what the sandbox policy forbids by raising PermissionError."""
    if state[0](event) is not state[1] or event not in state[2]:
        return  # (a str subclass can only come from sys.audit(): no operation behind it)
    (
        _,
        _,
        _,
        blocked,
        write_events,
        root,
        root_prefix,
        write_exact,
        deny_read,
        allow_read,
        proc_self,
        pid,
        pgid,
        names,
        addrs,
        bind_hosts,
        symbols,
        write_flags,
        directory_flag,
        caps,
        resolve,
        protected,
    ) = state
    type_, str_, bytes_, int_, len_, denied, oserror, _getcwd, lstat, _readlink = caps
    tuple_ = type_(args)  # the C code always passes a tuple: its type is the real tuple type

    if event in blocked:
        raise denied(f"sandbox: {event} is not allowed")

    if event == "open" or event in write_events or event == "os.listdir" or event == "os.scandir":
        writing = True
        paths: tuple[Any, ...] = ()
        dir_fd: Any = None
        if event == "open":
            path, mode, flags = args[0], args[1], args[2]
            writing = False
            if type_(mode) is str_:
                for letter in "wax+":
                    if letter in mode:
                        writing = True
            if type_(flags) is int_ and flags & write_flags:
                writing = True
            if type_(path) is int_ and not writing:
                return
            paths = (path,)
        elif event == "os.listdir" or event == "os.scandir":
            writing = False
            if args[0] is None or type_(args[0]) is int_:
                return
            paths = (args[0],)
        elif event == "os.rename" or event == "os.link":
            paths = (args[0], args[1])
            for fd in (args[2], args[3]):
                if type_(fd) is int_ and fd >= 0:
                    raise denied(f"sandbox: {event} relative to a directory descriptor")
        elif event == "os.symlink":
            paths = (args[1],)  # the link itself; its target is resolved whenever it is used
            dir_fd = args[2]
        else:
            paths = (args[0],)
            last = args[len_(args) - 1]
            if event in ("os.remove", "os.rmdir", "os.mkdir", "os.chmod", "os.chown", "os.utime"):
                dir_fd = last
        for raw in paths:
            target = resolve(raw, dir_fd, caps)
            if writing:
                if target == root or target.startswith(root_prefix) or target in write_exact:
                    continue
                if not target.startswith("/"):
                    continue  # an inherited pipe or socket descriptor (stdout, stderr)
                raise denied("sandbox: writing outside the sandbox directory is not allowed")
            if target.startswith("/proc/"):
                head = target[6:].split("/", 1)[0]
                if head.isdigit() and "/proc/" + head != proc_self:
                    raise denied("sandbox: reading other processes is not allowed")
            deny_len = -1
            for prefix in deny_read:
                inside = target == prefix or target.startswith(prefix + "/")
                if inside and len_(prefix) > deny_len:
                    deny_len = len_(prefix)
            if deny_len >= 0:
                allowed = False
                for prefix in allow_read:
                    if (target == prefix or target.startswith(prefix + "/")) and len_(
                        prefix
                    ) > deny_len:
                        allowed = True
                if not allowed:
                    raise denied(f"sandbox: reading {target} is not allowed")
        if event == "open" and args[1] is None:
            # A directory descriptor from os.open() would let a later os.open(name, flags,
            # dir_fd=fd) write relative to it: CPython's "open" event does not carry dir_fd,
            # so the path checked above would not be the path written. No dir fds at all.
            target = resolve(paths[0], None, caps)
            try:
                mode_bits = lstat(target).st_mode
            except oserror:
                mode_bits = 0
            if (mode_bits & 0o170000) == 0o040000 or (
                type_(args[2]) is int_ and args[2] & directory_flag
            ):
                raise denied("sandbox: directory descriptors are not available")
        return

    if event == "import":
        if type_(args[0]) is not str_:
            raise denied("sandbox: module names must be plain strings")
        if args[0] == "_posixsubprocess":
            raise denied("sandbox: reloading _posixsubprocess is not allowed")
        filename = args[1]
        if type_(filename) is str_ or type_(filename) is bytes_:
            target = resolve(filename, None, caps)
            if target == root or target.startswith(root_prefix):
                raise denied("sandbox: loading native code written by the program")
        return

    if event == "ctypes.dlopen":
        name = args[0]
        if name is None:
            return
        if type_(name) is bytes_:
            name = name.decode("utf-8", "surrogateescape")
        if type_(name) is not str_:
            raise denied("sandbox: dlopen of an unsupported name")
        if "/" in name:
            target = resolve(name, None, caps)
            if target == root or target.startswith(root_prefix):
                raise denied("sandbox: loading native code written by the program")
        return

    if event == "ctypes.dlsym" or event == "ctypes.dlsym/handle":
        name = args[1]
        if type_(name) is bytes_:
            name = name.decode("utf-8", "surrogateescape")
        if type_(name) is not str_ or name in symbols:
            raise denied("sandbox: native symbol refused")
        return

    if event == "object.__setattr__":
        # The stdlib itself assigns __code__ (types.coroutine): only the hook's own functions
        # (reachable through the bootstrap's globals) are protected.
        if type_(args[1]) is str_ and args[1] == "__code__":
            for function in protected:
                if args[0] is function:
                    raise denied("sandbox: replacing the sandbox's code is not allowed")
        return

    if event == "os.kill":
        target_pid = args[0]
        if type_(target_pid) is int_ and target_pid in (pid, 0, -pgid):
            return
        raise denied("sandbox: signalling other processes is not allowed")

    if event == "os.killpg":
        if type_(args[0]) is int_ and args[0] == pgid:
            return
        raise denied("sandbox: signalling other processes is not allowed")

    if event == "socket.__new__":
        family, kind = args[1], args[2]
        if type_(family) is not int_ or type_(kind) is not int_:
            raise denied("sandbox: unsupported socket")
        if family not in (-1, 1, 2, 10):  # AF_UNIX, AF_INET, AF_INET6 (and fromfd's -1)
            raise denied("sandbox: only IP and local sockets may be created")
        if (kind & 0xF) == 3:  # SOCK_RAW
            raise denied("sandbox: raw sockets are not allowed")
        return

    if event == "socket.getaddrinfo" or event == "socket.gethostbyname":
        host = args[0]
        if host is None:
            return
        if type_(host) is bytes_:
            host = host.decode("ascii", "replace")
        if type_(host) is str_ and host.lower() in names:
            return
        raise denied("sandbox: name resolution is limited to the hub endpoint")

    if event == "socket.gethostbyaddr" or event == "socket.getnameinfo":
        raise denied("sandbox: reverse name resolution is not allowed")

    if event == "socket.sendmsg" and args[1] is None:
        return

    if event == "socket.bind":
        address = args[1]
        if type_(address) is tuple_ and len_(address) >= 2:
            host = address[0]
            if type_(host) is str_ and host.lower() in bind_hosts:
                return
        raise denied("sandbox: only loopback addresses may be bound")

    if event == "socket.connect" or event == "socket.sendto" or event == "socket.sendmsg":
        address = args[1]
        if type_(address) is tuple_ and len_(address) >= 2:
            host, port = address[0], address[1]
            if type_(host) is bytes_:
                host = host.decode("ascii", "replace")
            if type_(host) is str_ and type_(port) is int_ and (host.lower(), port) in addrs:
                return
            if type_(host) is str_ and type_(port) is int_:
                raise denied(f"sandbox: network access to {host}:{port:d} is not allowed")
        raise denied("sandbox: network access is limited to the hub endpoint")


# --------------------------------------------------------------------------------------------
# Setup (trusted code, runs before the hook)
# --------------------------------------------------------------------------------------------


def _apply_limits(limits: dict[str, int | None]) -> None:
    table = {
        "cpu_seconds": resource.RLIMIT_CPU,
        "memory_bytes": resource.RLIMIT_AS,
        "file_size_bytes": resource.RLIMIT_FSIZE,
        "open_files": resource.RLIMIT_NOFILE,
        "processes": resource.RLIMIT_NPROC,
        "core_bytes": resource.RLIMIT_CORE,
    }
    for key, which in table.items():
        value = limits.get(key)
        if value is None:
            continue
        _soft, hard = resource.getrlimit(which)
        if hard != resource.RLIM_INFINITY and os.geteuid() != 0:
            value = min(value, hard)
        # RLIMIT_CPU: SIGXCPU at the soft limit, SIGKILL one second later.
        new_hard = value + 1 if which == resource.RLIMIT_CPU else value
        if hard != resource.RLIM_INFINITY and os.geteuid() != 0:
            new_hard = min(new_hard, hard)
        resource.setrlimit(which, (value, new_hard))


def _endpoint_addresses(
    endpoints: list[list[Any]],
) -> tuple[frozenset[str], frozenset[tuple[str, int]], dict[str, list[Any]]]:
    """Resolve each allowed (host, port) once: names, (host, port) pairs, and pinned answers."""
    names: set[str] = set()
    addrs: set[tuple[str, int]] = set()
    pinned: dict[str, list[Any]] = {}
    for host, port in endpoints:
        hosts = {host.lower()}
        if host.lower() in ("localhost", "127.0.0.1", "::1", "[::1]"):
            hosts |= {"localhost", "127.0.0.1", "::1"}
        for name in sorted(hosts):
            names.add(name)
            addrs.add((name, port))
            try:
                infos = socket.getaddrinfo(name, port, type=socket.SOCK_STREAM)
            except OSError:
                infos = []
            pinned.setdefault(name, [])
            for info in infos:
                ip = str(info[4][0]).lower()
                names.add(ip)
                addrs.add((ip, port))
                if info not in pinned[name]:
                    pinned[name].append(info)
    return frozenset(names), frozenset(addrs), pinned


def _pin_dns(pinned: dict[str, list[Any]]) -> None:
    """Make ``socket.getaddrinfo`` answer allowed names with the addresses resolved at start.

    A convenience, not a security measure: DNS answers for a CDN-backed hub rotate, and a
    library resolving the name again could get an address the hook has never seen. Programs
    that bypass this wrapper are still confined by the hook.
    """
    original = socket.getaddrinfo

    def getaddrinfo(
        host: Any, port: Any, family: int = 0, type: int = 0, proto: int = 0, flags: int = 0
    ) -> Any:
        key = host.decode() if isinstance(host, bytes) else host
        answers = pinned.get(key.lower()) if isinstance(key, str) else None
        if not answers:
            return original(host, port, family, type, proto, flags)
        results = []
        for info in answers:
            if family and info[0] != family:
                continue
            results.extend(original(info[4][0], port, info[0], type, proto, flags))
        return results or original(host, port, family, type, proto, flags)

    socket.getaddrinfo = getaddrinfo


def _read_prefixes_of_installation() -> tuple[str, ...]:
    """Directories the interpreter must read: its prefixes and sys.path (as set at start)."""
    found: list[str] = []
    for entry in (sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix, *sys.path):
        if entry and os.path.isabs(entry):
            found.append(os.path.realpath(entry))
            found.append(os.path.normpath(entry))
    return tuple(dict.fromkeys(found))


def build_hook(
    config: dict[str, Any], endpoints: tuple[frozenset[str], frozenset[tuple[str, int]]]
) -> Callable[[str, tuple[Any, ...]], None]:
    """The audit hook for ``config``: a ``functools.partial`` over ``_audit`` and frozen state."""
    names, addrs = endpoints
    root = os.path.realpath(config["root"])
    caps = (
        type,
        str,
        bytes,
        int,
        len,
        PermissionError,
        OSError,
        posix.getcwd,
        posix.lstat,
        posix.readlink,
    )
    state = (
        type,
        str,
        frozenset(_WATCHED_EVENTS),
        BLOCKED_EVENTS,
        _PATH_WRITE_EVENTS,
        root,
        root + "/",
        frozenset({"/dev/null"}),
        tuple(os.path.realpath(p) for p in config.get("deny_read", ())),
        (*_read_prefixes_of_installation(), root),
        f"/proc/{os.getpid()}",
        os.getpid(),
        os.getpgid(0),
        names,
        addrs,
        frozenset({"127.0.0.1", "::1", "localhost"}),
        DENIED_SYMBOLS,
        _WRITE_FLAGS,
        os.O_DIRECTORY | getattr(os, "O_PATH", 0),
        caps,
        _resolve,
        (_audit, _resolve),
    )
    return partial(_audit, state)


def _neutralise_posixsubprocess() -> None:
    """``_posixsubprocess.fork_exec`` raises no audit event in CPython 3.11: replace it.

    The module is imported here, before the hook, so later imports reuse this patched instance;
    the hook refuses loading a fresh copy (an ``import`` event names the module).
    """
    import _posixsubprocess

    _posixsubprocess.fork_exec = _refuse_fork_exec


def _report_failure(exc: BaseException, program: str) -> None:
    lineno = None
    for frame, line in traceback.walk_tb(exc.__traceback__):
        if frame.f_code.co_filename == program:
            lineno = line
    if isinstance(exc, SyntaxError) and exc.filename == program:
        lineno = exc.lineno
    name = getattr(exc, "name", None)
    record = {
        "type": type(exc).__name__,
        "module": type(exc).__module__,
        "message": str(exc),
        "name": name if isinstance(name, str) else None,
        "lineno": lineno,
    }
    text = f"\n{SENTINEL} {json.dumps(record)}\n"
    with contextlib.suppress(OSError):
        os.write(2, text.encode("utf-8", "replace"))


def _run_program(program: str) -> int:
    with open(program, encoding="utf-8") as handle:
        source = handle.read()
    module = types.ModuleType("__main__")
    module.__file__ = program
    sys.modules["__main__"] = module
    sys.argv = [program]
    try:
        code = compile(source, program, "exec")
        exec(code, module.__dict__)  # noqa: S102 - running the demo is the point
    except SystemExit as stop:
        if stop.code is None or stop.code == 0:
            return 0
        _report_failure(stop, program)
        return stop.code if isinstance(stop.code, int) else 1
    except BaseException as exc:
        traceback.print_exc()
        _report_failure(exc, program)
        return 1
    return 0


def _locate(config: dict[str, Any]) -> None:
    """Fill in the run's paths: the sandbox starts this script in ``<run dir>/work`` with the
    demo beside it, and the same paths hold inside and outside its mount namespace."""
    work = os.getcwd()
    config.setdefault("root", os.path.dirname(work))
    config.setdefault("program", os.path.join(work, DEMO_NAME))
    # Caches inside the run's home (deleted with it); the environment from the sandbox
    # carries only non-path settings, since the run directory is created by the sandbox.
    home = os.environ.get("HOME") or os.path.join(config["root"], "home")
    cache = os.path.join(home, ".cache")
    hf_home = os.path.join(cache, "huggingface")
    os.environ.update(
        {
            "XDG_CACHE_HOME": cache,
            "HF_HOME": hf_home,
            "HF_HUB_CACHE": os.path.join(hf_home, "hub"),
            "TORCH_HOME": os.path.join(cache, "torch"),
            "MPLCONFIGDIR": os.path.join(cache, "matplotlib"),
        }
    )


def main(argv: list[str]) -> int:
    config = json.loads(argv[1])
    _locate(config)
    _apply_limits(config["limits"])
    sys.dont_write_bytecode = True
    names, addrs, pinned = _endpoint_addresses(config["endpoints"])
    hook = build_hook(config, (names, addrs))
    _neutralise_posixsubprocess()
    _pin_dns(pinned)
    # shutil.rmtree would need directory descriptors, which the hook refuses: use the path-based
    # implementation (the program can only delete inside the sandbox directory anyway).
    shutil._use_fd_functions = False  # type: ignore[attr-defined]
    sys.addaudithook(hook)
    del hook
    return _run_program(config["program"])


if __name__ == "__main__":
    _code = main(sys.argv)
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    finally:
        sys.exit(_code)
