"""The distributed topology end to end: an event crosses processes with its trace id."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import httpx
import orjson
import pytest

from tests.harness.distributed import DistributedRegistry
from tests.harness.registry import DEFAULT_PASSWORD
from tests.harness.topology import REAL_SCORER, DistributedPool, expected_failures

pytestmark = [pytest.mark.e2e, pytest.mark.integration]

CONSUMERS = ("auth", "scoring", "lineage", "health")


@pytest.fixture(scope="module")
def distributed_registry(distributed_pool: DistributedPool) -> DistributedRegistry:
    """The pool's topology with the real scorer (shared with the other modules that use it),
    emptied for this module."""
    registry = distributed_pool.get(REAL_SCORER)
    registry.reset()
    return registry


@pytest.fixture(autouse=True)
def _invariant(
    distributed_registry: DistributedRegistry, request: pytest.FixtureRequest
) -> Iterator[None]:
    with distributed_registry.checked(expected_failures(request)):
        yield


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


def _wait_for_trace(
    admin: httpx.Client, trace_id: str, services: set[str], timeout: float = 30
) -> dict[str, Any]:
    """Spans reach the health service in batches from each process, each when it ends (the
    gateway's own request span last): poll until every expected service has reported and the
    tree is whole (one root), or give up."""
    deadline = time.monotonic() + timeout
    tree: dict[str, Any] = {}
    while time.monotonic() < deadline:
        answer = admin.get(f"/health/traces/{trace_id}")
        if answer.status_code == 200:
            tree = answer.json()
            roots = [span for span in tree["spans"] if span["depth"] == 0]
            if services <= set(tree["services"]) and len(roots) == 1:
                return tree
        time.sleep(0.3)
    return tree


def test_one_upload_is_one_trace_across_processes_with_its_logs(
    distributed_registry: DistributedRegistry,
) -> None:
    """R13 in distributed mode: spans and logs of every process reach the health service
    (OTLP), so operations staff follow one request from the gateway through auth and ingest
    into the bus consumers, with its database and AWS calls, and read its log lines."""
    token = distributed_registry.admin_token()
    with distributed_registry.admin() as admin:
        created = admin.post(
            "/artifact/model", json={"url": "https://huggingface.co/google-bert/bert-base-uncased"}
        )
        assert created.status_code == 201, created.text
        trace_id = created.headers["X-Trace-Id"]
        artifact_id = created.json()["metadata"]["id"]

        wanted = {"gateway", "auth", "ingest", "scoring", "lineage"}
        tree = _wait_for_trace(admin, trace_id, wanted)
        assert wanted <= set(tree.get("services", [])), tree.get("services")
        spans = tree["spans"]
        # One tree: a single root, the gateway's request; every other span's parent is held.
        ids = {span["span_id"] for span in spans}
        roots = [span for span in spans if span["depth"] == 0]
        assert [(r["service"], r["kind"]) for r in roots] == [("gateway", "server")], [
            (s["depth"], s["service"], s["kind"], s["name"], s["parent_span_id"]) for s in spans
        ]
        assert all(span["parent_span_id"] in ids for span in spans if span["depth"] > 0)
        consumers = {s["service"] for s in spans if s["kind"] == "consumer"}
        assert {"scoring", "lineage"} <= consumers

        # Database queries and AWS calls are child spans, without values or secrets.
        queries = [
            s
            for s in spans
            if "db.system" in s["attributes"] or "db.system.name" in s["attributes"]
        ]
        assert {s["service"] for s in queries} >= {"auth", "ingest"}
        aws_calls = {
            (s["attributes"]["rpc.service"], s["attributes"]["rpc.method"])
            for s in spans
            if s["attributes"].get("rpc.system") == "aws-api"
        }
        assert ("S3", "PutObject") in aws_calls
        assert ("SNS", "Publish") in aws_calls
        shown = orjson.dumps([s["attributes"] for s in spans]).decode()
        assert token.split()[-1] not in shown
        assert DEFAULT_PASSWORD not in shown
        assert "testing" not in shown  # the AWS credentials
        for query in queries:
            statement = str(query["attributes"].get("db.statement", ""))
            assert artifact_id not in statement
            assert "bert-base-uncased" not in statement

        # Log records are shipped every second, each process on its own: poll for them too.
        logged = {"gateway", "auth", "ingest", "scoring", "lineage"}
        deadline = time.monotonic() + 15
        while True:
            logs = admin.get("/health/logs", params={"trace_id": trace_id, "limit": 1000}).json()
            by_service = {record["service"] for record in logs["records"]}
            if logged <= by_service or time.monotonic() > deadline:
                break
            time.sleep(0.3)
        assert logged <= by_service, by_service
        assert all(record["trace_id"] == trace_id for record in logs["records"])
        ingest_logs = admin.get("/health/logs", params={"service": "ingest"}).json()
        assert any(r["event"] == "ingest.artifact.stored" for r in ingest_logs["records"])

        # Request metrics for every service, not only the health service's own.
        assert admin.get(f"/artifact/model/{artifact_id}/rate").status_code == 200
        assert admin.get(f"/artifact/model/{artifact_id}/lineage").status_code == 200
        deadline = time.monotonic() + 15
        metrics: dict[str, Any] = {}
        while time.monotonic() < deadline:
            document = admin.get("/health/components", params={"windowMinutes": 5}).json()
            metrics = {c["id"]: c.get("metrics", {}) for c in document["components"]}
            if all(metrics[s].get("requests", 0) > 0 for s in wanted):
                break
            time.sleep(0.3)
        assert {s: metrics[s].get("requests", 0) > 0 for s in wanted} == dict.fromkeys(wanted, True)


def test_a_sensitive_models_monitor_runs_in_the_ingest_process(
    distributed_registry: DistributedRegistry,
) -> None:
    """R18/R19 in the distributed topology: the ingest process runs the node monitor in its
    sandbox, the history lives in PostgreSQL, the bundle on S3."""
    refuse = "console.log('refused for ' + process.argv[4]); process.exit(2);"
    allow = "const fs = require('fs'); console.log(fs.statSync(process.argv[5]).size);"
    with distributed_registry.admin() as admin:
        assert admin.delete("/reset").status_code == 200
        model = admin.post(
            "/artifact/model", json={"url": "https://huggingface.co/lineage-lab/minilm-base"}
        )
        assert model.status_code == 201, model.text
        model_id = model.json()["metadata"]["id"]
        path = f"/artifacts/model/{model_id}"
        set_refuse = admin.put(f"{path}/monitor", json={"sensitive": True, "program": refuse})
        assert set_refuse.status_code == 200, set_refuse.text
        refused = admin.get(f"{path}/download")
        assert refused.status_code == 403, refused.text
        assert "refused for ece30861defaultadminuser" in refused.json()["detail"]
        assert admin.put(f"{path}/monitor", json={"program": allow}).status_code == 200
        allowed = admin.get(f"{path}/download", params={"part": "config"})
        assert allowed.status_code == 200, allowed.text
        history = admin.get(f"{path}/downloads").json()
        assert [(e["part"], e["verdict"]) for e in history["items"]] == [
            ("config", "allowed"),
            ("full", "refused"),
        ]
        assert history["items"][0]["output"].strip() == str(len(allowed.content))
