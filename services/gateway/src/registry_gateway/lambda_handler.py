"""The gateway as an AWS Lambda function (the CDK app's `gateway_shape=lambda`).

`handler` is the function's entry point (`registry_gateway.lambda_handler.handler`). Mangum
translates API Gateway HTTP API (payload 2.0), REST API and ALB events into ASGI requests
and the responses back, base64-encoding binary bodies (docs/decisions.md says why Mangum).
Around it, this module adds what a Lambda gateway needs beyond that translation:

- **One startup per execution environment.** Mangum's own lifespan handling would run the
  app's startup and shutdown around *every* invocation (new HTTP clients, a new telemetry
  pipeline per request). Here the lifespan starts once, on the first invocation (the cold
  start), on the event loop Mangum keeps, and stays up while AWS keeps the environment warm.
- **The 6 MB response ceiling.** A synchronous invocation can return at most 6 MB of JSON,
  and a binary body grows by a third in base64. A larger answer would fail in AWS with an
  opaque 502 after the bytes were read; `ResponseCeiling` refuses it up front from its
  Content-Length (or once the streamed bytes pass the ceiling) with a 502 that says what to
  do instead: a byte range or part, or the presigned redirect the Lambda stack turns on
  (`GATEWAY_DOWNLOAD_REDIRECT=true` with S3 blobs: a download is then a 307 to S3, a few
  hundred bytes through Lambda).
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import MutableMapping
from typing import Any

from mangum import Mangum
from mangum.adapter import DEFAULT_TEXT_MIME_TYPES
from mangum.protocols import LifespanCycle
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from registry_common.errors import RegistryError

# AWS Lambda's synchronous response payload limit, and room for the status and headers.
LAMBDA_RESPONSE_LIMIT = 6 * 1024 * 1024
_ENVELOPE = 64 * 1024


class ResponseTooLarge(RegistryError):
    status = 502
    code = "response_too_large"


def encoded_size(body_bytes: int, content_type: str) -> int:
    """Bytes a body of `body_bytes` takes in the Lambda response (base64 unless text)."""
    text = any(content_type.startswith(prefix) for prefix in DEFAULT_TEXT_MIME_TYPES)
    return body_bytes if text else (body_bytes + 2) // 3 * 4


class _Refused(Exception):
    """Raised into the app from `send` to stop it producing a body nobody can receive."""


class ResponseCeiling:
    """Hold a response until it is complete; refuse it clearly if it cannot fit a Lambda
    response (see the module docstring). Mangum buffers the whole body anyway."""

    def __init__(self, app: ASGIApp, limit: int = LAMBDA_RESPONSE_LIMIT) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start: Message | None = None
        chunks: list[bytes] = []
        size = 0
        refused: ResponseTooLarge | None = None

        async def hold(message: Message) -> None:
            nonlocal start, size, refused
            if refused is not None:
                raise _Refused
            if message["type"] == "http.response.start":
                start = message
                declared = _header(message, b"content-length")
                if declared is not None and declared.isdigit():
                    refused = self._check(int(declared), message)
                return
            if message["type"] != "http.response.body":
                return
            chunks.append(message.get("body", b""))
            size += len(chunks[-1])
            refused = self._check(size, start)
            if refused is not None:
                raise _Refused
            if not message.get("more_body", False):
                assert start is not None
                await send(start)
                await send({"type": "http.response.body", "body": b"".join(chunks)})

        with contextlib.suppress(_Refused):
            await self.app(scope, receive, hold)
        if refused is not None:
            body = json.dumps(refused.to_body()).encode()
            await send(
                {
                    "type": "http.response.start",
                    "status": refused.status,
                    "headers": [
                        (b"content-type", b"application/json"),
                        (b"content-length", str(len(body)).encode()),
                    ],
                }
            )
            await send({"type": "http.response.body", "body": body})

    def _check(self, body_bytes: int, start: Message | None) -> ResponseTooLarge | None:
        content_type = (_header(start, b"content-type") if start else None) or ""
        if encoded_size(body_bytes, content_type) + _ENVELOPE <= self.limit:
            return None
        return ResponseTooLarge(
            f"The response ({body_bytes} bytes) is larger than an AWS Lambda function can "
            f"return ({self.limit // 2**20} MB, a binary body encoded in base64). Ask for "
            "less (a `part` of the artifact, or a byte range with the Range header), or use "
            "a deployment that redirects downloads to S3 (GATEWAY_DOWNLOAD_REDIRECT=true) or "
            "runs the gateway on Fargate."
        )


def _header(message: Message | None, name: bytes) -> str | None:
    for key, value in (message or {}).get("headers", []):
        if key.lower() == name:
            return bytes(value).decode("latin-1")
    return None


class LambdaGateway:
    """An ASGI app as a Lambda handler: lifespan once per environment, responses capped."""

    def __init__(self, app: ASGIApp, *, response_limit: int = LAMBDA_RESPONSE_LIMIT) -> None:
        self._app = app
        self._adapter = Mangum(ResponseCeiling(app, response_limit), lifespan="off")
        self._lifespan: LifespanCycle | None = None

    def __call__(self, event: dict[str, Any], context: Any) -> dict[str, Any]:
        if self._lifespan is None:
            # Startup runs on the loop Mangum runs every request on, so what it opens
            # (HTTP client pools) stays usable on the warm invocations that follow.
            lifespan = LifespanCycle(self._app, "on")  # type: ignore[arg-type]
            lifespan.__enter__()
            self._lifespan = lifespan
        return self._adapter(event, context)

    def close(self) -> None:
        """Run the app's shutdown (tests; AWS freezes or discards the environment)."""
        if self._lifespan is not None:
            lifespan, self._lifespan = self._lifespan, None
            lifespan.__exit__(None, None, None)


_gateway: LambdaGateway | None = None


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """The function's entry point: the gateway built from the environment on first use
    (GATEWAY_* and REGISTRY_* settings, as on Fargate)."""
    global _gateway
    if _gateway is None:
        load_secrets(os.environ)
        from registry_common.telemetry import configure_logging
        from registry_gateway.app import create_app
        from registry_gateway.config import GatewaySettings

        settings = GatewaySettings()
        configure_logging(settings.runtime.log_level)
        _gateway = LambdaGateway(create_app(settings))
    return _gateway(event, context)


def load_secrets(environ: MutableMapping[str, str]) -> None:
    """Lambda has no secret injection (ECS puts secrets into the environment): read the
    internal token from Secrets Manager once, at cold start, when the stack names it."""
    arn = environ.get("GATEWAY_INTERNAL_TOKEN_SECRET_ARN")
    if not arn or environ.get("REGISTRY_INTERNAL_TOKEN"):
        return
    from botocore.session import get_session

    client = get_session().create_client(
        "secretsmanager",
        region_name=environ.get("REGISTRY_AWS_REGION") or environ.get("AWS_REGION"),
        endpoint_url=environ.get("REGISTRY_AWS_ENDPOINT_URL"),
    )
    environ["REGISTRY_INTERNAL_TOKEN"] = client.get_secret_value(SecretId=arn)["SecretString"]
