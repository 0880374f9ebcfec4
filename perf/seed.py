"""Seed a running registry through its public API: 100 client users with their own tokens, and
500 distinct models registered from the perf fake Hub (perf/fixtures.py).

    python -m perf.seed --url http://127.0.0.1:8000 --models 500 --clients 100 --out DIR

Registrations are spread over the client users (each user's ingest rate limit is 120 a
minute) and run `--concurrency` at a time. Writes DIR/tokens.txt (one token a line, one per
client), DIR/models.json (ids, the big model's id and size) and prints the timing.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import time
from pathlib import Path
from typing import Any

import httpx

from perf.fixtures import BIG_MODEL, model_ids

ADMIN = "ece30861defaultadminuser"
ADMIN_PASSWORD = "correcthorsebatterystaple123(!__+@**(A'\"`;DROP TABLE packages;"
CLIENT_PASSWORD = "perf-client-password-0123456789"


async def login(client: httpx.AsyncClient, name: str, password: str, admin: bool) -> str:
    response = await client.put(
        "/authenticate",
        json={"user": {"name": name, "is_admin": admin}, "secret": {"password": password}},
    )
    response.raise_for_status()
    token: str = response.json()
    return token


async def create_clients(client: httpx.AsyncClient, admin_token: str, count: int) -> list[str]:
    tokens = []
    for i in range(count):
        name = f"perf-client-{i:03d}"
        response = await client.post(
            "/users",
            headers={"X-Authorization": admin_token},
            json={
                "user": {"name": name, "is_admin": False},
                "secret": {"password": CLIENT_PASSWORD},
                "permissions": ["upload", "search", "download"],
            },
        )
        if response.status_code not in (201, 409):  # 409: seeded before, reuse it
            response.raise_for_status()
        tokens.append(await login(client, name, CLIENT_PASSWORD, False))
    return tokens


async def register_all(
    client: httpx.AsyncClient, tokens: list[str], repos: list[str], concurrency: int
) -> tuple[dict[str, str], list[float], list[str]]:
    """Register every repo; returns repo -> artifact id, per-call seconds, failures."""
    gate = asyncio.Semaphore(concurrency)
    ids: dict[str, str] = {}
    durations: list[float] = []
    failures: list[str] = []

    async def one(index: int, repo: str) -> None:
        token = tokens[index % len(tokens)]
        async with gate:
            started = time.perf_counter()
            response = await client.post(
                "/artifact/model",
                headers={"X-Authorization": token},
                json={"url": f"https://huggingface.co/{repo}"},
            )
            durations.append(time.perf_counter() - started)
        if response.status_code in (201, 202):
            ids[repo] = response.json()["metadata"]["id"]
        else:
            failures.append(f"{repo}: HTTP {response.status_code} {response.text[:200]}")

    await asyncio.gather(*(one(i, repo) for i, repo in enumerate(repos)))
    return ids, durations, failures


async def seed(url: str, models: int, clients: int, concurrency: int, out: Path) -> dict[str, Any]:
    out.mkdir(parents=True, exist_ok=True)  # noqa: ASYNC240 (once, before any request)
    limits = httpx.Limits(max_connections=concurrency + 4)
    async with httpx.AsyncClient(base_url=url, timeout=300, limits=limits) as client:
        admin_token = await login(client, ADMIN, ADMIN_PASSWORD, True)
        tokens = await create_clients(client, admin_token, clients)
        repos = model_ids(models)
        started = time.perf_counter()
        ids, durations, failures = await register_all(client, tokens, repos, concurrency)
        elapsed = time.perf_counter() - started
        big_id = ids.get(BIG_MODEL)
        big_size = 0
        if big_id:
            # GET, not HEAD (the route answers GET only); the body is not read.
            async with client.stream(
                "GET",
                f"/artifacts/model/{big_id}/download",
                headers={"X-Authorization": admin_token},
            ) as response:
                response.raise_for_status()
                big_size = int(response.headers["content-length"])
    (out / "tokens.txt").write_text("\n".join(tokens) + "\n")
    summary = {
        "models_requested": models,
        "models_registered": len(ids),
        "failures": failures[:10],
        "failure_count": len(failures),
        "seconds": round(elapsed, 2),
        "p50_seconds": round(statistics.median(durations), 3) if durations else None,
        "max_seconds": round(max(durations), 3) if durations else None,
        "concurrency": concurrency,
        "big_model_id": big_id,
        "big_model_bytes": big_size,
        "ids": sorted(ids.values()),
    }
    (out / "models.json").write_text(json.dumps(summary, indent=1))
    return summary


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--url", default="http://127.0.0.1:8000")
    parser.add_argument("--models", type=int, default=500)
    parser.add_argument("--clients", type=int, default=100)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--out", type=Path, default=Path(".perf"))
    args = parser.parse_args()
    summary = asyncio.run(seed(args.url, args.models, args.clients, args.concurrency, args.out))
    print(
        f"registered {summary['models_registered']}/{summary['models_requested']} models in "
        f"{summary['seconds']} s (p50 {summary['p50_seconds']} s per call, "
        f"{summary['failure_count']} failures); big model {summary['big_model_id']} "
        f"{summary['big_model_bytes']} bytes"
    )


if __name__ == "__main__":
    main()
