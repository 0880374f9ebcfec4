"""The gateway's Lambda adapter (registry_gateway.lambda_handler) as a component, around a
small ASGI app: the response ceiling refuses what a Lambda cannot return with a sentence that
says what to ask for instead, the lifespan runs once per execution environment, and the
internal token comes from Secrets Manager (moto, in process) at cold start."""

from __future__ import annotations

import base64
import json
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import boto3
import pytest
from fastapi import FastAPI
from fastapi.responses import PlainTextResponse, Response, StreamingResponse
from moto import mock_aws

from registry_gateway.lambda_handler import LambdaGateway, encoded_size, load_secrets

EVENTS = Path(__file__).parent / "lambda_events"
# A ceiling just above the response envelope the adapter reserves (64 KiB): 300 bytes of body.
LIMIT = 64 * 1024 + 300
BIG = b"\x00" * 400  # binary: 536 bytes once base64-encoded, over the 300


def _app(events: list[str]) -> FastAPI:
    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        events.append("startup")
        yield
        events.append("shutdown")

    app = FastAPI(lifespan=lifespan)

    @app.get("/health")
    async def health() -> PlainTextResponse:
        return PlainTextResponse("ok")

    @app.get("/declared")
    async def declared() -> Response:
        return Response(BIG, media_type="application/zip")

    @app.get("/streamed")
    async def streamed() -> StreamingResponse:
        async def chunks() -> AsyncIterator[bytes]:
            for _ in range(4):
                yield BIG[:100]

        return StreamingResponse(chunks(), media_type="application/octet-stream")

    @app.get("/text")
    async def text() -> PlainTextResponse:
        return PlainTextResponse("t" * 250)  # text is not base64-encoded: it fits

    return app


def _event(path: str) -> dict[str, Any]:
    event: dict[str, Any] = json.loads((EVENTS / "http_api_v2.json").read_text())
    event["rawPath"] = path
    event["requestContext"]["http"]["path"] = path
    return event


@pytest.fixture
def gateway() -> Iterator[tuple[LambdaGateway, list[str]]]:
    events: list[str] = []
    lambda_gateway = LambdaGateway(_app(events), response_limit=LIMIT)
    yield lambda_gateway, events
    lambda_gateway.close()


TOO_LARGE = (
    "is larger than an AWS Lambda function can return (0 MB, a "
    "binary body encoded in base64). Ask for less (a `part` of the artifact, or a byte range "
    "with the Range header), or use a deployment that redirects downloads to S3 "
    "(GATEWAY_DOWNLOAD_REDIRECT=true) or runs the gateway on Fargate."
)


def test_the_lifespan_runs_once_per_environment(
    gateway: tuple[LambdaGateway, list[str]],
) -> None:
    lambda_gateway, events = gateway
    for _ in range(3):
        answer = lambda_gateway(_event("/health"), None)
        assert (answer["statusCode"], answer["body"]) == (200, "ok")
    assert events == ["startup"]
    lambda_gateway.close()
    assert events == ["startup", "shutdown"]


# Declared: refused from its Content-Length; streamed: once the bytes so far pass the ceiling.
@pytest.mark.parametrize(("path", "seen"), [("/declared", 400), ("/streamed", 300)])
def test_a_response_larger_than_lambda_returns_is_refused_with_what_to_do(
    gateway: tuple[LambdaGateway, list[str]], path: str, seen: int
) -> None:
    lambda_gateway, _ = gateway
    answer = lambda_gateway(_event(path), None)
    assert answer["statusCode"] == 502
    body = json.loads(answer["body"])
    assert body["code"] == "response_too_large"
    assert body["detail"] == f"The response ({seen} bytes) {TOO_LARGE}"


def test_text_is_measured_unencoded(gateway: tuple[LambdaGateway, list[str]]) -> None:
    lambda_gateway, _ = gateway
    answer = lambda_gateway(_event("/text"), None)
    assert answer["statusCode"] == 200
    assert answer["body"] == "t" * 250
    assert encoded_size(300, "text/plain") == 300
    assert encoded_size(300, "application/zip") == 400
    assert base64.b64encode(b"\x00" * 300).__len__() == encoded_size(300, "application/zip")


def test_the_internal_token_comes_from_secrets_manager_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    with mock_aws():
        secrets = boto3.client("secretsmanager", region_name="us-east-1")
        arn = secrets.create_secret(Name="gateway-token", SecretString="s3cr3t-token")["ARN"]
        environ = {"GATEWAY_INTERNAL_TOKEN_SECRET_ARN": arn, "AWS_REGION": "us-east-1"}
        load_secrets(environ)
        assert environ["REGISTRY_INTERNAL_TOKEN"] == "s3cr3t-token"
        # Already set (ECS-style injection, or a warm start): not read again.
        set_already = {"GATEWAY_INTERNAL_TOKEN_SECRET_ARN": arn, "REGISTRY_INTERNAL_TOKEN": "x"}
        load_secrets(set_already)
        assert set_already["REGISTRY_INTERNAL_TOKEN"] == "x"
    without_arn: dict[str, str] = {}
    load_secrets(without_arn)
    assert without_arn == {}
