"""What every service's FastAPI app shares: error rendering, request logs, trace headers,
tracing instrumentation, and the client the gateway uses to call services."""

from __future__ import annotations

import time
from collections.abc import Callable, Coroutine, Mapping
from typing import Any
from urllib.parse import quote, unquote

import httpx
import orjson
from fastapi import FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from opentelemetry import trace
from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor
from opentelemetry.instrumentation.httpx import HTTPXClientInstrumentor
from opentelemetry.sdk.trace import TracerProvider
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from registry_common.db import outage_of
from registry_common.errors import ComponentUnavailable, RegistryError, retry_after_of
from registry_common.internal_token import (
    INTERNAL_PATH_PREFIX,
    INTERNAL_TOKEN_HEADER,
    internal_token_headers,
    token_matches,
)
from registry_common.limits import BodyLimitMiddleware, BodyLimits
from registry_common.telemetry import current_trace_id, get_logger

__all__ = ["INTERNAL_TOKEN_HEADER", "ServiceClient", "build_service_app"]

TRACE_HEADER = "X-Trace-Id"
# Who the gateway calls for: a user name, percent-encoded (names may be any Unicode text and an
# HTTP header carries ASCII only); the services read it back with `user_from_header`.
USER_HEADER = "X-Registry-User"
# Where the health service receives the other services' spans and logs (OTLP/HTTP). Requests
# there are neither traced nor logged unless they fail: a span or a log line per export would
# be exported in turn, for ever.
TELEMETRY_PATH_PREFIX = "/internal/otlp/"


def user_header_value(name: str) -> str:
    return quote(name, safe="")


def user_from_header(value: str | None) -> str | None:
    return unquote(value) if value is not None else None


def _with_trace(body: dict[str, Any]) -> dict[str, Any]:
    trace_id = current_trace_id()
    if trace_id:
        body["trace_id"] = trace_id
    return body


def describe_validation_error(exc: RequestValidationError) -> str:
    """One sentence per problem, naming where it is, e.g. "body.url: Field required"."""
    parts = []
    for error in exc.errors()[:5]:
        if error.get("type") == "json_invalid":
            reason = (error.get("ctx") or {}).get("error") or "malformed"
            parts.append(f"body: not valid JSON ({reason})")
            continue
        location = ".".join(str(p) for p in error.get("loc", ()) if p != "body") or "request"
        parts.append(f"{location}: {error.get('msg', 'invalid value')}")
    return "The request is not valid. " + "; ".join(parts) + "."


class StrictJSONRequest(Request):
    """Parses a JSON body with orjson instead of the standard library: strict UTF-8 (a lone
    surrogate such as "\\ud800" is refused instead of becoming a str that no later encoder
    accepts), integers within 64 bits (no 4,300-digit int conversions), and fast enough that a
    body at the size ceiling cannot stall the event loop. orjson's JSONDecodeError is the
    standard one, so FastAPI turns it into the usual 400."""

    async def json(self) -> Any:
        if not hasattr(self, "_json"):
            self._json = orjson.loads(await self.body())
        return self._json


class StrictJSONRoute(APIRoute):
    """The route class of every router whose bodies come from outside (`StrictJSONRequest`)."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def strict_handler(request: Request) -> Response:
            return await handler(StrictJSONRequest(request.scope, request.receive))

        return strict_handler


def install_error_handlers(app: FastAPI, service: str) -> None:
    """One handler renders every RegistryError; validation is 400 (the spec never uses 422)."""
    log = get_logger(service)

    @app.exception_handler(RegistryError)
    async def _registry_error(_: Request, exc: RegistryError) -> JSONResponse:
        if exc.status >= 500:
            log.warning("http.error.server", status=exc.status, code=exc.code, message=exc.message)
        retry_after = retry_after_of(exc)
        headers = {"Retry-After": str(retry_after)} if retry_after is not None else None
        return JSONResponse(_with_trace(exc.to_body()), status_code=exc.status, headers=headers)

    @app.exception_handler(RequestValidationError)
    async def _invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        body = {"detail": describe_validation_error(exc), "code": "bad_request"}
        return JSONResponse(_with_trace(body), status_code=400)

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        detail = exc.detail if isinstance(exc.detail, str) else "Request failed."
        if exc.status_code == 404 and detail == "Not Found":
            detail = "There is no such route; see /openapi.json for the API."
        if exc.status_code == 405:
            detail = "This route does not accept that method; see /openapi.json for the API."
        return JSONResponse(
            _with_trace({"detail": detail, "code": getattr(exc, "code", "http_error")}),
            status_code=exc.status_code,
            headers=getattr(exc, "headers", None),
        )


def unexpected_error_response(service: str) -> JSONResponse:
    body = {
        "detail": f"An unexpected error occurred in the {service} service; "
        "quote the trace id when reporting it.",
        "code": "internal_error",
    }
    return JSONResponse(_with_trace(body), status_code=500)


class RequestLogMiddleware:
    """One JSON log line per request and the trace id in every response header; `/internal/`
    routes answer only calls carrying the internal token (none configured: none do).

    Pure ASGI (not BaseHTTPMiddleware) so streamed downloads pass through untouched.

    It also renders an unexpected exception as the 500 JSON answer and does not re-raise it.
    Starlette's own last-resort handler re-raises after answering, and the server then closes
    the keep-alive connection without a word, so a client's next request on it failed too.
    """

    def __init__(self, app: ASGIApp, service: str, internal_token: str | None = None) -> None:
        self.app = app
        self.service = service
        self.log = get_logger(service)
        self.internal_token = internal_token

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500
        path = scope.get("path", "")
        if path.startswith(INTERNAL_PATH_PREFIX):
            headers = dict(scope.get("headers") or [])
            supplied = headers.get(INTERNAL_TOKEN_HEADER.lower().encode())
            if not token_matches(supplied, self.internal_token):
                self.log.warning("http.internal.refused", path=path, token_sent=bool(supplied))
                response = JSONResponse(
                    {"detail": "Internal routes need the internal token.", "code": "forbidden"},
                    status_code=403,
                )
                await response(scope, receive, send)
                return

        async def send_with_trace(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                trace_id = current_trace_id()
                if trace_id:
                    message.setdefault("headers", [])
                    message["headers"] = [
                        *message["headers"],
                        (TRACE_HEADER.lower().encode(), trace_id.encode()),
                    ]
            await send(message)

        response_started = False

        async def send_tracked(message: Message) -> None:
            nonlocal response_started
            if message["type"] == "http.response.start":
                response_started = True
            await send_with_trace(message)

        try:
            await self.app(scope, receive, send_tracked)
        except Exception as exc:
            # A statement no `database_errors()` wraps still meets a database that is down:
            # that is an outage to name (503), not a bug (500). Measured: auth's token check
            # with PostgreSQL cut (tests/e2e/test_failure_injection.py).
            outage = outage_of(exc)
            if outage is not None and not response_started:
                self.log.warning(
                    "http.error.server", status=503, code=outage.code, message=outage.message
                )
                answer = JSONResponse(_with_trace(outage.to_body()), status_code=outage.status)
                await answer(scope, receive, send_tracked)
                return
            self.log.exception("http.error.unexpected", error=type(exc).__name__)
            span = trace.get_current_span()
            span.record_exception(exc)
            span.set_status(trace.Status(trace.StatusCode.ERROR, type(exc).__name__))
            if response_started:
                raise  # half a response went out: only closing the connection tells the client
            await unexpected_error_response(self.service)(scope, receive, send_tracked)
        finally:
            if status >= 400 or not path.startswith(TELEMETRY_PATH_PREFIX):
                client = scope.get("client")
                self.log.info(
                    "http.request",
                    method=scope.get("method"),
                    path=path,
                    status=status,
                    duration_ms=round((time.perf_counter() - started) * 1000, 2),
                    client=client[0] if client else None,
                )


def build_service_app(
    service: str,
    *,
    tracer_provider: TracerProvider,
    internal_token: str | None = None,
    body_limits: BodyLimits | None = None,
    trace_asgi_messages: bool = False,
    **fastapi_kwargs: Any,
) -> FastAPI:
    """A FastAPI app with the registry's shared behaviour installed. `body_limits`: the request
    body ceilings (default: `BodyLimits()`, 1 MiB on every route)."""
    app = FastAPI(**fastapi_kwargs)
    install_error_handlers(app, service)
    # Inside the request log, so a 413 is logged and carries the trace id like any answer.
    app.add_middleware(BodyLimitMiddleware, limits=body_limits or BodyLimits())
    app.add_middleware(RequestLogMiddleware, service=service, internal_token=internal_token)
    # One span per request, not also one per ASGI message, unless asked for
    # (REGISTRY_TRACE_ASGI_MESSAGES): each `send` as a child span is ~400 spans (created,
    # exported, stored by health) per 26 MB download in 64 KiB chunks (docs/performance.md,
    # bottleneck 1).
    FastAPIInstrumentor.instrument_app(
        app,
        tracer_provider=tracer_provider,
        excluded_urls=TELEMETRY_PATH_PREFIX,
        exclude_spans=None if trace_asgi_messages else ["send", "receive"],
    )
    return app


class ServiceClient:
    """Calls one internal service; mirrors its RegistryErrors and names it in outages.

    Embedded mode gives an in-process ASGI transport; distributed mode a base URL.
    """

    def __init__(
        self,
        service: str,
        base_url: str,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        tracer_provider: TracerProvider | None = None,
        internal_token: str | None = None,
        timeout: float = 60.0,
    ) -> None:
        self.service = service
        headers = internal_token_headers(internal_token)
        self._client = httpx.AsyncClient(
            base_url=base_url,
            transport=transport,
            headers=headers,
            timeout=httpx.Timeout(timeout, connect=3.0),
        )
        if tracer_provider is not None:
            HTTPXClientInstrumentor.instrument_client(self._client, tracer_provider=tracer_provider)

    async def request(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        **extra: Any,
    ) -> httpx.Response:
        """`extra` goes to httpx as is (`files=`, `data=` for multipart forms)."""
        try:
            response = await self._client.request(
                method, path, json=json, params=params, headers=headers, **extra
            )
        except (httpx.TransportError, OSError) as exc:
            raise ComponentUnavailable(f"{self.service} service", type(exc).__name__) from exc
        if response.status_code >= 400:
            raise self._mirror_error(response)
        return response

    def _mirror_error(self, response: httpx.Response) -> RegistryError:
        try:
            body = response.json()
        except ValueError:
            body = {}
        message = body.get("detail") if isinstance(body, dict) else None
        if not isinstance(message, str):
            message = f"The {self.service} service failed (HTTP {response.status_code})."
        code = body.get("code") if isinstance(body, dict) else None
        details = body.get("details") if isinstance(body, dict) else None
        return RegistryError(
            message,
            response.status_code,
            code=code if isinstance(code, str) else None,
            details=details if isinstance(details, dict) else None,
        )

    async def get(self, path: str, **kwargs: Any) -> httpx.Response:
        return await self.request("GET", path, **kwargs)

    async def post(self, path: str, **kwargs: Any) -> httpx.Response:
        return await self.request("POST", path, **kwargs)

    async def aclose(self) -> None:
        await self._client.aclose()
