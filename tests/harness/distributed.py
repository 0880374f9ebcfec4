"""The distributed topology on loopback: six service processes, an AWS API emulator
process (SNS/SQS/S3), and a real PostgreSQL server. Seven processes plus PostgreSQL."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
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
    tmp_path = tmp_path_factory.mktemp("distributed")
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
            "REGISTRY_AWS_ENDPOINT_URL": aws_url,
            "REGISTRY_TELEMETRY_EXPORTER": "none",
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
        for name in SERVICES:
            processes[name] = subprocess.Popen(
                [sys.executable, "-m", f"registry_{name}"],
                env={**env, "PORT": str(ports[name])},
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
        )
    finally:
        _stop(processes)
