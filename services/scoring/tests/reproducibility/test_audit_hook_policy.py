"""The sandbox's audit-hook policy as a function: `build_hook` returns the hook the demo
program runs under, and calling it directly (never installing it in the test process) shows
which operations it lets through and the sentence it refuses the others with."""

from __future__ import annotations

import os
import socket
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from registry_scoring.reproducibility._bootstrap import _refuse_fork_exec, build_hook

Hook = Callable[[str, tuple[Any, ...]], None]
HUB = ("hub.test", 8443)


@pytest.fixture
def root(tmp_path: Path) -> Path:
    work = tmp_path / "run"
    work.mkdir()
    return work


@pytest.fixture
def secret(tmp_path: Path) -> Path:
    hidden = tmp_path / "secret"
    hidden.mkdir()
    (hidden / "token").write_text("s3cret")
    return hidden


@pytest.fixture
def hook(root: Path, secret: Path) -> Hook:
    config = {"root": str(root), "deny_read": [str(secret)]}
    return build_hook(config, (frozenset({"hub.test"}), frozenset({HUB})))


def refused(hook: Hook, event: str, args: tuple[Any, ...]) -> str:
    with pytest.raises(PermissionError) as raised:
        hook(event, args)
    return str(raised.value)


def test_unwatched_events_and_audit_calls_with_str_subclasses_pass(hook: Hook) -> None:
    class Name(str):
        pass

    hook("compile", (None, "x"))
    hook(Name("os.system"), (b"ls",))  # only sys.audit() can raise such an event


@pytest.mark.parametrize(
    "event", ["subprocess.Popen", "os.system", "os.fork", "resource.setrlimit"]
)
def test_starting_processes_and_raising_limits_are_refused(hook: Hook, event: str) -> None:
    assert refused(hook, event, ()) == f"sandbox: {event} is not allowed"


def test_the_replaced_fork_exec_refuses_to_start_anything() -> None:
    with pytest.raises(PermissionError, match=r"^sandbox: starting processes is not allowed$"):
        _refuse_fork_exec(b"/bin/sh")


def test_writes_stay_in_the_sandbox_directory(hook: Hook, root: Path, tmp_path: Path) -> None:
    hook("open", (str(root / "out.txt"), "w", 0))
    hook("open", (str(root / "new" / "deeper.txt"), "a", 0))  # missing components are fine
    hook("open", ("/dev/null", "w", 0))
    read_end, write_end = os.pipe()
    try:
        hook("open", (write_end, "w", 0))  # an inherited pipe, not a file system path
    finally:
        os.close(read_end)
        os.close(write_end)
    hook("os.mkdir", (str(root / "d"), 0o777, -1))
    hook("os.rename", (str(root / "a"), str(root / "b"), -1, -1))
    hook("os.symlink", (str(tmp_path), str(root / "link"), -1))
    outside = str(tmp_path / "elsewhere.txt")
    message = "sandbox: writing outside the sandbox directory is not allowed"
    assert refused(hook, "open", (outside, "w", 0)) == message
    assert refused(hook, "open", (outside, None, os.O_WRONLY | os.O_CREAT)) == message
    assert refused(hook, "os.remove", (outside, -1)) == message
    assert refused(hook, "os.rename", (str(root / "a"), outside, -1, -1)) == message
    assert refused(hook, "open", (outside.encode(), "x", 0)) == message


def test_a_symbolic_link_out_of_the_directory_does_not_hide_a_write(
    hook: Hook, root: Path, tmp_path: Path
) -> None:
    (root / "escape").symlink_to(tmp_path)
    assert (
        refused(hook, "open", (str(root / "escape" / "x.txt"), "w", 0))
        == "sandbox: writing outside the sandbox directory is not allowed"
    )


def test_relative_paths_resolve_against_the_working_directory(
    hook: Hook, root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(root)
    hook("open", ("relative.txt", "w", 0))
    monkeypatch.chdir(root.parent)
    assert (
        refused(hook, "open", ("relative.txt", "w", 0))
        == "sandbox: writing outside the sandbox directory is not allowed"
    )


def test_directory_descriptors_are_refused(hook: Hook, root: Path) -> None:
    assert (
        refused(hook, "os.rename", (str(root / "a"), str(root / "b"), 3, -1))
        == "sandbox: os.rename relative to a directory descriptor"
    )
    assert (
        refused(hook, "open", (str(root), None, os.O_RDONLY))
        == "sandbox: directory descriptors are not available"
    )
    assert (
        refused(hook, "os.mkdir", ("sub", 0o777, 987654)) == "sandbox: unknown directory descriptor"
    )


def test_hidden_directories_cannot_be_read_or_listed(hook: Hook, secret: Path) -> None:
    token = str(secret / "token")
    assert refused(hook, "open", (token, "r", 0)) == f"sandbox: reading {token} is not allowed"
    assert (
        refused(hook, "os.listdir", (str(secret),)) == f"sandbox: reading {secret} is not allowed"
    )
    hook("os.listdir", (None,))  # the working directory
    hook("os.scandir", (3,))
    hook("open", (5, "r", 0))  # reading an already open descriptor


def test_only_the_own_process_is_visible_in_proc(hook: Hook) -> None:
    hook("open", (f"/proc/{os.getpid()}/status", "r", 0))
    other = 1 if os.getpid() != 1 else 2
    assert (
        refused(hook, "open", (f"/proc/{other}/environ", "r", 0))
        == "sandbox: reading other processes is not allowed"
    )


def test_paths_of_unknown_types_are_refused(hook: Hook) -> None:
    assert refused(hook, "open", (3.5, "w", 0)) == "sandbox: refusing a path of an unsupported type"


def test_native_code_written_by_the_program_is_not_loaded(hook: Hook, root: Path) -> None:
    written = str(root / "evil.so")
    message = "sandbox: loading native code written by the program"
    assert refused(hook, "import", ("evil", written, None, None, None)) == message
    assert refused(hook, "ctypes.dlopen", (written.encode(),)) == message
    assert refused(hook, "import", (b"json", None, None, None, None)) == (
        "sandbox: module names must be plain strings"
    )
    assert refused(hook, "import", ("_posixsubprocess", None, None, None, None)) == (
        "sandbox: reloading _posixsubprocess is not allowed"
    )
    assert refused(hook, "ctypes.dlopen", (42,)) == "sandbox: dlopen of an unsupported name"
    hook("import", ("json", "/usr/lib/python3.11/json/__init__.py", None, None, None))
    hook("ctypes.dlopen", (None,))
    hook("ctypes.dlopen", ("libm.so.6",))


def test_dangerous_libc_symbols_are_refused(hook: Hook) -> None:
    assert refused(hook, "ctypes.dlsym", (None, "system")) == "sandbox: native symbol refused"
    assert refused(hook, "ctypes.dlsym", (None, b"execve")) == "sandbox: native symbol refused"
    hook("ctypes.dlsym/handle", (0, "cos"))


def test_the_hooks_own_code_cannot_be_replaced(hook: Hook) -> None:
    from registry_scoring.reproducibility import _bootstrap

    assert refused(hook, "object.__setattr__", (_bootstrap._audit, "__code__", None)) == (
        "sandbox: replacing the sandbox's code is not allowed"
    )
    hook("object.__setattr__", (test_the_hooks_own_code_cannot_be_replaced, "__code__", None))
    hook("object.__setattr__", (_bootstrap._audit, "__doc__", None))


def test_signals_reach_only_the_own_process_and_group(hook: Hook) -> None:
    message = "sandbox: signalling other processes is not allowed"
    hook("os.kill", (os.getpid(), 15))
    hook("os.kill", (0, 15))
    hook("os.killpg", (os.getpgid(0), 15))
    assert refused(hook, "os.kill", (1, 9)) == message
    assert refused(hook, "os.killpg", (1, 9)) == message


def test_sockets_are_ip_or_local_and_never_raw(hook: Hook) -> None:
    hook("socket.__new__", (None, int(socket.AF_INET), int(socket.SOCK_STREAM), 0))
    hook("socket.__new__", (None, int(socket.AF_UNIX), int(socket.SOCK_DGRAM), 0))
    assert refused(
        hook, "socket.__new__", (None, int(socket.AF_INET), int(socket.SOCK_RAW), 0)
    ) == ("sandbox: raw sockets are not allowed")
    assert refused(hook, "socket.__new__", (None, 16, int(socket.SOCK_DGRAM), 0)) == (
        "sandbox: only IP and local sockets may be created"
    )
    assert refused(hook, "socket.__new__", (None, "inet", 1, 0)) == "sandbox: unsupported socket"


def test_the_network_is_the_hub_endpoint_only(hook: Hook) -> None:
    hook("socket.getaddrinfo", ("HUB.test", 8443, 0, 0, 0, 0))
    hook("socket.getaddrinfo", (None, 8443, 0, 0, 0, 0))
    hook("socket.gethostbyname", (b"hub.test",))
    hook("socket.connect", (None, HUB))
    hook("socket.sendto", (None, (b"hub.test", 8443)))
    hook("socket.sendmsg", (None, None))  # a connected socket
    hook("socket.bind", (None, ("127.0.0.1", 0)))
    assert refused(hook, "socket.getaddrinfo", ("example.com", 443, 0, 0, 0, 0)) == (
        "sandbox: name resolution is limited to the hub endpoint"
    )
    assert refused(hook, "socket.gethostbyaddr", ("1.2.3.4",)) == (
        "sandbox: reverse name resolution is not allowed"
    )
    assert refused(hook, "socket.getnameinfo", (("1.2.3.4", 80), 0)) == (
        "sandbox: reverse name resolution is not allowed"
    )
    assert refused(hook, "socket.connect", (None, ("10.0.0.1", 5432))) == (
        "sandbox: network access to 10.0.0.1:5432 is not allowed"
    )
    assert refused(hook, "socket.connect", (None, "/run/docker.sock")) == (
        "sandbox: network access is limited to the hub endpoint"
    )
    assert refused(hook, "socket.bind", (None, ("0.0.0.0", 8080))) == (
        "sandbox: only loopback addresses may be bound"
    )
