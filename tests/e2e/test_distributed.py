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
