"""The gateway as a Lambda function: real API Gateway (HTTP API, payload 2.0) and ALB events
go through `registry_gateway.lambda_handler` into the registry and back.

The registry behind the handler is the embedded one (every service in-process), so the
events exercise the whole path a Lambda-hosted gateway serves; the events' shapes are AWS's
(`services/gateway/tests/lambda_events/`)."""

from __future__ import annotations

import base64
import copy
import hashlib
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest

from registry_common.settings import RuntimeSettings
from registry_gateway.lambda_handler import LambdaGateway
from registry_launcher.app import create_embedded_app
from tests.fakes.github import FakeGitHub
from tests.fakes.hub import FakeHub
from tests.harness.registry import DEFAULT_ADMIN, DEFAULT_PASSWORD

pytestmark = pytest.mark.e2e

EVENTS = Path(__file__).resolve().parents[2] / "services/gateway/tests/lambda_events"
BERT = "https://huggingface.co/google-bert/bert-base-uncased"
# Room for every JSON answer but not for a model bundle: the 6 MB ceiling, scaled down.
SMALL_LIMIT = 64 * 1024 + 24 * 1024


class LambdaContext:
    function_name = "registry-gateway"
    aws_request_id = "c6af9ac6-7b61-11e6-9a41-93e8deadbeef"

    def get_remaining_time_in_millis(self) -> int:
        return 29_000


@pytest.fixture(scope="module")
def gateway(
    tmp_path_factory: pytest.TempPathFactory, fake_hub: FakeHub, fake_github: FakeGitHub
) -> Iterator[LambdaGateway]:
    runtime = RuntimeSettings(
        data_dir=tmp_path_factory.mktemp("lambda") / "registry",
        telemetry_exporter="inprocess",
        hf_endpoint=fake_hub.url,
        github_api_url=fake_github.url,
    )
    handler = LambdaGateway(create_embedded_app(runtime), response_limit=SMALL_LIMIT)
    try:
        yield handler
    finally:
        handler.close()


def http_api(
    method: str,
    path: str,
    *,
    query: dict[str, str] | None = None,
    headers: dict[str, str] | None = None,
    body: bytes | None = None,
    base64_body: bool = False,
) -> dict[str, Any]:
    event: dict[str, Any] = copy.deepcopy(json.loads((EVENTS / "http_api_v2.json").read_text()))
    event["rawPath"] = event["requestContext"]["http"]["path"] = path
    event["requestContext"]["http"]["method"] = method
    event["rawQueryString"] = urlencode(query or {})
    if query:
        event["queryStringParameters"] = query
    event["headers"].update(headers or {})
    if body is not None:
        event["body"] = base64.b64encode(body).decode() if base64_body else body.decode()
        event["isBase64Encoded"] = base64_body
        event["headers"]["content-length"] = str(len(body))
    return event


def alb(method: str, path: str, *, headers: dict[str, str] | None = None) -> dict[str, Any]:
    event: dict[str, Any] = copy.deepcopy(json.loads((EVENTS / "alb.json").read_text()))
    event["httpMethod"], event["path"] = method, path
    event["headers"].update(headers or {})
    return event


def body_of(response: dict[str, Any]) -> bytes:
    raw = response.get("body", "")
    return base64.b64decode(raw) if response.get("isBase64Encoded") else raw.encode()


def token(gateway: LambdaGateway) -> str:
    credentials = {
        "user": {"name": DEFAULT_ADMIN, "is_admin": True},
        "secret": {"password": DEFAULT_PASSWORD},
    }
    answer = gateway(
        http_api(
            "PUT",
            "/authenticate",
            headers={"content-type": "application/json"},
            body=json.dumps(credentials).encode(),
        ),
        LambdaContext(),
    )
    assert answer["statusCode"] == 200, answer
    value: str = json.loads(body_of(answer))
    return value


def test_http_api_and_alb_events_reach_the_registry(gateway: LambdaGateway) -> None:
    health = gateway(http_api("GET", "/health"), LambdaContext())
    assert health["statusCode"] == 200
    assert health["isBase64Encoded"] is False
    assert health["headers"]["content-type"].startswith("application/json")
    assert health["headers"]["x-trace-id"]
    tracks = gateway(alb("GET", "/tracks"), LambdaContext())
    assert tracks["statusCode"] == 200
    assert "Performance track" in json.loads(body_of(tracks))["plannedTracks"]
    refused = gateway(http_api("GET", "/artifacts/model/123"), LambdaContext())
    assert refused["statusCode"] == 403  # no token: the gateway's own answer, unchanged


def test_register_and_download_through_lambda_events(gateway: LambdaGateway) -> None:
    auth = {"x-authorization": token(gateway), "content-type": "application/json"}
    # API Gateway hands some bodies over base64-encoded; the handler decodes them.
    created = gateway(
        http_api(
            "POST",
            "/artifact/model",
            headers=auth,
            body=json.dumps({"url": BERT, "name": "bert-on-lambda"}).encode(),
            base64_body=True,
        ),
        LambdaContext(),
    )
    assert created["statusCode"] == 201, created
    artifact_id = json.loads(body_of(created))["metadata"]["id"]
    found = gateway(
        http_api("GET", "/artifact/byName/bert-on-lambda", headers=auth), LambdaContext()
    )
    assert json.loads(body_of(found))[0]["id"] == artifact_id

    # A part small enough for a Lambda response comes back base64-encoded, byte-exact.
    card = gateway(
        alb("GET", f"/artifacts/model/{artifact_id}/download", headers=auth)
        | {"queryStringParameters": {"part": "card"}},
        LambdaContext(),
    )
    assert card["statusCode"] == 200, body_of(card)[:300]
    assert card["isBase64Encoded"] is True
    data = body_of(card)
    assert data[:2] == b"PK"  # a zip
    assert hashlib.sha256(data).hexdigest() == card["headers"]["x-checksum-sha256"]

    # The whole bundle does not fit: a clear 502 that says what to do instead, not a
    # truncated body or AWS's opaque failure.
    full = gateway(
        http_api("GET", f"/artifacts/model/{artifact_id}/download", headers=auth),
        LambdaContext(),
    )
    assert full["statusCode"] == 502, body_of(full)[:300]
    problem = json.loads(body_of(full))
    assert problem["code"] == "response_too_large"
    assert "GATEWAY_DOWNLOAD_REDIRECT=true" in problem["detail"]
    assert "Range" in problem["detail"]
    # ... and a byte range of it does fit.
    head = gateway(
        http_api(
            "GET",
            f"/artifacts/model/{artifact_id}/download",
            headers={**auth, "range": "bytes=0-1023"},
        ),
        LambdaContext(),
    )
    assert head["statusCode"] == 206
    assert len(body_of(head)) == 1024


def test_the_internal_token_comes_from_secrets_manager(aws_endpoint: str) -> None:
    import boto3

    from registry_gateway.lambda_handler import load_secrets

    secrets = boto3.client("secretsmanager", endpoint_url=aws_endpoint, region_name="us-east-1")
    arn = secrets.create_secret(Name="registry/internal-token", SecretString="t" * 32)["ARN"]
    environ = {
        "GATEWAY_INTERNAL_TOKEN_SECRET_ARN": arn,
        "REGISTRY_AWS_ENDPOINT_URL": aws_endpoint,
    }
    load_secrets(environ)
    assert environ["REGISTRY_INTERNAL_TOKEN"] == "t" * 32
    given = {"GATEWAY_INTERNAL_TOKEN_SECRET_ARN": arn, "REGISTRY_INTERNAL_TOKEN": "set"}
    load_secrets(given)  # already there (e.g. set by hand): left alone, nothing fetched
    assert given["REGISTRY_INTERNAL_TOKEN"] == "set"
