"""One load-test run: N clients, each with its own httpx client and its own token, download
the chosen models back to back through the gateway until the duration is over or an admin
cancels. Bounded in every way: the clients and the duration are capped by settings, the run
stops by itself at its deadline, and nothing is downloaded from anywhere but the target.

A download counts as correct only with status 200 and exactly the expected number of bytes
(the bundle size the catalog reports). Redirects are not followed: a redirect would leave
the configured target. A 403 means the client's token is used up (each token has a call
budget) or revoked: the client signs in again once and goes on (`token_renewals`); a second
failure stops that client with an error.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from dataclasses import dataclass, field
from typing import Any

import httpx

from registry_health.loadtest.gateway_api import AUTH_HEADER, GatewayApi
from registry_health.loadtest.stats import Clock, RunStats

# At most this many sign-ins at once: each costs an argon2 hash (tens of ms, 64 MiB) in auth.
SIGN_IN_CONCURRENCY = 4
# After a transport error (refused, reset), a client waits this long before its next try, so
# a target that is down is not hammered in a tight loop.
ERROR_PAUSE_SECONDS = 0.1


@dataclass(frozen=True)
class ModelTarget:
    id: str
    name: str
    size: int


@dataclass
class RunPlan:
    run_id: str
    user: str
    password: str
    clients: int
    duration_seconds: float
    models: list[ModelTarget]
    first_token: str


@dataclass
class LoadRun:
    plan: RunPlan
    api: GatewayApi
    clock: Clock = time.monotonic
    transport: httpx.AsyncBaseTransport | None = None
    log: Any = None
    status: str = "preparing"
    outcome: str | None = None
    clients_ready: int = 0
    message: str | None = None
    stats: RunStats = field(init=False)
    _cancelled: asyncio.Event = field(default_factory=asyncio.Event)

    def __post_init__(self) -> None:
        self.stats = RunStats(self.clock)

    def cancel(self) -> None:
        self._cancelled.set()

    @property
    def cancelled(self) -> bool:
        return self._cancelled.is_set()

    async def execute(self) -> None:
        """Sign every client in, download until the deadline (or a cancel), then delete the
        run's user. Sets `outcome` (completed, cancelled or failed) at the very end; `status`
        stays preparing or running until the caller has saved the outcome."""
        outcome = "failed"
        try:
            tokens = await self._sign_in()
            if not self.cancelled:
                self.status = "running"
                await self._download(tokens)
            outcome = "cancelled" if self.cancelled else "completed"
        except asyncio.CancelledError:
            outcome = "cancelled"
            self.message = "The health service stopped during the run."
            raise
        except Exception as exc:
            self.message = getattr(exc, "message", None) or f"{type(exc).__name__}: {exc}"
        finally:
            self.stats.stop()
            await self._remove_user()
            self.outcome = outcome

    async def _sign_in(self) -> list[str]:
        tokens = [self.plan.first_token]
        self.clients_ready = 1
        gate = asyncio.Semaphore(SIGN_IN_CONCURRENCY)

        async def one() -> str:
            async with gate:
                if self.cancelled:
                    return ""
                token = await self.api.authenticate(self.plan.user, self.plan.password)
                self.clients_ready += 1
                return token

        tokens += await asyncio.gather(*(one() for _ in range(self.plan.clients - 1)))
        return tokens

    async def _download(self, tokens: list[str]) -> None:
        self.stats.start()
        workers = [
            asyncio.create_task(self._client(index, token)) for index, token in enumerate(tokens)
        ]
        stopper = asyncio.create_task(self._cancelled.wait())
        try:
            await self._until_done(workers, stopper)
        finally:
            for task in [*workers, stopper]:
                task.cancel()
            for task in [*workers, stopper]:
                with contextlib.suppress(asyncio.CancelledError):
                    await task
            self.stats.stop()

    async def _until_done(
        self, workers: list[asyncio.Task[None]], stopper: asyncio.Task[bool]
    ) -> None:
        """Return at the deadline, on a cancel, or when every client has stopped."""
        pending: set[asyncio.Task[Any]] = {*workers, stopper}
        deadline = self.clock() + self.plan.duration_seconds
        while pending:
            remaining = deadline - self.clock()
            if remaining <= 0:
                return
            done, pending = await asyncio.wait(
                pending, timeout=remaining, return_when=asyncio.FIRST_COMPLETED
            )
            if stopper in done or not any(task in pending for task in workers):
                return

    async def _client(self, index: int, token: str) -> None:
        models = self.plan.models
        limits = httpx.Limits(max_connections=1, max_keepalive_connections=1)
        async with httpx.AsyncClient(
            base_url=self.api.base_url,
            timeout=httpx.Timeout(self.plan.duration_seconds + 30, connect=5.0),
            follow_redirects=False,
            limits=limits,
            transport=self.transport,
        ) as http:
            turn = index  # each client starts at another model, then takes them in turn
            renewed = False
            while not self.cancelled:
                model = models[turn % len(models)]
                outcome = await self._one(http, token, model)
                if outcome == "forbidden":
                    if renewed:
                        self.stats.record(0.0, 0, "HTTP 403 after signing in again")
                        return
                    token = await self._renew()
                    if not token:
                        return
                    renewed = True
                    continue
                renewed = False
                turn += 1
                if outcome == "transport":
                    await asyncio.sleep(ERROR_PAUSE_SECONDS)

    async def _one(self, http: httpx.AsyncClient, token: str, model: ModelTarget) -> str:
        started = self.clock()
        received = 0
        try:
            async with http.stream(
                "GET",
                f"/artifacts/model/{model.id}/download",
                headers={AUTH_HEADER: token},
            ) as response:
                if response.status_code == 403:
                    await response.aread()
                    return "forbidden"
                async for chunk in response.aiter_bytes():
                    received += len(chunk)
                status = response.status_code
        except asyncio.CancelledError:
            self.stats.partial_bytes(received)  # the run ended mid-download
            raise
        except httpx.HTTPError as exc:
            self.stats.record(self.clock() - started, received, f"{type(exc).__name__}")
            return "transport"
        latency = self.clock() - started
        if status != 200:
            self.stats.record(latency, received, f"HTTP {status}")
        elif received != model.size:
            self.stats.record(latency, received, "wrong size")
        else:
            self.stats.record(latency, received)
        return "done"

    async def _renew(self) -> str:
        try:
            token = await self.api.authenticate(self.plan.user, self.plan.password)
        except Exception as exc:
            self.stats.record(0.0, 0, f"signing in again failed: {type(exc).__name__}")
            return ""
        self.stats.token_renewals += 1
        return token

    async def _remove_user(self) -> None:
        """The run's user deletes itself (its tokens go with it), with a fresh token: the
        clients' tokens may be used up."""
        try:
            token = await self.api.authenticate(self.plan.user, self.plan.password)
            await self.api.delete_user(token, self.plan.user)
        except Exception as exc:
            note = (
                f"The load test's user {self.plan.user!r} could not be deleted ({exc}); "
                "delete it on the Users page."
            )
            self.message = f"{self.message} {note}" if self.message else note
            if self.log is not None:
                self.log.warning(
                    "health.loadtest.user_not_deleted", user=self.plan.user, error=str(exc)
                )

    def snapshot(self) -> dict[str, Any]:
        """The live view: where the run is and its figures so far."""
        return {
            "status": self.status,
            "clients_ready": self.clients_ready,
            "summary": self.stats.summary(),
            "timeline": self.stats.timeline(),
        }
