"""How the DynamoDB catalog (registry_ingest.dynamo_catalog) reports what DynamoDB answers:
an outage, a missing table, denied access or throttling is a 503 naming the metadata store
and the reason; a request DynamoDB refuses as malformed stays a bug (re-raised). The errors
are botocore's own ClientError shapes; nothing is sent anywhere."""

from __future__ import annotations

from pathlib import Path

import pytest
from botocore.exceptions import ClientError, EndpointConnectionError

from registry_common.errors import ComponentUnavailable
from registry_common.settings import RuntimeSettings
from registry_ingest.dynamo_catalog import DynamoCatalog


def _client_error(code: str, status: int = 400) -> ClientError:
    return ClientError(
        {"Error": {"Code": code, "Message": "x"}, "ResponseMetadata": {"HTTPStatusCode": status}},
        "GetItem",
    )


@pytest.fixture
def catalog(tmp_path: Path) -> DynamoCatalog:
    runtime = RuntimeSettings(data_dir=tmp_path, telemetry_exporter="none")
    return DynamoCatalog(runtime, "registry-catalog", sessions=None)  # type: ignore[arg-type]


def _sentence(reason: str) -> str:
    return (
        f"The metadata store (DynamoDB) is unavailable right now ({reason}); nothing was "
        "changed, please retry shortly."
    )


@pytest.mark.parametrize(
    ("error", "reason"),
    [
        (_client_error("ResourceNotFoundException"), "the table 'registry-catalog' does not exist"),
        (
            _client_error("AccessDeniedException"),
            "access to the table 'registry-catalog' is denied",
        ),
        (
            _client_error("UnrecognizedClientException"),
            "access to the table 'registry-catalog' is denied",
        ),
        (_client_error("ThrottlingException"), "requests are being throttled"),
        (_client_error("ProvisionedThroughputExceededException"), "requests are being throttled"),
        (
            _client_error("InternalServerError", 500),
            "the DynamoDB service failed (InternalServerError)",
        ),
        (_client_error("", 503), "the DynamoDB service failed (503)"),
        (EndpointConnectionError(endpoint_url="http://127.0.0.1:9"), "EndpointConnectionError"),
        (TimeoutError(), "TimeoutError"),
    ],
)
def test_outages_are_a_503_naming_the_store_and_the_reason(
    catalog: DynamoCatalog, error: Exception, reason: str
) -> None:
    with pytest.raises(ComponentUnavailable) as outage, catalog._errors():
        raise error
    assert outage.value.status == 503
    assert outage.value.message == _sentence(reason)
    assert outage.value.details == {"component": "metadata store (DynamoDB)"}


def test_a_malformed_request_stays_a_bug(catalog: DynamoCatalog) -> None:
    with pytest.raises(ClientError, match="ValidationException"), catalog._errors():
        raise _client_error("ValidationException")
