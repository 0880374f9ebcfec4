"""The pieces every service's composition root assembles, and their start/stop order.

`ServiceKit` holds a service's logger, tracer provider, database and bus. `running()`
runs migrations, starts the bus when this service owns it (distributed mode; in embedded
mode the launcher owns the one shared in-process bus), and closes everything on exit.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
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
from registry_common.settings import RuntimeSettings
from registry_common.telemetry import get_logger, service_tracer_provider

HealthCheck = Callable[[], Awaitable[None]]


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
        components: dict[str, dict[str, str]] = {}
        for component, check in self.checks.items():
            try:
                await check()
                components[component] = {"status": "ok"}
            except RegistryError as exc:
                components[component] = {"status": "critical", "detail": exc.message}
            except Exception as exc:  # a check must report, never crash the report
                components[component] = {"status": "critical", "detail": type(exc).__name__}
        overall = "ok" if all(c["status"] == "ok" for c in components.values()) else "degraded"
        return {"service": self.name, "status": overall, "components": components}

    def health_router(self) -> APIRouter:
        router = APIRouter()

        @router.get("/internal/health", include_in_schema=False)
        async def internal_health() -> dict[str, Any]:
            return await self.health()

        return router
