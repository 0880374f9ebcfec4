"""The distributed topology on loopback: six service processes, an AWS API emulator
process (SNS/SQS/S3), and a real PostgreSQL server. Seven processes plus PostgreSQL.

Telemetry as in production without a collector: every service exports its spans and ships
its logs over OTLP/HTTP to the health service's receiver (`/internal/otlp`), which answers
trace look-ups, request metrics and log searches for all of them. SNS and SQS may be
reached through their own endpoint (`bus_endpoint`: a proxy a test can cut) while S3 stays
on the emulator: botocore's per-service `AWS_ENDPOINT_URL_<SERVICE>` variables."""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3
import httpx
import orjson
import pytest

from tests.fakes.github import FakeGitHub
from tests.fakes.hub import FakeHub
from tests.harness.postgres import PostgresHandle
from tests.harness.registry import RunningRegistry, free_port
from tests.harness.scoring_double import RATINGS_ENV

SERVICES = ("auth", "ingest", "scoring", "lineage", "health", "gateway")
# Who answers RegistryReset, each with `<service>.reset.applied` once its state is gone.
RESET_CONSUMERS = ("auth", "scoring", "lineage", "health")
# Log events that mean an event was lost, refused or could not travel: never expected
# unless a test declares them (`@pytest.mark.expected_failures(...)`).
BUS_TROUBLE = {
    "bus.event.failed",
    "bus.event.dead_lettered",
    "bus.event.rejected",
    "bus.publish.failed",
    "bus.ack.failed",
    "bus.poll.failed",
}
QUEUE_COUNTS = (
    "ApproximateNumberOfMessages",
    "ApproximateNumberOfMessagesNotVisible",
    "ApproximateNumberOfMessagesDelayed",
)
REPO_ROOT = Path(__file__).resolve().parents[2]
START_TIMEOUT = 180


def is_trouble(record: Mapping[str, Any]) -> bool:
    """A log record the invariant refuses: a bus failure, a 5xx, an error or a traceback."""
    status = record.get("status")
    return (
        record.get("event") in BUS_TROUBLE
        or (isinstance(status, int) and status >= 500)
        or str(record.get("level", "")).lower() in {"error", "critical", "exception"}
        or "exception" in record
    )


def matches(record: Mapping[str, Any], pattern: Mapping[str, Any]) -> bool:
    return all(record.get(key) == value for key, value in pattern.items())


@dataclass
class DistributedRegistry(RunningRegistry):
    log_dir: Path = field(default_factory=Path)
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    aws_url: str = ""
    env: dict[str, str] = field(default_factory=dict)
    # How each service process was started (argv, environment): `restart` starts it again.
    launches: dict[str, tuple[list[str], dict[str, str]]] = field(default_factory=dict)

    _checked: dict[str, int] = field(default_factory=dict)

    def log_records(self, service: str, since: int = 0) -> list[dict[str, object]]:
        """The service's JSON log records, from byte offset `since` on."""
        return [record for _, record in self._records(service, since)]

    def _records(self, service: str, since: int = 0) -> list[tuple[int, dict[str, object]]]:
        """(end offset, record) of each complete line from `since` on."""
        path = self.log_dir / f"{service}.log"
        if not path.exists():
            return []
        with path.open("rb") as file:
            file.seek(since)
            data = file.read()
        records = []
        offset = since
        for line in data.splitlines(keepends=True):
            if not line.endswith(b"\n"):
                break  # a line being written right now: read it next time
            offset += len(line)
            try:
                records.append((offset, orjson.loads(line)))
            except orjson.JSONDecodeError:
                continue
        return records

    def _stray_output(self, service: str, since: int) -> tuple[int, list[str]]:
        """Tracebacks printed outside the JSON logs (stderr of the process)."""
        path = self.log_dir / f"{service}.out"
        if not path.exists():
            return since, []
        with path.open("rb") as file:
            file.seek(since)
            data = file.read()
        text = data.decode(errors="replace")
        lines = [line for line in text.splitlines() if not line.startswith("{")]
        return since + len(data), [line for line in lines if "Traceback" in line]

    def blob_keys(self, prefix: str = "artifacts/") -> list[str]:
        """Keys of the objects in the S3 bucket under `prefix`."""
        s3 = boto3.client(
            "s3",
            region_name="us-east-1",
            endpoint_url=self.aws_url,
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )
        pages = s3.get_paginator("list_objects_v2").paginate(
            Bucket=self.env["REGISTRY_S3_BUCKET"], Prefix=prefix
        )
        return sorted(o["Key"] for page in pages for o in page.get("Contents", []))

    def kill(self, service: str) -> None:
        """SIGKILL the service's process (no shutdown: whatever it was doing is cut)."""
        process = self.processes[service]
        process.kill()
        process.wait(timeout=15)

    def restart(self, service: str) -> None:
        """Start the service's process again, as an orchestrator (ECS, systemd) would
        after a crash: same command, environment and port; returns once it answers."""
        argv, env = self.launches[service]
        old = self.processes[service]
        if old.poll() is None:
            old.kill()
            old.wait(timeout=15)
        process = subprocess.Popen(
            argv,
            env=env,
            stdout=(self.log_dir / f"{service}.out").open("ab"),
            stderr=subprocess.STDOUT,
            cwd=REPO_ROOT,
        )
        self.processes[service] = process
        health = "/health" if service == "gateway" else "/internal/health"
        _wait_until_up(
            f"http://127.0.0.1:{env['PORT']}{health}",
            process,
            service,
            {"X-Internal-Token": env["REGISTRY_INTERNAL_TOKEN"]},
        )

    # ------------------------------------------------------------ reset between tests

    def reset(self, timeout: float = 30) -> None:
        """`DELETE /reset` as the admin, then wait until every consumer applied it: a reset
        landing late would wipe the next test's data in scoring or lineage."""
        with self.client() as client:
            response = client.delete("/reset", headers={"X-Authorization": self.admin_token()})
            response.raise_for_status()
        trace_id = response.headers["X-Trace-Id"]
        deadline = time.monotonic() + timeout
        pending = set(RESET_CONSUMERS)
        while pending and time.monotonic() < deadline:
            pending = {
                service
                for service in pending
                if not any(
                    r.get("event") == f"{service}.reset.applied" and r.get("trace_id") == trace_id
                    for r in self.log_records(service)
                )
            }
            if pending:
                time.sleep(0.1)
        if pending:
            raise AssertionError(f"reset {trace_id} not applied by {sorted(pending)}")

    # ------------------------------------------------------------ the invariant

    def _sqs(self) -> Any:
        return boto3.client(
            "sqs",
            region_name="us-east-1",
            endpoint_url=self.aws_url,
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )

    def queue_counts(self) -> dict[str, int]:
        """Messages in every queue of this topology (DLQs included): visible + in flight +
        delayed."""
        sqs = self._sqs()
        prefix = self.env["REGISTRY_BUS_PREFIX"]
        urls = sqs.list_queues(QueueNamePrefix=prefix).get("QueueUrls", [])
        counts = {}
        for url in urls:
            attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=list(QUEUE_COUNTS))
            values = attributes.get("Attributes", {})
            counts[url.rsplit("/", 1)[-1]] = sum(int(values.get(name, 0)) for name in QUEUE_COUNTS)
        return counts

    def settle(self, timeout: float = 30) -> dict[str, int]:
        """Wait (bounded) until every queue is empty twice in a row; the last counts that
        were not (empty when settled)."""
        deadline = time.monotonic() + timeout
        quiet = 0
        busy: dict[str, int] = {}
        while time.monotonic() < deadline:
            busy = {name: n for name, n in self.queue_counts().items() if n}
            quiet = 0 if busy else quiet + 1
            if quiet >= 2:
                return {}
            time.sleep(0.2)
        return busy

    def purge(self) -> None:
        """Empty every queue (after a broken invariant: one test's leftovers must not fail
        the next)."""
        sqs = self._sqs()
        for url in sqs.list_queues(QueueNamePrefix=self.env["REGISTRY_BUS_PREFIX"]).get(
            "QueueUrls", []
        ):
            # PurgeQueue is allowed once a minute per queue: receive and delete instead.
            while messages := sqs.receive_message(
                QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=0
            ).get("Messages", []):
                sqs.delete_message_batch(
                    QueueUrl=url,
                    Entries=[
                        {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]}
                        for i, m in enumerate(messages)
                    ],
                )

    def violations(self, expected: Sequence[Mapping[str, Any]] = ()) -> list[str]:
        """Everything since the previous call that breaks the invariant: a queue not drained
        (DLQs included), a bus failure, a 5xx, an error or a traceback in any service's log
        not matching one of `expected` (record subsets)."""
        problems = [
            f"queue {name} still holds {count} message(s)"
            for name, count in sorted(self.settle().items())
        ]
        time.sleep(0.2)  # the last handler's log line is flushed after its acknowledgement
        # Every file: library loggers (uvicorn, botocore) and the bus's own logger write
        # under their own names, next to the services'.
        for path in sorted(self.log_dir.glob("*.log")):
            name = path.stem
            since = self._checked.get(path.name, 0)
            records = self._records(name, since)
            if records:
                self._checked[path.name] = records[-1][0]
            for _, record in records:
                if is_trouble(record) and not any(matches(record, p) for p in expected):
                    problems.append(f"{name}.log: {orjson.dumps(record).decode()[:3000]}")
        for path in sorted(self.log_dir.glob("*.out")):
            name = path.stem
            self._checked[path.name], stray = self._stray_output(
                name, self._checked.get(path.name, 0)
            )
            problems.extend(f"{name} (stderr): {line}" for line in stray)
        return problems

    @contextmanager
    def checked(self, expected: Sequence[Mapping[str, Any]] = ()) -> Iterator[None]:
        """Around one test: afterwards, no lost event, undrained queue, 5xx or traceback."""
        yield
        problems = self.violations(expected)
        if problems:
            self.purge()
            raise AssertionError(
                "the distributed topology broke its invariant:\n" + "\n".join(problems)
            )


def settings_env(settings: Mapping[str, Mapping[str, Any]]) -> dict[str, str]:
    """Environment variables of service settings: one prefix per service (`INGEST_`...)."""
    env = {}
    for service, values in settings.items():
        for key, value in values.items():
            if isinstance(value, bool):
                text = "true" if value else "false"
            elif isinstance(value, list | dict):
                text = json.dumps(value)
            else:
                text = str(value)
            env[f"{service.upper()}_{key.upper()}"] = text
    return env


def _wait_until_up(
    url: str, process: subprocess.Popen[bytes], name: str, headers: dict[str, str]
) -> None:
    # Generous: six processes importing at once on two busy cores take tens of seconds.
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{name} exited with {process.returncode} while starting")
        try:
            if httpx.get(url, headers=headers, timeout=2).status_code < 500:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"{name} did not start within {START_TIMEOUT} s")


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
    front: Callable[[str, str], str] | None = None,
    settings: Mapping[str, Mapping[str, Any]] | None = None,
    scoring_ratings: Mapping[str, float | None] | None = None,
) -> Iterator[DistributedRegistry]:
    """The topology; `bus_endpoint(aws_url)` gives the URL SNS and SQS are reached at.
    `front(component, address)` may put something (a fault proxy) in front of a component:
    it gets "s3", "bus", "hub", "github" with their URLs and "database" with the SQLAlchemy
    URL, and returns what the services are given instead.

    `settings` sets a service's settings the way an operator does, as environment variables
    of its process (`{"ingest": {"page_size": 5}}` is `INGEST_PAGE_SIZE=5`). With
    `scoring_ratings` the scoring process is the test double (`tests.harness.scoring_double`,
    ratings by source URL) instead of the real scorer."""
    processes: dict[str, subprocess.Popen[bytes]] = {}
    log_dir = tmp_path / "logs"
    log_dir.mkdir()
    try:
        moto_port = free_port()
        processes["aws-emulator"] = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "tests.harness.aws_emulator",
                "-H",
                "127.0.0.1",
                "-p",
                str(moto_port),
            ],
            stdout=(log_dir / "moto.out").open("wb"),
            stderr=subprocess.STDOUT,
            cwd=REPO_ROOT,
        )
        aws_url = f"http://127.0.0.1:{moto_port}"
        _wait_until_up(f"{aws_url}/moto-api/", processes["aws-emulator"], "moto", {})

        ports = {name: free_port() for name in SERVICES}
        internal_token = secrets.token_urlsafe(24)
        bus_url = bus_endpoint(aws_url) if bus_endpoint else aws_url

        def fronted(component: str, address: str | None) -> str:
            assert address is not None, f"{component} is not running"
            return front(component, address) if front else address

        database_url = postgres_server.sqlalchemy_url(postgres_server.create_database())
        env = {
            **os.environ,
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_DEFAULT_REGION": "us-east-1",
            "REGISTRY_DATA_DIR": str(tmp_path / "data"),
            "REGISTRY_DATABASE_URL": fronted("database", database_url),
            "REGISTRY_BLOB_BACKEND": "s3",
            "REGISTRY_S3_BUCKET": f"registry-{uuid.uuid4().hex[:8]}",
            "REGISTRY_BUS_BACKEND": "sns-sqs",
            "REGISTRY_BUS_PREFIX": f"t{uuid.uuid4().hex[:8]}",
            "REGISTRY_BUS_WAIT_SECONDS": "1",
            # Per AWS service (REGISTRY_AWS_ENDPOINT_URL would override all of them).
            "AWS_ENDPOINT_URL_S3": fronted("s3", aws_url),
            "AWS_ENDPOINT_URL_SNS": fronted("bus", bus_url),
            "AWS_ENDPOINT_URL_SQS": fronted("bus", bus_url),
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
            "HF_ENDPOINT": fronted("hub", fake_hub.url),
            "HF_HUB_DISABLE_TELEMETRY": "1",
            "GITHUB_API_URL": fronted("github", fake_github.url),
            **{
                f"GATEWAY_{name.upper()}_URL": f"http://127.0.0.1:{ports[name]}"
                for name in SERVICES
            },
        }
        env.update(settings_env(settings or {}))
        # The receiver keeps its own spans in-process; it does not export to itself.
        own = {"health": {"REGISTRY_TELEMETRY_EXPORTER": "none"}}
        modules = {name: f"registry_{name}" for name in SERVICES}
        if scoring_ratings is not None:
            modules["scoring"] = "tests.harness.scoring_double"
            env[RATINGS_ENV] = json.dumps(dict(scoring_ratings))
        launches = {
            name: (
                [sys.executable, "-m", modules[name]],
                {**env, **own.get(name, {}), "PORT": str(ports[name])},
            )
            for name in SERVICES
        }
        for name in SERVICES:
            argv, process_env = launches[name]
            processes[name] = subprocess.Popen(
                argv,
                env=process_env,
                stdout=(log_dir / f"{name}.out").open("wb"),
                stderr=subprocess.STDOUT,
                cwd=REPO_ROOT,  # `-m tests.harness...` resolves from the repository root
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
            launches=launches,
        )
    finally:
        _stop(processes)
