"""The pieces every service's composition root assembles, and their start/stop order.

`ServiceKit` holds a service's logger, tracer provider, database and bus. `running()`
runs migrations, starts the bus when this service owns it (distributed mode; in embedded
mode the launcher owns the one shared in-process bus), and closes everything on exit.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fastapi import APIRouter
from opentelemetry.sdk.trace import TracerProvider
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from registry_common.bus.factory import create_bus
from registry_common.bus.port import E, EventBus, Handler
from registry_common.consumed import ConsumerLedger
from registry_common.db import check_database, create_engine, run_migrations, session_factory
from registry_common.errors import RegistryError
from registry_common.instrumentation import instrument_engine
from registry_common.outbox import Outbox, OutboxRelay, check_backlog
from registry_common.settings import RuntimeSettings
from registry_common.telemetry import get_logger, service_tracer_provider

HealthCheck = Callable[[], Awaitable[Any]]


async def check_components(service: str, checks: Mapping[str, HealthCheck]) -> dict[str, Any]:
    """A service's `/internal/health` body: every check run, a failing one naming itself
    and why, and "degraded" overall when any failed. A check that returns a dict (the
    outbox's backlog) adds it to its component's entry."""
    components: dict[str, dict[str, Any]] = {}
    for component, check in checks.items():
        try:
            result = await check()
            extra = result if isinstance(result, dict) else {}
            components[component] = {"status": "ok", **extra}
        except RegistryError as exc:
            components[component] = {
                "status": "critical",
                "detail": exc.message,
                **{k: v for k, v in exc.details.items() if k not in ("status", "detail")},
            }
        except Exception as exc:  # a check must report, never crash the report
            components[component] = {"status": "critical", "detail": type(exc).__name__}
    overall = "ok" if all(c["status"] == "ok" for c in components.values()) else "degraded"
    return {"service": service, "status": overall, "components": components}


@dataclass
class ServiceKit:
    name: str
    runtime: RuntimeSettings
    log: Any
    tracer_provider: TracerProvider
    bus: EventBus
    owns_bus: bool
    engine: AsyncEngine | None = None
    sessions: async_sessionmaker[AsyncSession] | None = None
    checks: dict[str, HealthCheck] = field(default_factory=dict)
    _ledger: ConsumerLedger | None = field(default=None, repr=False)
    _outbox: Outbox | None = field(default=None, repr=False)

    @classmethod
    def build(
        cls,
        name: str,
        runtime: RuntimeSettings,
        *,
        bus: EventBus | None = None,
        tracer_provider: TracerProvider | None = None,
        database: bool = True,
    ) -> ServiceKit:
        provider = tracer_provider or service_tracer_provider(name, runtime)
        own_bus = bus is None
        the_bus = bus or create_bus(
            runtime, consumer_tracer_provider=provider, tracer_provider=provider
        )
        kit = cls(
            name=name,
            runtime=runtime,
            log=get_logger(name),
            tracer_provider=provider,
            bus=the_bus,
            owns_bus=own_bus,
        )
        if database:
            kit.engine = create_engine(runtime.database_url_for(name))
            instrument_engine(kit.engine, provider)
            kit.sessions = session_factory(kit.engine)
            engine = kit.engine
            kit.checks["database"] = lambda: check_database(engine)
        kit.checks["event bus"] = the_bus.check
        return kit

    @property
    def ledger(self) -> ConsumerLedger:
        """This service's processed events and forgotten artifacts (its migrations must
        create the tables: `registry_common.consumed.create_tables`)."""
        if self._ledger is None:
            self._ledger = ConsumerLedger(self.db, self.name)
        return self._ledger

    @property
    def outbox(self) -> Outbox:
        """This service's transactional outbox (its migrations must create the table:
        `registry_common.outbox.create_table`). Using it makes `running()` relay it and
        the health report show its backlog."""
        if self._outbox is None:
            outbox = Outbox(self.db, self.name)
            stuck_after = self.runtime.outbox_stuck_seconds
            self.checks["event outbox"] = lambda: check_backlog(outbox, stuck_after)
            self._outbox = outbox
        return self._outbox

    def relay(self) -> OutboxRelay:
        return OutboxRelay(
            self.outbox,
            self.bus,
            self.log,
            poll_seconds=self.runtime.outbox_poll_seconds,
            max_backoff=self.runtime.outbox_max_backoff_seconds,
        )

    def subscribe(self, event_cls: type[E], handler: Handler[E]) -> None:
        """Subscribe this service's consumer to `event_cls`; an event it already handled
        (by `event_id`, remembered in its database) is acknowledged without running
        `handler` again."""
        self.bus.subscribe(self.name, event_cls, self.ledger.once(handler))

    @property
    def db(self) -> async_sessionmaker[AsyncSession]:
        if self.sessions is None:
            raise RuntimeError(f"the {self.name} service was built without a database")
        return self.sessions

    @asynccontextmanager
    async def running(self, migrations: Path | None = None) -> AsyncIterator[None]:
        if migrations is not None and self.engine is not None:
            await run_migrations(self.engine, migrations, version_table=f"alembic_{self.name}")
        if self.owns_bus:
            await self.bus.start()
        self.log.info(f"{self.name}.started", owns_bus=self.owns_bus)
        try:
            if self._outbox is None:
                yield
            else:
                # Started after the bus, stopped before it: what the relay claimed but
                # could not send stays in the table for the next start.
                async with self.relay().running():
                    yield
        finally:
            if self.owns_bus:
                await self.bus.stop()
            if self.engine is not None:
                await self.engine.dispose()
            self.tracer_provider.force_flush()
            self.log.info(f"{self.name}.stopped")

    async def health(self) -> dict[str, Any]:
        """Run every registered check; a failing one names itself and why."""
        return await check_components(self.name, self.checks)

    def health_router(self) -> APIRouter:
        router = APIRouter()

        @router.get("/internal/health", include_in_schema=False)
        async def internal_health() -> dict[str, Any]:
            return await self.health()

        return router
