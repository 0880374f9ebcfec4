"""Ingest-to-rating latency and /rate throughput (issue #4; prints figures, asserts nothing).

Starts the fake Hugging Face Hub and fake GitHub on loopback and, as its own process (black
box: the clients here share no interpreter with it), an embedded registry with the real
scoring service, exactly as `make run` starts it. Registers models (each create returns once
the model is rated), then hammers `GET /artifact/model/{id}/rate` from concurrent clients.

    uv run python -m benchmarks.rating_pipeline [--clients 20] [--seconds 10]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import httpx

from tests.fakes.github import FakeGitHub
from tests.fakes.hub import FakeHub
from tests.fakes.server import serve
from tests.harness.registry import DEFAULT_ADMIN, DEFAULT_PASSWORD, free_port

MODELS = (
    "google-bert/bert-base-uncased",
    "openai/whisper-tiny",
    "arnir0/Tiny-LLM",
    "lineage-lab/minilm-base",
    "lineage-lab/minilm-imdb-sentiment",
    "lineage-lab/minilm-imdb-sentiment-onnx",
    "parvk11/audience_classifier_model",
)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, int(q * len(ordered)) - 1)]


@contextmanager
def registry_process(hub_url: str, github_url: str) -> Iterator[str]:
    """`python -m registry_launcher` on a free port, logs to a file."""
    port = free_port()
    data_dir = Path(tempfile.mkdtemp(prefix="rating-bench-"))
    env = {
        **os.environ,
        "PORT": str(port),
        "REGISTRY_DATA_DIR": str(data_dir),
        "HF_ENDPOINT": hub_url,
        "GITHUB_API_URL": github_url,
        "REGISTRY_LOG_DIR": str(data_dir / "logs"),
        "HF_HUB_DISABLE_TELEMETRY": "1",
    }
    log = (data_dir / "stdout.log").open("wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "registry_launcher"], env=env, stdout=log, stderr=log
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{url}/health", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the registry did not start; see {data_dir / 'stdout.log'}")
            time.sleep(0.2)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=30)
        log.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=10.0)
    args = parser.parse_args()

    hub, github = FakeHub(), FakeGitHub()
    with serve(hub.app) as hub_url, serve(github.app) as github_url:
        hub.url, github.url = hub_url, github_url
        with registry_process(hub_url, github_url) as url:
            login = httpx.put(
                f"{url}/authenticate",
                json={
                    "user": {"name": DEFAULT_ADMIN, "is_admin": True},
                    "secret": {"password": DEFAULT_PASSWORD},
                },
            ).json()
            headers = {"X-Authorization": login}
            created: list[tuple[str, float, int]] = []
            for repo in MODELS:
                started = time.perf_counter()
                response = httpx.post(
                    f"{url}/artifact/model",
                    json={"url": f"https://huggingface.co/{repo}"},
                    headers=headers,
                    timeout=120,
                )
                created.append((repo, time.perf_counter() - started, response.status_code))
            print("| model | create → rated (s) | status |")
            print("| --- | ---: | ---: |")
            for repo, seconds, status in created:
                print(f"| {repo} | {seconds:.2f} | {status} |")
            ids = [
                a["id"]
                for a in httpx.post(
                    f"{url}/artifacts", json=[{"name": "*"}], headers=headers
                ).json()
            ]

            deadline = time.perf_counter() + args.seconds

            def client(n: int) -> list[float]:
                latencies: list[float] = []
                token = httpx.put(
                    f"{url}/authenticate",
                    json={
                        "user": {"name": DEFAULT_ADMIN, "is_admin": True},
                        "secret": {"password": DEFAULT_PASSWORD},
                    },
                ).json()
                with httpx.Client(base_url=url, headers={"X-Authorization": token}) as http:
                    i = n
                    while time.perf_counter() < deadline and len(latencies) < 990:
                        t0 = time.perf_counter()
                        http.get(f"/artifact/model/{ids[i % len(ids)]}/rate").raise_for_status()
                        latencies.append((time.perf_counter() - t0) * 1000)
                        i += 1
                return latencies

            started = time.perf_counter()
            with ThreadPoolExecutor(max_workers=args.clients) as pool:
                results = [lat for part in pool.map(client, range(args.clients)) for lat in part]
            elapsed = time.perf_counter() - started
            print()
            print(
                f"| /rate, {args.clients} clients | requests | req/s | mean ms | p50 ms | "
                "p95 ms | p99 ms |"
            )
            print("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
            print(
                f"| embedded, SQLite | {len(results)} | {len(results) / elapsed:.0f} | "
                f"{statistics.fmean(results):.1f} | {percentile(results, 0.5):.1f} | "
                f"{percentile(results, 0.95):.1f} | {percentile(results, 0.99):.1f} |"
            )


if __name__ == "__main__":
    main()
