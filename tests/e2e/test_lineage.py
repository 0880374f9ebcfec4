"""Lineage and dependency cost end to end through the gateway, in both topologies, on the
fake hubs' fixtures, with the real scorer rating every model."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.harness.registry import RunningRegistry
from tests.harness.topology import REAL_SCORER, Topology, topology

pytestmark = [pytest.mark.e2e, pytest.mark.integration]

HF = "https://huggingface.co"


@pytest.fixture(scope="module")
def lineage_topology(topology_kind: str, request: pytest.FixtureRequest) -> Iterator[Topology]:
    with topology(topology_kind, REAL_SCORER, request) as running:
        yield running


@pytest.fixture
def registry(
    lineage_topology: Topology, request: pytest.FixtureRequest
) -> Iterator[RunningRegistry]:
    with lineage_topology.fresh(request) as running:
        yield running


@pytest.fixture
def admin(registry: RunningRegistry) -> Iterator[httpx.Client]:
    with registry.admin() as client:
        yield client


def register(admin: httpx.Client, kind: str, url: str) -> str:
    response = admin.post(f"/artifact/{kind}", json={"url": url})
    assert response.status_code == 201, response.text
    artifact_id: str = response.json()["metadata"]["id"]
    return artifact_id


def lineage(admin: httpx.Client, artifact_id: str) -> dict[str, Any]:
    response = admin.get(f"/artifact/model/{artifact_id}/lineage")
    assert response.status_code == 200, response.text
    graph: dict[str, Any] = response.json()
    for node in graph["nodes"]:  # every node carries non-null fields
        assert all(node[k] is not None for k in ("artifact_id", "name", "source", "metadata"))
    return graph


def edges(graph: dict[str, Any]) -> set[tuple[str, str, str]]:
    return {
        (e["from_node_artifact_id"], e["to_node_artifact_id"], e["relationship"])
        for e in graph["edges"]
    }


def test_a_chain_of_three_binds_registered_parents_by_id(admin: httpx.Client) -> None:
    base = register(admin, "model", f"{HF}/lineage-lab/minilm-base")
    tuned = register(admin, "model", f"{HF}/lineage-lab/minilm-imdb-sentiment")
    onnx = register(admin, "model", f"{HF}/lineage-lab/minilm-imdb-sentiment-onnx")
    graph = lineage(admin, onnx)
    ids = {n["artifact_id"] for n in graph["nodes"]}
    assert {base, tuned, onnx} <= ids
    assert (tuned, onnx, "base_model") in edges(graph)
    assert (base, tuned, "base_model") in edges(graph)


def test_parent_registered_after_the_child_binds_then(admin: httpx.Client) -> None:
    child = register(admin, "model", f"{HF}/parvk11/audience_classifier_model")
    before = lineage(admin, child)
    external = [n for n in before["nodes"] if n["artifact_id"] != child]
    assert [n["name"] for n in external] == ["google-bert/bert-base-uncased"]
    assert external[0]["source"] == "config_json"
    assert external[0]["artifact_id"].startswith("ext-")

    parent = register(admin, "model", f"{HF}/google-bert/bert-base-uncased")
    after = lineage(admin, child)
    assert (parent, child, "base_model") in edges(after)
    # The parent's own datasets and code come along, transitively.
    relationships = {e["relationship"] for e in after["edges"]}
    assert {"base_model", "fine_tuning_dataset", "code_repository"} <= relationships


def test_datasets_and_code_linked_to_a_model(admin: httpx.Client) -> None:
    dataset = register(admin, "dataset", f"{HF}/datasets/bookcorpus/bookcorpus")
    code = register(admin, "code", "https://github.com/google-research/bert")
    model = register(admin, "model", f"{HF}/google-bert/bert-base-uncased")
    graph = lineage(admin, model)
    assert (dataset, model, "fine_tuning_dataset") in edges(graph)
    assert (code, model, "code_repository") in edges(graph)

    cost = admin.get(f"/artifact/model/{model}/cost", params={"dependency": "true"})
    assert cost.status_code == 200, cost.text
    costs = cost.json()
    assert {model, dataset, code} <= set(costs)
    own = costs[model]["standalone_cost"]
    assert costs[model]["total_cost"] == pytest.approx(
        own + costs[dataset]["standalone_cost"] + costs[code]["standalone_cost"], abs=1e-5
    )
    assert costs[dataset]["total_cost"] == costs[dataset]["standalone_cost"]
    plain = admin.get(f"/artifact/model/{model}/cost").json()
    assert plain == {model: {"total_cost": own}}


def test_cycles_and_self_references_terminate(admin: httpx.Client) -> None:
    a = register(admin, "model", f"{HF}/cycle-lab/ouroboros-a")
    b = register(admin, "model", f"{HF}/cycle-lab/ouroboros-b")
    graph = lineage(admin, a)
    assert {(b, a, "base_model"), (a, b, "base_model")} <= edges(graph)
    selfish = register(admin, "model", f"{HF}/cycle-lab/self-parent")
    alone = lineage(admin, selfish)
    assert [n["artifact_id"] for n in alone["nodes"]] == [selfish]
    assert alone["edges"] == []
    cost = admin.get(f"/artifact/model/{a}/cost", params={"dependency": "true"}).json()
    assert cost[a]["total_cost"] == pytest.approx(
        cost[a]["standalone_cost"] + cost[b]["standalone_cost"], abs=1e-5
    )


def test_malformed_metadata_is_400_and_unknown_ids_404(admin: httpx.Client) -> None:
    broken = register(admin, "model", f"{HF}/broken-cards/malformed-yaml-model")
    response = admin.get(f"/artifact/model/{broken}/lineage")
    assert response.status_code == 400
    assert "malformed" in response.json()["detail"]
    assert admin.get("/artifact/model/1234567/lineage").status_code == 404
    dataset = register(admin, "dataset", f"{HF}/datasets/stanfordnlp/imdb")
    assert admin.get(f"/artifact/model/{dataset}/lineage").status_code == 404


def test_deleting_a_parent_turns_it_external_again(admin: httpx.Client) -> None:
    base = register(admin, "model", f"{HF}/lineage-lab/minilm-base")
    tuned = register(admin, "model", f"{HF}/lineage-lab/minilm-imdb-sentiment")
    assert admin.delete(f"/artifacts/model/{base}").status_code == 200
    import time

    deadline = time.monotonic() + 20  # the delete reaches lineage over the bus
    while time.monotonic() < deadline:
        graph = lineage(admin, tuned)
        if base not in {n["artifact_id"] for n in graph["nodes"]}:
            break
        time.sleep(0.05)
    names = {n["name"] for n in graph["nodes"] if n["artifact_id"].startswith("ext-")}
    assert "lineage-lab/minilm-base" in names
