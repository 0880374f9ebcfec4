"""The gateway's use cases against fake internal services (httpx's MockTransport): which
internal route each public operation asks, with what, and how the answers and failures come
back. The fakes keep the requests they were sent and answer from a table the test sets."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest

from registry_common.errors import ComponentUnavailable, RegistryError
from registry_common.http import USER_HEADER, ServiceClient
from registry_gateway.clients import ServiceClients
from registry_gateway.security import Caller
from registry_gateway.service import GatewayService

Answer = httpx.Response | Callable[[httpx.Request], httpx.Response]


class FakeServices:
    """Every internal service at once: answers by (service, method, path), records requests."""

    def __init__(self) -> None:
        self.answers: dict[tuple[str, str, str], list[Answer]] = {}
        self.requests: list[tuple[str, httpx.Request]] = []

    def answer(self, service: str, method: str, path: str, *answers: Answer) -> None:
        self.answers[(service, method, path)] = list(answers)

    def transport(self, service: str) -> httpx.MockTransport:
        def handle(request: httpx.Request) -> httpx.Response:
            self.requests.append((service, request))
            path = request.url.raw_path.decode().split("?", 1)[0]
            queued = self.answers.get((service, request.method, path))
            if not queued:
                return httpx.Response(404, json={"detail": "There is no such route.", "code": "x"})
            answer = queued.pop(0) if len(queued) > 1 else queued[0]
            return answer(request) if callable(answer) else answer

        return httpx.MockTransport(handle)

    def sent(self, service: str) -> list[httpx.Request]:
        return [request for name, request in self.requests if name == service]


@pytest.fixture
async def fakes() -> AsyncIterator[tuple[GatewayService, FakeServices]]:
    services = FakeServices()
    clients = ServiceClients(
        **{
            name: ServiceClient(name, f"http://{name}.internal", transport=services.transport(name))
            for name in ("auth", "ingest", "scoring", "lineage", "health")
        }
    )
    yield GatewayService(clients), services
    await clients.aclose()


ALICE = Caller("alice/ü", False, frozenset({"upload"}), created_at="2026-01-02T03:04:05Z")


def _artifact(status: int, **extra: Any) -> httpx.Response:
    artifact = {"metadata": {"id": "7", "name": "m", "type": "model"}, "data": {}, "extra": extra}
    return httpx.Response(200, json={"status": status, "artifact": artifact})


async def test_ids_from_callers_stay_inside_one_path_segment(
    fakes: tuple[GatewayService, FakeServices],
) -> None:
    service, fake = fakes
    fake.answer("ingest", "GET", "/internal/artifacts/model/..%2Fadmin%3Fx%3D1", _artifact(200))
    body = await service.get("model", "../admin?x=1")
    assert body["status"] == 200
    (request,) = fake.sent("ingest")
    assert request.url.raw_path == b"/internal/artifacts/model/..%2Fadmin%3Fx%3D1"


async def test_the_caller_travels_in_headers_encoded(
    fakes: tuple[GatewayService, FakeServices],
) -> None:
    service, fake = fakes
    fake.answer("ingest", "POST", "/internal/artifacts/model", _artifact(201))
    status, artifact = await service.create("model", "https://x.test/m", None, "1.0.0", ALICE)
    assert (status, artifact["metadata"]["id"]) == (201, "7")
    (request,) = fake.sent("ingest")
    assert request.headers[USER_HEADER] == "alice%2F%C3%BC"
    assert request.headers["X-Registry-Admin"] == "false"
    assert request.headers["X-Registry-User-Created"] == "2026-01-02T03:04:05Z"
    assert json.loads(request.content) == {
        "url": "https://x.test/m",
        "name": None,
        "version": "1.0.0",
    }


async def test_a_disqualified_rating_is_a_424_naming_the_failing_metrics(
    fakes: tuple[GatewayService, FakeServices],
) -> None:
    service, fake = fakes
    rating = {"net_score": 0.2, "failing_metrics": ["license", "ramp_up_time"]}
    fake.answer("ingest", "POST", "/internal/artifacts/model", _artifact(424, rating=rating))
    with pytest.raises(RegistryError) as refused:
        await service.create("model", "https://x.test/m", None, None, ALICE)
    assert refused.value.status == 424
    assert refused.value.code == "disqualified_rating"
    assert refused.value.message == (
        "The artifact was not registered: its rating is disqualified (license, ramp_up_time "
        "below 0.5). Nothing was stored."
    )
    assert refused.value.details == {"rating": rating}


async def test_a_service_error_reaches_the_caller_as_the_service_said_it(
    fakes: tuple[GatewayService, FakeServices],
) -> None:
    service, fake = fakes
    fake.answer(
        "ingest",
        "DELETE",
        "/internal/artifacts/model/9",
        httpx.Response(404, json={"detail": "No model artifact has id '9'.", "code": "not_found"}),
    )
    with pytest.raises(RegistryError) as missing:
        await service.delete("model", "9")
    assert (missing.value.status, missing.value.code) == (404, "not_found")
    assert missing.value.message == "No model artifact has id '9'."
    fake.answer("health", "GET", "/internal/components", httpx.Response(502, text="<html>"))
    with pytest.raises(RegistryError) as broken:
        await service.health_document("/internal/components", {})
    assert broken.value.message == "The health service failed (HTTP 502)."


async def test_an_unreachable_service_is_a_503_naming_it(
    fakes: tuple[GatewayService, FakeServices],
) -> None:
    service, fake = fakes

    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    fake.answer("scoring", "GET", "/internal/ratings/7", refuse)
    fake.answer("ingest", "POST", "/internal/artifacts/model/7/audit/RATE", httpx.Response(204))
    with pytest.raises(ComponentUnavailable) as down:
        await service.rating("7", ALICE)
    assert down.value.component == "scoring service"
    assert down.value.message == (
        "The scoring service is unavailable right now (ConnectError); nothing was changed, "
        "please retry shortly."
    )


async def test_lineage_waits_for_the_index_then_answers(
    fakes: tuple[GatewayService, FakeServices],
) -> None:
    service, fake = fakes
    fake.answer("ingest", "GET", "/internal/artifacts/model/7", _artifact(200))
    not_yet = httpx.Response(404, json={"detail": "not yet", "code": "not_indexed"})
    graph = {"nodes": [{"artifact_id": "7"}], "edges": []}
    fake.answer(
        "lineage", "GET", "/internal/lineage/7", not_yet, not_yet, httpx.Response(200, json=graph)
    )
    assert await service.lineage("7") == graph
    assert len(fake.sent("lineage")) == 3
    costs = {"7": {"standalone_cost": 1.0, "total_cost": 1.0}}
    fake.answer("lineage", "GET", "/internal/cost/7", httpx.Response(200, json=costs))
    assert await service.cost_with_dependencies("model", "7") == costs


async def test_other_lineage_errors_are_not_waited_for(
    fakes: tuple[GatewayService, FakeServices],
) -> None:
    service, fake = fakes
    fake.answer("ingest", "GET", "/internal/artifacts/model/7", _artifact(200))
    fake.answer(
        "lineage",
        "POST",
        "/internal/license-check/7",
        httpx.Response(
            400, json={"detail": "'x' is not a GitHub project URL.", "code": "bad_request"}
        ),
    )
    with pytest.raises(RegistryError, match="is not a GitHub project URL"):
        await service.license_check("7", "x")
    assert len(fake.sent("lineage")) == 1


async def test_catalog_reads_and_user_administration_ask_the_right_routes(
    fakes: tuple[GatewayService, FakeServices],
) -> None:
    service, fake = fakes
    fake.answer(
        "ingest",
        "POST",
        "/internal/catalog/query",
        httpx.Response(200, json={"items": [{"name": "m"}], "next_offset": "1"}),
    )
    assert await service.enumerate([{"name": "*"}], None) == ([{"name": "m"}], "1")
    fake.answer(
        "ingest", "GET", "/internal/catalog/by-name", httpx.Response(200, json=[{"id": "7"}])
    )
    assert await service.by_name("m") == [{"id": "7"}]
    fake.answer("ingest", "POST", "/internal/catalog/regex", httpx.Response(200, json=[]))
    assert await service.regex("^m$") == []
    fake.answer(
        "ingest",
        "GET",
        "/internal/artifacts/model/7/cost",
        httpx.Response(200, json={"standalone_mb": 2}),
    )
    assert await service.cost("model", "7") == 2.0
    fake.answer("auth", "POST", "/internal/authenticate", httpx.Response(200, json="bearer t"))
    assert await service.authenticate("alice", "pw", None) == "bearer t"
    assert fake.sent("auth")[-1].headers["X-Registry-Client"] == "unknown"
    fake.answer("auth", "GET", "/internal/users", httpx.Response(200, json=[{"name": "alice"}]))
    assert await service.users() == [{"name": "alice"}]
    fake.answer("auth", "DELETE", "/internal/users/bob%2F1", httpx.Response(204))
    await service.delete_user("bob/1", ALICE)
    fake.answer(
        "auth", "PUT", "/internal/users/bob/permissions", httpx.Response(200, json={"name": "bob"})
    )
    assert await service.set_permissions("bob", ["search"], False) == {"name": "bob"}
    fake.answer("ingest", "POST", "/internal/reset", httpx.Response(200, json={}))
    await service.reset(ALICE)
    assert json.loads(fake.sent("ingest")[-1].content) == {"requested_by": "alice/ü"}
