"""The distributed topology on loopback: six service processes, an AWS API emulator
process (SNS/SQS/S3), and a real PostgreSQL server. Seven processes plus PostgreSQL.

Telemetry as in production without a collector: every service exports its spans and ships
its logs over OTLP/HTTP to the health service's receiver (`/internal/otlp`), which answers
trace look-ups, request metrics and log searches for all of them. SNS and SQS may be
reached through their own endpoint (`bus_endpoint`: a proxy a test can cut) while S3 stays
on the emulator: botocore's per-service `AWS_ENDPOINT_URL_<SERVICE>` variables."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import orjson
import pytest

from tests.fakes.github import FakeGitHub
from tests.fakes.hub import FakeHub
from tests.harness.postgres import PostgresHandle
from tests.harness.registry import RunningRegistry, free_port

SERVICES = ("auth", "ingest", "scoring", "lineage", "health", "gateway")


@dataclass
class DistributedRegistry(RunningRegistry):
    log_dir: Path = field(default_factory=Path)
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    aws_url: str = ""
    env: dict[str, str] = field(default_factory=dict)

    def log_records(self, service: str) -> list[dict[str, object]]:
        path = self.log_dir / f"{service}.log"
        if not path.exists():
            return []
        records = []
        for line in path.read_bytes().splitlines():
            try:
                records.append(orjson.loads(line))
            except orjson.JSONDecodeError:
                continue  # a line being written right now
        return records


def _wait_until_up(
    url: str, process: subprocess.Popen[bytes], name: str, headers: dict[str, str]
) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{name} exited with {process.returncode} while starting")
        try:
            if httpx.get(url, headers=headers, timeout=2).status_code < 500:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"{name} did not start within 60 s")


def _stop(processes: dict[str, subprocess.Popen[bytes]]) -> None:
    for process in processes.values():
        if process.poll() is None:
            process.terminate()
    for process in processes.values():
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()


@pytest.fixture(scope="module")
def distributed_registry(
    tmp_path_factory: pytest.TempPathFactory,
    postgres_server: PostgresHandle,
    fake_hub: FakeHub,
    fake_github: FakeGitHub,
) -> Iterator[DistributedRegistry]:
    """Started once per test module: the topology takes seconds to come up."""
    with distributed(
        tmp_path_factory.mktemp("distributed"), postgres_server, fake_hub, fake_github
    ) as registry:
        yield registry


@contextmanager
def distributed(
    tmp_path: Path,
    postgres_server: PostgresHandle,
    fake_hub: FakeHub,
    fake_github: FakeGitHub,
    *,
    bus_endpoint: Callable[[str], str] | None = None,
) -> Iterator[DistributedRegistry]:
    """The topology; `bus_endpoint(aws_url)` gives the URL SNS and SQS are reached at."""
    processes: dict[str, subprocess.Popen[bytes]] = {}
    log_dir = tmp_path / "logs"
    log_dir.mkdir()
    try:
        moto_port = free_port()
        processes["aws-emulator"] = subprocess.Popen(
            [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(moto_port)],
            stdout=(log_dir / "moto.out").open("wb"),
            stderr=subprocess.STDOUT,
        )
        aws_url = f"http://127.0.0.1:{moto_port}"
        _wait_until_up(f"{aws_url}/moto-api/", processes["aws-emulator"], "moto", {})

        ports = {name: free_port() for name in SERVICES}
        internal_token = secrets.token_urlsafe(24)
        bus_url = bus_endpoint(aws_url) if bus_endpoint else aws_url
        env = {
            **os.environ,
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_DEFAULT_REGION": "us-east-1",
            "REGISTRY_DATA_DIR": str(tmp_path / "data"),
            "REGISTRY_DATABASE_URL": postgres_server.sqlalchemy_url(
                postgres_server.create_database()
            ),
            "REGISTRY_BLOB_BACKEND": "s3",
            "REGISTRY_S3_BUCKET": f"registry-{uuid.uuid4().hex[:8]}",
            "REGISTRY_BUS_BACKEND": "sns-sqs",
            "REGISTRY_BUS_PREFIX": f"t{uuid.uuid4().hex[:8]}",
            "REGISTRY_BUS_WAIT_SECONDS": "1",
            # Per AWS service (REGISTRY_AWS_ENDPOINT_URL would override all of them).
            "AWS_ENDPOINT_URL_S3": aws_url,
            "AWS_ENDPOINT_URL_SNS": bus_url,
            "AWS_ENDPOINT_URL_SQS": bus_url,
            "AWS_ENDPOINT_URL_CLOUDWATCH": aws_url,
            "REGISTRY_TELEMETRY_EXPORTER": "otlp",
            "REGISTRY_LOG_EXPORTER": "otlp",
            "REGISTRY_OTLP_ENDPOINT": f"http://127.0.0.1:{ports['health']}/internal/otlp",
            "OTEL_BSP_SCHEDULE_DELAY": "200",  # export spans within 0.2 s, not 5 s
            "REGISTRY_LOG_DIR": str(log_dir),
            "HEALTH_PUBLIC_URL": f"http://127.0.0.1:{ports['gateway']}",
            **{
                f"HEALTH_{name.upper()}_URL": f"http://127.0.0.1:{ports[name]}" for name in SERVICES
            },
            "REGISTRY_INTERNAL_TOKEN": internal_token,
            "HF_ENDPOINT": fake_hub.url,
            "HF_HUB_DISABLE_TELEMETRY": "1",
            "GITHUB_API_URL": fake_github.url,
            **{
                f"GATEWAY_{name.upper()}_URL": f"http://127.0.0.1:{ports[name]}"
                for name in SERVICES
            },
        }
        # The receiver keeps its own spans in-process; it does not export to itself.
        own = {"health": {"REGISTRY_TELEMETRY_EXPORTER": "none"}}
        for name in SERVICES:
            processes[name] = subprocess.Popen(
                [sys.executable, "-m", f"registry_{name}"],
                env={**env, **own.get(name, {}), "PORT": str(ports[name])},
                stdout=(log_dir / f"{name}.out").open("wb"),
                stderr=subprocess.STDOUT,
            )
        for name in SERVICES:
            health = "/health" if name == "gateway" else "/internal/health"
            _wait_until_up(
                f"http://127.0.0.1:{ports[name]}{health}",
                processes[name],
                name,
                {"X-Internal-Token": internal_token},
            )
        yield DistributedRegistry(
            url=f"http://127.0.0.1:{ports['gateway']}",
            data_dir=tmp_path / "data",
            log_dir=log_dir,
            processes=processes,
            aws_url=aws_url,
            env=env,
        )
    finally:
        _stop(processes)
