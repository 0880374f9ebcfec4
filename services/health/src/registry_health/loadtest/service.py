"""Load-test use cases: start, watch, cancel, list and compare runs (R21).

One run at a time per health service (the AWS stack runs one health task): its live figures
are read from memory while it runs, and the finished run is written to the health database,
where past runs stay for comparison (the newest `HEALTH_LOADTEST_KEPT_RUNS`). A run the
service did not finish (it stopped or crashed meanwhile) is marked `interrupted` at the next
start.

Each run gets a user of its own, `loadtest-<id>`, created through the gateway's
`POST /users` with the token of the admin who started it (used for that one call and not
kept), with the search and download permissions only. Every client signs in as that user
(`PUT /authenticate`), so each holds its own token with its own call budget, exactly as
separate clients would; the user deletes itself when the run ends (its tokens go with it).
"""

from __future__ import annotations

import asyncio
import contextlib
import secrets
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx
from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from registry_common.db import database_errors
from registry_common.errors import BadRequest, Conflict, NotFound
from registry_health.config import HealthSettings
from registry_health.loadtest.gateway_api import GatewayApi
from registry_health.loadtest.runner import LoadRun, ModelTarget, RunPlan
from registry_health.loadtest.stats import Clock
from registry_health.loadtest.target import check_target
from registry_health.tables import LoadTestRunRow

ACTIVE = ("preparing", "running")
MAX_LIST = 200


@dataclass(frozen=True)
class RunRequest:
    clients: int
    duration_seconds: int
    models: list[str] | None = None
    model_count: int | None = None


def _iso(value: datetime | None) -> str | None:
    if value is None:
        return None
    if value.tzinfo is None:  # SQLite hands back naive datetimes (stored as UTC)
        value = value.replace(tzinfo=UTC)
    return value.isoformat().replace("+00:00", "Z")


@dataclass
class LoadTestService:
    sessions: async_sessionmaker[AsyncSession]
    settings: HealthSettings
    clock: Clock = time.monotonic
    transport: httpx.AsyncBaseTransport | None = None
    """For tests: how the runner reaches the target (default: the network)."""
    log: Any = None
    _active: LoadRun | None = None
    _active_id: str | None = None
    _task: asyncio.Task[None] | None = None
    _lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    def limits(self) -> dict[str, Any]:
        return {
            "max_clients": self.settings.loadtest_max_clients,
            "max_duration_seconds": self.settings.loadtest_max_duration_seconds,
            "max_models": self.settings.loadtest_max_models,
        }

    # ------------------------------------------------------------------ start

    def _check(self, request: RunRequest) -> None:
        limits = self.settings
        if not 1 <= request.clients <= limits.loadtest_max_clients:
            raise BadRequest(
                f"clients must be between 1 and {limits.loadtest_max_clients} "
                f"(HEALTH_LOADTEST_MAX_CLIENTS); got {request.clients}."
            )
        if not 1 <= request.duration_seconds <= limits.loadtest_max_duration_seconds:
            raise BadRequest(
                f"duration_seconds must be between 1 and {limits.loadtest_max_duration_seconds} "
                f"(HEALTH_LOADTEST_MAX_DURATION_SECONDS); got {request.duration_seconds}."
            )
        if (request.models is None) == (request.model_count is None):
            raise BadRequest(
                "Say which models to download: either `models` (their ids) or `model_count` "
                "(that many of the registered models), not both."
            )
        wanted = len(request.models) if request.models is not None else request.model_count or 0
        if not 1 <= wanted <= limits.loadtest_max_models:
            raise BadRequest(
                f"A load test downloads 1 to {limits.loadtest_max_models} models "
                f"(HEALTH_LOADTEST_MAX_MODELS); got {wanted}."
            )

    async def start(
        self, request: RunRequest, admin_token: str, requested_by: str
    ) -> dict[str, Any]:
        self._check(request)
        target = check_target(
            self.settings.loadtest_target(), allow_remote=self.settings.loadtest_allow_remote_target
        )
        async with self._lock:
            if self._active is not None:
                raise Conflict(
                    f"Load test {self._active_id} is still running: wait for it to finish or "
                    "cancel it first."
                )
            run_id = str(uuid.uuid4())
            user = f"loadtest-{run_id[:8]}"
            password = secrets.token_urlsafe(30)  # a 40-character passphrase nobody knows
            api = GatewayApi(target, transport=self.transport)
            try:
                await api.create_user(admin_token, user, password)
                token, models = await self._prepare(api, user, password, request, admin_token)
            except BaseException:
                await api.aclose()
                raise
            row = LoadTestRunRow(
                id=run_id,
                status="preparing",
                requested_by=requested_by,
                created_at=datetime.now(UTC),
                clients=request.clients,
                duration_seconds=request.duration_seconds,
                target=target,
                models=[{"id": m.id, "name": m.name, "size": m.size} for m in models],
            )
            try:
                async with database_errors(), self.sessions.begin() as session:
                    session.add(row)
            except BaseException:
                with contextlib.suppress(Exception):
                    await api.delete_user(token, user)
                await api.aclose()
                raise
            plan = RunPlan(
                run_id=run_id,
                user=user,
                password=password,
                clients=request.clients,
                duration_seconds=request.duration_seconds,
                models=models,
                first_token=token,
            )
            run = LoadRun(plan, api, clock=self.clock, transport=self.transport, log=self.log)
            self._active, self._active_id = run, run_id
            self._task = asyncio.create_task(self._execute(run, row))
            if self.log is not None:
                self.log.info(
                    "health.loadtest.started",
                    run_id=run_id,
                    clients=request.clients,
                    duration_seconds=request.duration_seconds,
                    models=len(models),
                    target=target,
                    requested_by=requested_by,
                )
            return self._document(row, run)

    async def _prepare(
        self, api: GatewayApi, user: str, password: str, request: RunRequest, admin_token: str
    ) -> tuple[str, list[ModelTarget]]:
        """The first client's token and the models; on failure the new user is deleted (by
        the admin: the user may not have signed in)."""
        try:
            token = await api.authenticate(user, password)
            return token, await self._models(api, token, request)
        except BaseException:
            with contextlib.suppress(Exception):
                await api.delete_user(admin_token, user)
            raise

    async def _models(self, api: GatewayApi, token: str, request: RunRequest) -> list[ModelTarget]:
        ids = (
            list(dict.fromkeys(request.models))
            if request.models is not None
            else await api.first_models(token, request.model_count or 1)
        )
        found = []
        for artifact_id in ids:
            found.append(ModelTarget(**await api.model(token, artifact_id)))
        return found

    async def _execute(self, run: LoadRun, row: LoadTestRunRow) -> None:
        try:
            await run.execute()
        finally:
            summary = run.stats.summary()
            result: dict[str, Any] = {
                "clients_ready": run.clients_ready,
                "summary": summary,
                "histogram": run.stats.histogram(),
                "timeline": run.stats.timeline(),
            }
            try:
                async with database_errors(), self.sessions.begin() as session:
                    await session.execute(
                        update(LoadTestRunRow)
                        .where(LoadTestRunRow.id == row.id)
                        .values(
                            status=run.outcome or "failed",
                            finished_at=datetime.now(UTC),
                            result=result,
                            message=run.message,
                        )
                    )
                await self._prune()
            except Exception as exc:  # the run is over either way; say it was not kept
                if self.log is not None:
                    self.log.error(
                        "health.loadtest.not_saved", run_id=row.id, error=type(exc).__name__
                    )
            finally:
                await run.api.aclose()
                self._active, self._active_id = None, None
                if self.log is not None:
                    self.log.info(
                        "health.loadtest.finished",
                        run_id=row.id,
                        status=run.outcome,
                        downloads=summary["downloads"],
                        errors=summary["errors"],
                        megabytes_per_second=summary["megabytes_per_second"],
                        p99_ms=summary["latency_ms"]["p99"],
                    )

    async def _prune(self) -> None:
        keep = self.settings.loadtest_kept_runs
        async with database_errors(), self.sessions.begin() as session:
            old = (
                (
                    await session.execute(
                        select(LoadTestRunRow.id)
                        .order_by(LoadTestRunRow.created_at.desc())
                        .offset(keep)
                    )
                )
                .scalars()
                .all()
            )
            if old:
                await session.execute(delete(LoadTestRunRow).where(LoadTestRunRow.id.in_(old)))

    # ------------------------------------------------------------------ read, cancel

    async def _row(self, run_id: str) -> LoadTestRunRow:
        async with database_errors(), self.sessions() as session:
            row = await session.get(LoadTestRunRow, run_id)
        if row is None:
            raise NotFound(
                f"No load test has the id {run_id!r}; list them with GET /health/load-tests."
            )
        return row

    async def get(self, run_id: str) -> dict[str, Any]:
        row = await self._row(run_id)
        run = self._active if self._active_id == run_id else None
        return self._document(row, run)

    async def cancel(self, run_id: str) -> dict[str, Any]:
        row = await self._row(run_id)
        if self._active_id != run_id or self._active is None:
            raise Conflict(f"Load test {run_id} is not running any more ({row.status}).")
        self._active.cancel()
        if self.log is not None:
            self.log.info("health.loadtest.cancel_requested", run_id=run_id)
        return self._document(row, self._active)

    async def runs(self, limit: int = 50) -> dict[str, Any]:
        if not 1 <= limit <= MAX_LIST:
            raise BadRequest(f"limit must be between 1 and {MAX_LIST}; got {limit}.")
        async with database_errors(), self.sessions() as session:
            rows = (
                (
                    await session.execute(
                        select(LoadTestRunRow)
                        .order_by(LoadTestRunRow.created_at.desc())
                        .limit(limit)
                    )
                )
                .scalars()
                .all()
            )
        runs = []
        for row in rows:
            run = self._active if self._active_id == row.id else None
            document = self._document(row, run)
            document.pop("histogram", None)
            document.pop("timeline", None)
            runs.append(document)
        return {
            "runs": runs,
            "active": self._active_id,
            "limits": self.limits(),
            "target": self.settings.loadtest_target(),
        }

    def _document(self, row: LoadTestRunRow, run: LoadRun | None) -> dict[str, Any]:
        if run is not None:
            snapshot = run.snapshot()
            status, result = (
                snapshot.pop("status"),
                {**snapshot, "histogram": run.stats.histogram()},
            )
            message = run.message
        else:
            status, result, message = row.status, row.result or {}, row.message
        return {
            "id": row.id,
            "status": status,
            "requested_by": row.requested_by,
            "created_at": _iso(row.created_at),
            "finished_at": _iso(row.finished_at),
            "clients": row.clients,
            "duration_seconds": row.duration_seconds,
            "target": row.target,
            "models": row.models,
            "message": message,
            "clients_ready": result.get("clients_ready", 0),
            "summary": result.get("summary"),
            "histogram": result.get("histogram", []),
            "timeline": result.get("timeline", []),
        }

    # ------------------------------------------------------------------ lifecycle

    async def recover(self) -> None:
        """Runs left active by a previous process never finished: say so."""
        async with database_errors(), self.sessions.begin() as session:
            await session.execute(
                update(LoadTestRunRow)
                .where(LoadTestRunRow.status.in_(ACTIVE))
                .values(
                    status="interrupted",
                    message=(
                        "The health service stopped before the run finished; its figures are lost."
                    ),
                )
            )

    async def close(self) -> None:
        """Stop a run in progress (the service is stopping); it is saved as cancelled."""
        if self._task is not None and not self._task.done():
            if self._active is not None:
                self._active.cancel()
            try:
                await asyncio.wait_for(asyncio.shield(self._task), timeout=10)
            except TimeoutError:
                self._task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await self._task
