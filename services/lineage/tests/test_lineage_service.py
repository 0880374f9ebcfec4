"""The lineage service as a component: its app from `create_app`, a real SQLite store, events
fed to the use cases as the bus would, and its internal routes asked over HTTP."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from registry_common.events import (
    ArtifactDeleted,
    ArtifactRef,
    ArtifactUpdated,
    ArtifactUploaded,
    RegistryReset,
)
from registry_common.http import INTERNAL_TOKEN_HEADER
from registry_common.settings import RuntimeSettings
from registry_lineage.app import create_app
from registry_lineage.config import LineageSettings

TOKEN = "lineage-internal-token-for-tests"


@pytest.fixture
def lineage(tmp_path: Path) -> Iterator[TestClient]:
    runtime = RuntimeSettings(data_dir=tmp_path, telemetry_exporter="none", internal_token=TOKEN)
    app = create_app(LineageSettings(runtime=runtime))
    with TestClient(app, headers={INTERNAL_TOKEN_HEADER: TOKEN}) as client:
        yield client


def _index(client: TestClient, event: ArtifactUploaded | ArtifactUpdated) -> None:
    assert client.portal is not None
    client.portal.call(client.app.state.service.index, event)  # type: ignore[attr-defined]


def _uploaded(artifact_id: str, repo: str, **metadata: Any) -> ArtifactUploaded:
    return ArtifactUploaded(
        source="ingest",
        artifact=ArtifactRef(id=artifact_id, name=repo.split("/")[-1], type="model"),
        source_url=f"https://huggingface.co/{repo}",
        metadata={"source_kind": "huggingface_model", "repo_id": repo, **metadata},
    )


def test_a_fine_tune_links_to_its_registered_base_and_costs_both(lineage: TestClient) -> None:
    _index(lineage, _uploaded("1", "org/base", content_bytes=2_000_000))
    _index(
        lineage,
        _uploaded("2", "org/tuned", content_bytes=500_000, card_data={"base_model": "org/base"}),
    )
    graph = lineage.get("/internal/lineage/2")
    assert graph.status_code == 200, graph.text
    body = graph.json()
    ids = {node["artifact_id"] for node in body["nodes"]}
    assert {"1", "2"} <= ids
    assert {(e["from_node_artifact_id"], e["to_node_artifact_id"]) for e in body["edges"]} == {
        ("1", "2")
    }
    cost = lineage.get("/internal/cost/2").json()
    assert cost["2"]["standalone_cost"] == pytest.approx(0.5)
    assert cost["2"]["total_cost"] == pytest.approx(2.5)


def test_an_unindexed_artifact_is_a_404_that_says_so(lineage: TestClient) -> None:
    answer = lineage.get("/internal/lineage/404404")
    assert answer.status_code == 404
    assert answer.json()["code"] == "not_indexed"
    assert answer.json()["detail"] == "Artifact '404404' is not in the lineage index (yet)."


def test_malformed_metadata_is_a_400_naming_the_problem(lineage: TestClient) -> None:
    _index(lineage, _uploaded("7", "org/broken", card_error="the YAML header does not parse"))
    answer = lineage.get("/internal/lineage/7")
    assert answer.status_code == 400
    assert answer.json()["detail"] == (
        "The lineage graph cannot be computed because the artifact's metadata is malformed: "
        "the YAML header does not parse"
    )


def test_an_older_revision_never_replaces_a_newer_one(lineage: TestClient) -> None:
    _index(lineage, _uploaded("3", "org/model", revision=2, content_bytes=3_000_000))
    _index(lineage, _uploaded("3", "org/model", revision=1, content_bytes=1_000_000))
    assert lineage.get("/internal/cost/3").json()["3"]["standalone_cost"] == pytest.approx(3.0)


def test_a_forgotten_artifact_leaves_the_index(lineage: TestClient) -> None:
    _index(lineage, _uploaded("4", "org/gone"))
    assert lineage.get("/internal/lineage/4").status_code == 200
    assert lineage.portal is not None
    lineage.portal.call(lineage.app.state.service.forget, "4")  # type: ignore[attr-defined]
    assert lineage.get("/internal/lineage/4").status_code == 404


def test_internal_routes_need_the_token_and_unknown_routes_say_where_to_look(
    lineage: TestClient,
) -> None:
    refused = lineage.get("/internal/lineage/1", headers={INTERNAL_TOKEN_HEADER: "wrong"})
    assert refused.status_code == 403
    assert refused.json() == {
        "detail": "Internal routes need the internal token.",
        "code": "forbidden",
    }
    missing = lineage.get("/no/such/route")
    assert missing.status_code == 404
    assert missing.json()["detail"] == "There is no such route; see /openapi.json for the API."
    wrong_method = lineage.delete("/internal/lineage/1")
    assert wrong_method.status_code == 405
    assert wrong_method.json()["detail"] == (
        "This route does not accept that method; see /openapi.json for the API."
    )


def test_events_from_the_bus_index_forget_and_reset(lineage: TestClient) -> None:
    """The handlers the app subscribes: what ingest publishes reaches the index."""
    bus = lineage.app.state.kit.bus  # type: ignore[attr-defined]
    assert lineage.portal is not None

    def deliver(event: ArtifactUploaded | ArtifactDeleted | RegistryReset) -> None:
        assert lineage.portal is not None
        lineage.portal.call(bus.publish, event)
        lineage.portal.call(bus.drain)

    deliver(_uploaded("5", "org/a"))
    deliver(_uploaded("6", "org/b"))
    assert lineage.get("/internal/lineage/5").status_code == 200
    deliver(ArtifactDeleted(source="ingest", artifact=ArtifactRef(id="5", name="a", type="model")))
    assert lineage.get("/internal/lineage/5").status_code == 404
    assert lineage.get("/internal/lineage/6").status_code == 200
    deliver(RegistryReset(source="ingest", requested_by="admin"))
    assert lineage.get("/internal/lineage/6").status_code == 404
