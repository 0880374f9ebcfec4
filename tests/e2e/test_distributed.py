"""The distributed topology end to end: an event crosses processes with its trace id."""

from __future__ import annotations

import time

import pytest

from tests.harness.distributed import DistributedRegistry

pytestmark = [pytest.mark.e2e, pytest.mark.integration]

CONSUMERS = ("auth", "scoring", "lineage", "health")


def test_reset_event_crosses_processes_with_its_trace_id(
    distributed_registry: DistributedRegistry,
) -> None:
    token = distributed_registry.admin_token()
    with distributed_registry.client() as client:
        assert client.get("/tracks").status_code == 200
        response = client.delete("/reset", headers={"X-Authorization": token})
    assert response.status_code == 200, response.text
    trace_id = response.headers["X-Trace-Id"]

    def applied(service: str) -> bool:
        return any(
            r.get("event") == f"{service}.reset.applied" and r.get("trace_id") == trace_id
            for r in distributed_registry.log_records(service)
        )

    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and not all(applied(s) for s in CONSUMERS):
        time.sleep(0.2)
    assert {s: applied(s) for s in CONSUMERS} == dict.fromkeys(CONSUMERS, True)
    # The same trace id in the gateway's and ingest's request logs: one trace, many processes.
    for service in ("gateway", "ingest"):
        assert any(
            r.get("trace_id") == trace_id for r in distributed_registry.log_records(service)
        ), service


def test_authentication_works_across_processes(
    distributed_registry: DistributedRegistry,
) -> None:
    token = distributed_registry.admin_token()
    with distributed_registry.client() as client:
        ok = client.delete("/reset", headers={"X-Authorization": token})
        denied = client.delete("/reset", headers={"X-Authorization": "bearer nope"})
    assert ok.status_code == 200
    assert denied.status_code == 403


def test_catalog_round_trip_on_s3_postgres_and_sns_sqs(
    distributed_registry: DistributedRegistry,
) -> None:
    """Datasets and code need no rating, so the whole catalog path runs without scoring."""
    import hashlib

    with distributed_registry.admin() as admin:
        dataset = admin.post(
            "/artifact/dataset", json={"url": "https://huggingface.co/datasets/stanfordnlp/imdb"}
        )
        assert dataset.status_code == 201, dataset.text
        code = admin.post(
            "/artifact/code",
            json={"url": "https://github.com/openai/whisper", "name": "whisper tool"},
        )
        assert code.status_code == 201, code.text
        code_id = code.json()["metadata"]["id"]

        listed = admin.post("/artifacts", json=[{"name": "*"}])
        assert {a["name"] for a in listed.json()} == {"imdb", "whisper tool"}
        assert admin.post("/artifact/byRegEx", json={"regex": "whisper"}).status_code == 200

        download = admin.get(f"/artifacts/code/{code_id}/download")
        assert download.status_code == 200
        assert hashlib.sha256(download.content).hexdigest() == download.headers["X-Checksum-SHA256"]
        ranged = admin.get(f"/artifacts/code/{code_id}/download", headers={"Range": "bytes=0-9"})
        assert ranged.status_code == 206
        assert ranged.content == download.content[:10]

        assert admin.delete(f"/artifacts/code/{code_id}").status_code == 200
        assert admin.get(f"/artifacts/code/{code_id}").status_code == 404
        assert admin.delete("/reset").status_code == 200
        assert admin.post("/artifacts", json=[{"name": "*"}]).json() == []


def test_models_are_rated_traced_and_linked_across_processes(
    distributed_registry: DistributedRegistry,
) -> None:
    """Real scoring in its own process (SNS/SQS), lineage, /rate, license check, audit and
    the health feed, with blobs on S3 and metadata in PostgreSQL."""
    hf = "https://huggingface.co"
    with distributed_registry.admin() as admin:
        base = admin.post("/artifact/model", json={"url": f"{hf}/lineage-lab/minilm-base"})
        assert base.status_code == 201, base.text
        tuned = admin.post(
            "/artifact/model", json={"url": f"{hf}/lineage-lab/minilm-imdb-sentiment"}
        )
        assert tuned.status_code == 201, tuned.text
        base_id = base.json()["metadata"]["id"]
        tuned_id = tuned.json()["metadata"]["id"]

        rating = admin.get(f"/artifact/model/{tuned_id}/rate")
        assert rating.status_code == 200, rating.text
        assert len(rating.json()) == 26

        graph = admin.get(f"/artifact/model/{tuned_id}/lineage").json()
        assert {
            "from_node_artifact_id": base_id,
            "to_node_artifact_id": tuned_id,
            "relationship": "base_model",
        } in graph["edges"]

        verdict = admin.post(
            f"/artifact/model/{tuned_id}/license-check",
            json={"github_url": "https://github.com/openai/whisper"},
        )
        assert verdict.status_code == 200, verdict.text

        actions = [e["action"] for e in admin.get(f"/artifact/model/{tuned_id}/audit").json()]
        assert actions[0] == "CREATE"
        assert "RATE" in actions

        health = admin.get("/health/components")
        assert health.status_code == 200, health.text
        statuses = {c["id"]: c["status"] for c in health.json()["components"]}
        for service in ("gateway", "auth", "ingest", "scoring", "lineage"):
            assert statuses[service] in {"ok", "unknown"}, (
                service,
                [c.get("issues") for c in health.json()["components"] if c["id"] == service],
            )
