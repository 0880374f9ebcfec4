"""Bounded input: the request body ceiling every service enforces while the body streams in,
and a bounded gunzip.

A body is never read whole before its size is known to be acceptable: a declared
`Content-Length` over the ceiling is answered 413 before the app runs, and an undeclared
(chunked) body is counted as it arrives and stopped the moment it passes the ceiling, before
FastAPI parses (or spools) the rest. JSON routes get a small ceiling, upload routes their own
large one (`BodyLimits.routes`).
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Final

from starlette.exceptions import HTTPException
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from registry_common.telemetry import current_trace_id

MiB: Final = 1024 * 1024
DEFAULT_MAX_BODY_BYTES: Final = MiB
INTERNAL_HEADROOM: Final = 2


def human_bytes(size: int) -> str:
    """``2147483648`` -> ``2 GiB``; ``12345678`` -> ``11.8 MiB``."""
    value = float(size)
    for unit in ("bytes", "KiB", "MiB", "GiB", "TiB"):
        if value < 1024 or unit == "TiB":
            if unit == "bytes":
                return f"{int(value)} bytes"
            text = f"{value:.1f}".removesuffix(".0")
            return f"{text} {unit}"
        value /= 1024
    return f"{size} bytes"  # pragma: no cover - the loop always returns


class BodyTooLarge(HTTPException):
    """Raised from `receive` when a streamed body passes the ceiling. An HTTPException so that
    FastAPI's body parsing lets it through (it turns other exceptions into a vague 400)."""

    code = "too_large"

    def __init__(self, limit: int) -> None:
        super().__init__(413, too_large_sentence(limit))
        self.limit = limit


def too_large_sentence(limit: int) -> str:
    return (
        f"The request body is larger than {human_bytes(limit)}, the most this route accepts; "
        "send a smaller body."
    )


@dataclass(frozen=True)
class BodyLimits:
    """`default` bytes for every route; `routes` pairs a path pattern (matched against the
    whole path) with its own ceiling, e.g. uploads."""

    default: int = DEFAULT_MAX_BODY_BYTES
    routes: tuple[tuple[str, int], ...] = ()
    _compiled: tuple[tuple[re.Pattern[str], int], ...] = field(
        init=False, repr=False, compare=False, default=()
    )

    def __post_init__(self) -> None:
        object.__setattr__(
            self, "_compiled", tuple((re.compile(p), limit) for p, limit in self.routes)
        )

    def for_path(self, path: str) -> int:
        for pattern, limit in self._compiled:
            if pattern.fullmatch(path):
                return limit
        return self.default

    @classmethod
    def of(cls, default: int, routes: Iterable[tuple[str, int]] = ()) -> BodyLimits:
        return cls(default=default, routes=tuple(routes))

    @classmethod
    def internal(cls, public: int, routes: Iterable[tuple[str, int]] = ()) -> BodyLimits:
        """An internal service's ceilings: twice the public one (`public`), since the gateway
        forwards what it accepted inside a small envelope (`{"queries": [...], ...}`), which
        must not turn a body the gateway accepted into a 413 one hop later."""
        return cls(default=INTERNAL_HEADROOM * public, routes=tuple(routes))


def _content_length(scope: Scope) -> int | str | None:
    """The declared length; None when absent; "invalid" for a malformed header."""
    for name, value in scope.get("headers") or ():
        if name == b"content-length":
            text = value.decode("latin-1").strip()
            # Digits only and a sane length: int() of 5,000 digits would raise ValueError.
            if not text.isdigit() or len(text) > 19:
                return "invalid"
            return int(text)
    return None


class BodyLimitMiddleware:
    """Pure ASGI: 413 up front for a declared length over the ceiling, and a counting
    `receive` that raises `BodyTooLarge` the moment a streamed body passes it."""

    def __init__(self, app: ASGIApp, limits: BodyLimits) -> None:
        self.app = app
        self.limits = limits

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limits.for_path(scope.get("path", ""))
        declared = _content_length(scope)
        if declared == "invalid":
            await _answer(scope, receive, send, 400, "The Content-Length header is not a number.")
            return
        if isinstance(declared, int) and declared > limit:
            await _answer(scope, receive, send, 413, too_large_sentence(limit), "too_large")
            return
        received = 0
        started = False

        async def counted() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLarge(limit)
            return message

        async def watch(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counted, watch)
        except BodyTooLarge as exc:
            # Read outside FastAPI's handlers (a middleware or a raw stream): answer here.
            if started:
                raise
            await _answer(scope, receive, send, 413, exc.detail, "too_large")


async def _answer(
    scope: Scope, receive: Receive, send: Send, status: int, detail: str, code: str = "bad_request"
) -> None:
    body = {"detail": detail, "code": code}
    trace_id = current_trace_id()
    if trace_id:
        body["trace_id"] = trace_id
    response = JSONResponse(body, status_code=status)
    await response(scope, receive, send)


class DecompressedTooLarge(ValueError):
    def __init__(self, limit: int) -> None:
        super().__init__(f"it unpacks to more than {human_bytes(limit)}")
        self.limit = limit


def gunzip_bounded(data: bytes, limit: int) -> bytes:
    """Gunzip `data`, refusing to produce more than `limit` bytes (a gzip bomb stops at the
    limit instead of filling memory). Raises `DecompressedTooLarge`, or zlib.error / EOFError
    for a damaged stream."""
    if not data:
        return b""
    inflater = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)  # gzip header and trailer
    out = bytearray()
    pending = data
    while pending:
        out += inflater.decompress(pending, limit + 1 - len(out))
        if len(out) > limit:
            raise DecompressedTooLarge(limit)
        pending = inflater.unconsumed_tail
        if inflater.eof:
            # Concatenated gzip members are legal; each starts a new decompressor.
            rest = inflater.unused_data
            if not rest:
                break
            inflater = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
            pending = rest
    if not inflater.eof:
        raise EOFError("the gzip stream ends early")
    return bytes(out)
