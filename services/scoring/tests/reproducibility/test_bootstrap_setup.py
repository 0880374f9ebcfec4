"""The sandbox bootstrap's trusted setup and its run of the demo, in-process: the endpoint
pinning, the paths of a run, and the failure record the parent reads from stderr."""

from __future__ import annotations

import json
import os
import socket
import sys
from pathlib import Path
from typing import Any

import pytest

from registry_scoring.reproducibility._bootstrap import (
    DEMO_NAME,
    SENTINEL,
    _endpoint_addresses,
    _locate,
    _pin_dns,
    _run_program,
)


def test_a_loopback_endpoint_allows_every_loopback_name_on_its_port() -> None:
    names, addrs, pinned = _endpoint_addresses([["LOCALHOST", 8080]])
    assert {"localhost", "127.0.0.1", "::1"} <= names
    assert ("127.0.0.1", 8080) in addrs
    assert ("localhost", 8080) in addrs
    assert ("127.0.0.1", 9090) not in addrs
    assert {info[4][0] for info in pinned["127.0.0.1"]} == {"127.0.0.1"}


def test_an_unresolvable_endpoint_is_allowed_by_name_with_no_pinned_address() -> None:
    names, addrs, pinned = _endpoint_addresses([["hub.invalid", 443]])
    assert names == {"hub.invalid"}
    assert addrs == {("hub.invalid", 443)}
    assert pinned == {"hub.invalid": []}


def test_pinned_names_resolve_to_the_addresses_seen_at_start(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(socket, "getaddrinfo", socket.getaddrinfo)  # restored after the test
    loopback = socket.getaddrinfo("127.0.0.1", 80, socket.AF_INET, socket.SOCK_STREAM)
    _pin_dns({"hub.invalid": loopback})
    answers = socket.getaddrinfo(b"HUB.invalid", 443, 0, socket.SOCK_STREAM)
    assert {info[4] for info in answers} == {("127.0.0.1", 443)}
    # A family none of the pinned answers has falls back to a normal lookup.
    assert socket.getaddrinfo("127.0.0.1", 443, socket.AF_INET)[0][4] == ("127.0.0.1", 443)
    with pytest.raises(socket.gaierror):
        socket.getaddrinfo("hub.invalid", 443, socket.AF_INET6)


def test_a_run_finds_its_program_beside_the_bootstrap_and_caches_in_its_home(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    monkeypatch.delenv("HOME", raising=False)
    for name in ("XDG_CACHE_HOME", "HF_HOME", "HF_HUB_CACHE", "TORCH_HOME", "MPLCONFIGDIR"):
        monkeypatch.setenv(name, "unset")  # restored after the test
    config: dict[str, Any] = {}
    _locate(config)
    assert config == {"root": str(tmp_path), "program": str(work / DEMO_NAME)}
    assert os.environ["HF_HUB_CACHE"] == str(tmp_path / "home" / ".cache" / "huggingface" / "hub")
    assert os.environ["TORCH_HOME"] == str(tmp_path / "home" / ".cache" / "torch")


@pytest.fixture
def run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.setitem(sys.modules, "__main__", sys.modules["__main__"])
    monkeypatch.setattr(sys, "argv", list(sys.argv))

    def run_source(source: str) -> int:
        program = tmp_path / DEMO_NAME
        program.write_text(source)
        return _run_program(str(program))

    return run_source


def _failure(stderr: str) -> dict[str, Any]:
    last = stderr.strip().splitlines()[-1]
    assert last.startswith(SENTINEL)
    record: dict[str, Any] = json.loads(last.removeprefix(SENTINEL))
    return record


def test_a_program_that_ends_normally_exits_0(run: Any, capfd: pytest.CaptureFixture[str]) -> None:
    assert run("import sys\nprint(__name__, sys.argv[0].endswith('demo.py'))\n") == 0
    assert run("raise SystemExit(0)\n") == 0
    assert capfd.readouterr().out == "__main__ True\n"


def test_an_exception_is_reported_with_its_line(
    run: Any, capfd: pytest.CaptureFixture[str]
) -> None:
    assert run("x = 1\nimport no_such_module_here\n") == 1
    record = _failure(capfd.readouterr().err)
    assert record == {
        "type": "ModuleNotFoundError",
        "module": "builtins",
        "message": "No module named 'no_such_module_here'",
        "name": "no_such_module_here",
        "lineno": 2,
    }


def test_a_syntax_error_is_reported_at_its_line(
    run: Any, capfd: pytest.CaptureFixture[str]
) -> None:
    assert run("ok = 1\n\ndef broken(:\n") == 1
    record = _failure(capfd.readouterr().err)
    assert (record["type"], record["lineno"]) == ("SyntaxError", 3)


def test_a_nonzero_exit_is_kept_and_reported(run: Any, capfd: pytest.CaptureFixture[str]) -> None:
    assert run("import sys\nsys.exit(3)\n") == 3
    assert _failure(capfd.readouterr().err)["type"] == "SystemExit"
    assert run("raise SystemExit('bad input')\n") == 1
    assert _failure(capfd.readouterr().err)["message"] == "bad input"
