"""Records, per test, every error message the registry produced while the test ran (pytest
plugin behind `--error-messages=PATH`; `scripts/error_messages.py` reads what it writes).

What counts as produced: a `RegistryError` (any subclass) constructed by registry code, a
Starlette/FastAPI `HTTPException` constructed by registry code, and a `JSONResponse` with a
status of 400 or more built by registry code (the error handlers of `registry_common.http`
render every answer a client sees through it). Each record keeps where registry code made it
(the first frame in a `src/registry_*` package: the raise site), the class, status, code and
the message text. Errors that only a test constructs (no registry frame) are not recorded.

Only this process is observed: the service processes of the distributed topology are not (the
embedded twin of each end-to-end test runs the same code in-process). Threads are observed:
the embedded servers run in threads of this process, attributed to the test running then.
"""

from __future__ import annotations

import functools
import json
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from types import FrameType
from typing import Any

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
_SOURCE_MARK = "/src/registry_"


class _Recorder:
    def __init__(self) -> None:
        self.current = ""
        self.lock = threading.Lock()
        self.records: dict[str, list[dict[str, Any]]] = {}
        self.seen: dict[str, set[tuple[Any, ...]]] = {}

    def add(self, record: dict[str, Any]) -> None:
        key = tuple(sorted((k, str(v)) for k, v in record.items()))
        with self.lock:
            test = self.current or "<outside a test>"
            seen = self.seen.setdefault(test, set())
            if key in seen:
                return
            seen.add(key)
            self.records.setdefault(test, []).append(record)


def _registry_site(frame: FrameType | None, instance: object) -> str | None:
    """The first caller frame in a registry package, skipping the constructors of the
    instance itself (a subclass's `__init__` calling `super().__init__`)."""
    while frame is not None and frame.f_locals.get("self") is instance:
        frame = frame.f_back
    if frame is None:
        return None
    filename = frame.f_code.co_filename.replace("\\", "/")
    if _SOURCE_MARK not in filename:
        return None
    try:
        relative = Path(filename).resolve().relative_to(REPO_ROOT).as_posix()
    except ValueError:
        relative = filename
    return f"{relative}:{frame.f_lineno}"


def _wrap_init(
    cls: type, describe: Callable[[Any], dict[str, Any] | None], recorder: _Recorder
) -> None:
    original: Callable[..., None] = getattr(cls, "__init__")  # noqa: B009 - typed as a callable

    @functools.wraps(original)
    def __init__(self: Any, *args: Any, **kwargs: Any) -> None:
        original(self, *args, **kwargs)
        # Only the base constructor is wrapped, so this runs once per instance; a subclass's
        # own `__init__` calling `super().__init__` is skipped when looking for the site.
        caller = sys._getframe(1)
        try:
            described = describe(self)
            if described is None:
                return
            site = _registry_site(caller, self)
            if site is None:
                return
            recorder.add({"site": site, **described})
        except Exception:
            pass

    setattr(cls, "__init__", __init__)  # noqa: B010 - replacing a method on a class


def _describe_registry_error(error: Any) -> dict[str, Any]:
    return {
        "kind": "registry_error",
        "class": type(error).__name__,
        "status": error.status,
        "code": error.code,
        "message": error.message,
    }


def _describe_http_exception(error: Any) -> dict[str, Any] | None:
    detail = error.detail
    return {
        "kind": "http_exception",
        "class": type(error).__name__,
        "status": error.status_code,
        "code": getattr(error, "code", "http_error"),
        "message": detail if isinstance(detail, str) else json.dumps(detail, default=str),
    }


def _describe_json_response(response: Any) -> dict[str, Any] | None:
    if response.status_code < 400:
        return None
    try:
        body = json.loads(response.body)
    except ValueError:
        return None
    if not isinstance(body, dict) or not isinstance(body.get("detail"), str):
        return None
    return {
        "kind": "response",
        "class": "JSONResponse",
        "status": response.status_code,
        "code": body.get("code"),
        "message": body["detail"],
    }


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--error-messages",
        default=None,
        metavar="PATH",
        help="record the error messages the registry produces, per test, into PATH (JSON) "
        "for scripts/error_messages.py",
    )


_RECORDER_KEY = pytest.StashKey[_Recorder]()


def pytest_configure(config: pytest.Config) -> None:
    if not config.getoption("--error-messages"):
        return
    from fastapi.responses import JSONResponse
    from starlette.exceptions import HTTPException

    from registry_common.errors import RegistryError

    recorder = _Recorder()
    config.stash[_RECORDER_KEY] = recorder
    _wrap_init(RegistryError, _describe_registry_error, recorder)
    _wrap_init(HTTPException, _describe_http_exception, recorder)
    _wrap_init(JSONResponse, _describe_json_response, recorder)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item: pytest.Item) -> Iterator[None]:
    recorder = item.config.stash.get(_RECORDER_KEY, None)
    if recorder is not None:
        recorder.current = item.nodeid
    yield
    if recorder is not None:
        recorder.current = ""


def pytest_sessionfinish(session: pytest.Session) -> None:
    recorder = session.config.stash.get(_RECORDER_KEY, None)
    if recorder is None:
        return
    path = Path(session.config.getoption("--error-messages"))
    with recorder.lock:
        path.write_text(json.dumps(recorder.records, indent=1, sort_keys=True))
