"""What a sandbox request and its limits refuse before anything runs, with the sentence the
caller gets."""

from __future__ import annotations

import re
from typing import Any

import pytest

from registry_common.sandbox.model import Limits, Outcome, SandboxRequest, SandboxResult


@pytest.mark.parametrize(
    ("limits", "message"),
    [
        ({"wall_seconds": 0}, "sandbox limits must be positive"),
        ({"cpu_seconds": -1}, "sandbox limits must be positive"),
        ({"memory_bytes": 0}, "sandbox limits must be positive"),
        ({"processes": 0}, "sandbox limits are too small to start a program"),
        ({"output_bytes": 0}, "sandbox limits are too small to start a program"),
        ({"open_files": 8}, "sandbox limits are too small to start a program"),
    ],
)
def test_limits_that_cannot_run_a_program_are_refused(limits: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=f"^{message}$"):
        Limits(**limits)


@pytest.mark.parametrize(
    ("request_fields", "message"),
    [
        ({"command": ""}, "a sandbox request needs a command"),
        (
            {"files": {"../escape.py": b""}},
            "sandbox file names are plain names, not paths: '../escape.py'",
        ),
        ({"files": {"sub/x.py": b""}}, "sandbox file names are plain names, not paths: 'sub/x.py'"),
        ({"files": {".hidden": b""}}, "sandbox file names are plain names, not paths: '.hidden'"),
        ({"network": "internet"}, "unknown network policy 'internet' (none, allow-list or open)"),
        ({"network": "allow-list"}, "the allow-list network policy needs allowed_endpoints"),
    ],
)
def test_requests_that_cannot_be_run_safely_are_refused(
    request_fields: dict[str, Any], message: str
) -> None:
    fields: dict[str, Any] = {"command": "python3", **request_fields}
    with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
        SandboxRequest(**fields)


def test_a_valid_request_keeps_its_fields() -> None:
    request = SandboxRequest(
        command="python3",
        args=("demo.py",),
        files={"demo.py": b"print(1)"},
        network="allow-list",
        allowed_endpoints=("https://huggingface.co",),
    )
    assert request.allowed_endpoints == ("https://huggingface.co",)
    assert request.limits == Limits()


def test_only_a_completed_run_with_status_0_is_ok() -> None:
    def result(outcome: Outcome, code: int | None) -> SandboxResult:
        return SandboxResult(
            outcome=outcome, exit_code=code, stdout=b"", stderr=b"", duration=0.1, isolation=None
        )

    assert result(Outcome.COMPLETED, 0).ok
    assert not result(Outcome.COMPLETED, 1).ok
    assert not result(Outcome.TIMED_OUT, None).ok
