"""The load-test runner against a fake gateway (an httpx transport that answers like the
gateway's routes, with tokens that run out): what counts as a correct download, token
renewal, cancelling, the run's user deleted at the end. The clock is the test's: every
download takes exactly 10 ms of it."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

import httpx
import pytest

from registry_health.loadtest.gateway_api import GatewayApi
from registry_health.loadtest.runner import LoadRun, ModelTarget, RunPlan
from services.health.tests.helpers import Clock

BASE = "http://127.0.0.1:8000"


@dataclass
class FakeGateway:
    clock: Clock
    budget: int = 3  # calls per token, like AUTH_TOKEN_MAX_CALLS
    sizes: dict[str, int] = field(default_factory=dict)  # model id -> bytes it answers
    sign_in_fails: bool = False
    issued: int = 0
    calls: dict[str, int] = field(default_factory=dict)
    deleted: list[tuple[str, str]] = field(default_factory=list)
    served: int = 0
    busy: asyncio.Event = field(default_factory=asyncio.Event)  # set after 5 downloads

    async def __call__(self, request: httpx.Request) -> httpx.Response:
        await asyncio.sleep(0)  # a real transport yields to the loop
        path = request.url.path
        if request.method == "PUT" and path == "/authenticate":
            if self.sign_in_fails:
                return httpx.Response(
                    401, json={"detail": "The user name or password is not valid."}
                )
            self.issued += 1
            return httpx.Response(200, json=f"bearer token-{self.issued}")
        token = request.headers.get("X-Authorization", "")
        used = self.calls.get(token, 0)
        if used >= self.budget:
            return httpx.Response(
                403, json={"detail": "The token is expired, used up, or revoked."}
            )
        self.calls[token] = used + 1
        if request.method == "DELETE":
            self.deleted.append((path, token))
            return httpx.Response(200, json={"status": "deleted"})
        model = path.split("/")[3]
        if model not in self.sizes:
            return httpx.Response(404, json={"detail": "The artifact does not exist."})
        self.clock.advance(0.010)
        self.served += 1
        if self.served >= 5:
            self.busy.set()
        return httpx.Response(200, content=b"x" * self.sizes[model])


def run_with(gateway: FakeGateway, models: list[ModelTarget], *, clients: int = 1) -> LoadRun:
    transport = httpx.MockTransport(gateway)
    plan = RunPlan(
        run_id="00000000-0000-0000-0000-000000000001",
        user="loadtest-00000000",
        password="a passphrase nobody knows, forty characters",
        clients=clients,
        duration_seconds=0.3,
        models=models,
        first_token="bearer first",
    )
    return LoadRun(
        plan, GatewayApi(BASE, transport=transport), clock=gateway.clock, transport=transport
    )


async def test_only_a_200_of_the_expected_size_counts_and_used_up_tokens_are_renewed() -> None:
    clock = Clock(1000.0)
    gateway = FakeGateway(clock, sizes={"good": 100, "short": 99})
    run = run_with(
        gateway,
        [
            ModelTarget("good", "good-model", 100),
            ModelTarget("short", "short-model", 100),  # the body is one byte short
            ModelTarget("gone", "gone-model", 100),  # deleted meanwhile: 404
        ],
    )
    await run.execute()

    assert run.outcome == "completed"
    summary = run.stats.summary()
    assert summary["downloads"] > 0
    kinds = summary["error_kinds"]
    assert set(kinds) == {"wrong size", "HTTP 404"}
    # The client takes the models in turn: as many good downloads as short ones, give or take
    # the one cut off at the deadline.
    assert abs(summary["downloads"] - kinds["wrong size"]) <= 1
    assert summary["token_renewals"] >= 1  # three calls per token, then a new sign-in
    assert summary["latency_ms"]["p50"] == pytest.approx(10.0)
    assert summary["latency_ms"]["p99"] == pytest.approx(10.0)
    assert sum(b["count"] for b in run.stats.histogram()) == summary["downloads"]
    # The run's user deleted itself with a fresh token at the end.
    assert [path for path, _ in gateway.deleted] == ["/users/loadtest-00000000"]


async def test_an_admin_cancel_stops_every_client_at_once() -> None:
    clock = Clock(1000.0)
    gateway = FakeGateway(clock, budget=10_000, sizes={"good": 10})
    run = run_with(gateway, [ModelTarget("good", "good-model", 10)], clients=3)
    run.plan.duration_seconds = 3600  # only the cancel ends it
    task = asyncio.create_task(run.execute())
    await asyncio.wait_for(gateway.busy.wait(), timeout=5)
    run.cancel()
    await asyncio.wait_for(task, timeout=5)
    assert run.outcome == "cancelled"
    assert run.clients_ready == 3
    assert gateway.deleted  # cleaned up after a cancel too


async def test_a_failed_sign_in_fails_the_run_with_the_gateways_reason() -> None:
    clock = Clock(1000.0)
    gateway = FakeGateway(clock, sizes={"good": 10}, sign_in_fails=True)
    run = run_with(gateway, [ModelTarget("good", "good-model", 10)], clients=2)
    await run.execute()
    assert run.outcome == "failed"
    assert run.message is not None
    assert "Signing a load-test client in failed through the gateway" in run.message
    assert "could not be deleted" in run.message  # and the user is left for an admin
    assert run.stats.downloads == 0
