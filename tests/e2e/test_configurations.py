"""R22: the registry on components chosen by configuration, end to end through the gateway.

Embedded mode with the catalog on DynamoDB and the blobs on S3 (both on the moto emulator):
the same public API answers the same way as on SQLite and disk (`test_catalog.py`)."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest

from registry_common.settings import RuntimeSettings
from registry_ingest.config import IngestSettings
from tests.fakes.github import FakeGitHub
from tests.fakes.hub import FakeHub
from tests.harness.registry import RunningRegistry, embedded

pytestmark = pytest.mark.e2e

BERT = "https://huggingface.co/google-bert/bert-base-uncased"
IMDB = "https://huggingface.co/datasets/stanfordnlp/imdb"


@pytest.fixture
def dynamo_registry(
    tmp_path: Path, aws_endpoint: str, fake_hub: FakeHub, fake_github: FakeGitHub
) -> Iterator[RunningRegistry]:
    def settings(runtime: RuntimeSettings) -> dict[str, Any]:
        return {
            "ingest": IngestSettings(
                runtime=runtime, metadata_store="dynamodb", dynamodb_table="e2e-catalog"
            )
        }

    with embedded(
        tmp_path / "registry",
        runtime={
            "hf_endpoint": fake_hub.url,
            "github_api_url": fake_github.url,
            "aws_endpoint_url": aws_endpoint,
            "blob_backend": "s3",
            "s3_bucket": "e2e-dynamo-blobs",
        },
        settings=settings,
    ) as registry:
        yield registry


def test_the_catalog_on_dynamodb_through_the_gateway(
    dynamo_registry: RunningRegistry, aws_endpoint: str
) -> None:
    with dynamo_registry.admin() as admin:
        created = admin.post("/artifact/model", json={"url": BERT, "name": "bert on dynamo"})
        assert created.status_code == 201, created.text
        model = created.json()
        artifact_id = model["metadata"]["id"]
        dataset = admin.post("/artifact/dataset", json={"url": IMDB}).json()["metadata"]

        assert admin.get(f"/artifacts/model/{artifact_id}").json() == model
        assert admin.get("/artifact/byName/bert on dynamo").json() == [model["metadata"]]
        listed = admin.post("/artifacts", json=[{"name": "*"}])
        assert listed.status_code == 200
        assert [a["id"] for a in listed.json()] == [artifact_id, dataset["id"]]
        typed = admin.post("/artifacts", json=[{"name": "*", "types": ["dataset"]}])
        assert typed.json() == [dataset]
        # No regex in DynamoDB: the READMEs are read and matched by the service.
        found = admin.post("/artifact/byRegEx", json={"regex": "(?i)masked language model"})
        assert found.status_code == 200
        assert found.json() == [model["metadata"]]
        assert admin.post("/artifact/byRegEx", json={"regex": "^zzz$"}).status_code == 404
        rated = admin.get(f"/artifact/model/{artifact_id}/rate")
        assert rated.status_code == 200, rated.text

        download = admin.get(f"/artifacts/model/{artifact_id}/download")
        assert download.status_code == 200
        assert hashlib.sha256(download.content).hexdigest() == download.headers["X-Checksum-SHA256"]

        components = admin.get("/health/components")
        assert components.status_code == 200
        ingest = [c for c in components.json()["components"] if c["id"] == "ingest"]
        assert [c["status"] for c in ingest] == ["ok"]  # its DynamoDB check answered

        assert admin.delete("/reset").status_code == 200
    with dynamo_registry.admin() as admin:
        assert admin.get(f"/artifacts/model/{artifact_id}").status_code == 404
    # The catalog really is in DynamoDB: the table holds only the order counter now.
    client = boto3.client("dynamodb", endpoint_url=aws_endpoint, region_name="us-east-1")
    items = client.scan(TableName="e2e-catalog")["Items"]
    assert [item["pk"]["S"] for item in items] == ["COUNTER"]
