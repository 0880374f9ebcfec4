"""The gateway serves the customer's contract: every path, method and shape of the spec."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from registry_common.settings import RuntimeSettings
from registry_gateway.app import create_app
from registry_gateway.config import GatewaySettings
from tests.harness.openapi_diff import compare_to_spec, load_spec, locate_spec


@pytest.fixture
def served(tmp_path: Path) -> dict[str, object]:
    # Building the app connects to nothing, so the document needs no running service.
    app = create_app(GatewaySettings(runtime=RuntimeSettings(data_dir=tmp_path)))
    with TestClient(app) as client:
        response = client.get("/openapi.json")
    assert response.status_code == 200
    document: dict[str, object] = response.json()
    return document


def test_served_document_conforms_to_the_spec(served: dict[str, object]) -> None:
    assert compare_to_spec(served, load_spec(locate_spec())) == []


def test_no_422_anywhere(served: dict[str, object]) -> None:
    paths = served["paths"]
    assert isinstance(paths, dict)
    for path, operations in paths.items():
        for method, operation in operations.items():
            assert "422" not in operation.get("responses", {}), f"{method.upper()} {path}"
