"""Deployment settings, the image's entry point and health check, the collector config:
plain Python, no synthesis."""

from __future__ import annotations

import http.server
import importlib.util
import threading
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from registry_deploy.config import DeploymentConfig, TaskSize
from registry_deploy.telemetry import HEALTH_EXPORTER, collector_config

DOCKER = Path(__file__).resolve().parents[1] / "docker"


def load(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"image_{name}", DOCKER / f"{name}.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


entrypoint = load("entrypoint")
healthcheck = load("healthcheck")


# ----------------------------------------------------------------------------- config


def test_context_strings_are_converted_to_the_settings_types() -> None:
    context: dict[str, Any] = {
        "nat_gateways": "0",
        "db_multi_az": "true",
        "alarm_email": "ops@example.com",
        "certificate_arn": "",
        "task_sizes": '{"scoring": {"cpu": 2048, "memory_mib": 8192, "max_tasks": 6}}',
        "extra_env": {"ingest": {"INGEST_GATE_ENABLED": True}},
    }
    config = DeploymentConfig.from_context(context.get)
    assert config.nat_gateways == 0
    assert not config.egress_via_nat
    assert config.db_multi_az is True
    assert config.alarm_email == "ops@example.com"
    assert config.certificate_arn is None  # empty means unset
    assert config.task_sizes["scoring"] == TaskSize(2048, 8192, 1, 6)
    assert config.task_sizes["gateway"] == DeploymentConfig().task_sizes["gateway"]
    assert config.extra_env == {"ingest": {"INGEST_GATE_ENABLED": "True"}}


@pytest.mark.parametrize(
    ("context", "message"),
    [
        ({"extra_env": {"auth": {"AUTH_TOKEN_SECRET": "x"}}}, "Secrets Manager"),
        ({"extra_env": {"ingest": {"REGISTRY_DATABASE_URL": "x"}}}, "Secrets Manager"),
        ({"extra_env": {"billing": {"X": "1"}}}, "unknown service"),
        ({"task_sizes": {"gateway": {"cpu": 256, "memory_mib": 8192}}}, "not a Fargate task"),
        ({"task_sizes": {"health": {"max_tasks": 2}}}, "runs once"),
        ({"nat_gateways": "3"}, "nat_gateways"),
        ({"db_multi_az": "maybe"}, "true or false"),
        ({"prefix": "Registry!"}, "prefix"),
    ],
)
def test_invalid_settings_are_refused_with_a_reason(context: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        DeploymentConfig.from_context(context.get)


# ----------------------------------------------------------------------------- entrypoint

PARTS = {
    "REGISTRY_DATABASE_HOST": "db.internal",
    "REGISTRY_DATABASE_USER": "registry",
    "REGISTRY_DATABASE_PASSWORD": "p@ss:w/rd?#%",
}


def test_the_database_url_is_built_from_its_parts_with_every_part_quoted() -> None:
    url = entrypoint.database_url({**PARTS, "REGISTRY_DATABASE_PORT": "6543"})
    assert url == (
        "postgresql+asyncpg://registry:p%40ss%3Aw%2Frd%3F%23%25@db.internal:6543/registry"
        "?ssl=require"
    )
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    assert parsed.password == PARTS["REGISTRY_DATABASE_PASSWORD"]
    assert (parsed.host, parsed.port, parsed.database) == ("db.internal", 6543, "registry")


def test_an_explicit_url_or_no_parts_leaves_the_service_defaults() -> None:
    assert (
        entrypoint.database_url({**PARTS, "REGISTRY_DATABASE_URL": "sqlite+aiosqlite://"}) is None
    )
    assert entrypoint.database_url({}) is None


def test_incomplete_database_settings_fail_naming_what_is_missing() -> None:
    with pytest.raises(entrypoint.ConfigurationError, match="REGISTRY_DATABASE_PASSWORD missing"):
        entrypoint.database_url({"REGISTRY_DATABASE_HOST": "h", "REGISTRY_DATABASE_USER": "u"})
    with pytest.raises(entrypoint.ConfigurationError, match="must be a number"):
        entrypoint.database_url({**PARTS, "REGISTRY_DATABASE_PORT": "5432;x"})


def test_prepare_sets_the_url_and_drops_the_bare_password() -> None:
    env = dict(PARTS)
    entrypoint.prepare(env)
    assert env["REGISTRY_DATABASE_URL"].startswith("postgresql+asyncpg://registry:")
    assert "REGISTRY_DATABASE_PASSWORD" not in env


def test_the_entrypoint_runs_only_registry_modules() -> None:
    with pytest.raises(SystemExit, match="usage"):
        entrypoint.main(["entrypoint.py", "os; rm -rf /"])


# ----------------------------------------------------------------------------- health check


@pytest.fixture
def server() -> Iterator[tuple[int, list[dict[str, str]], list[int]]]:
    seen: list[dict[str, str]] = []
    status = [200]

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            seen.append({"path": self.path, **dict(self.headers)})
            self.send_response(status[0])
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield httpd.server_address[1], seen, status
    finally:
        httpd.shutdown()
        httpd.server_close()


def test_health_check_passes_on_an_answer_and_sends_the_internal_token(
    server: tuple[int, list[dict[str, str]], list[int]], monkeypatch: pytest.MonkeyPatch
) -> None:
    port, seen, status = server
    monkeypatch.setenv("PORT", str(port))
    monkeypatch.setenv("HEALTHCHECK_PATH", "/internal/health")
    monkeypatch.setenv("REGISTRY_INTERNAL_TOKEN", "t0ken")
    assert healthcheck.main() == 0
    assert seen[-1]["path"] == "/internal/health"
    assert seen[-1]["X-Internal-Token"] == "t0ken"
    status[0] = 403  # answering at all is alive (a wrong token is not a dead process)
    assert healthcheck.main() == 0
    status[0] = 503
    assert healthcheck.main() == 1


def test_health_check_fails_when_nothing_listens(monkeypatch: pytest.MonkeyPatch) -> None:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    monkeypatch.setenv("PORT", str(port))
    assert healthcheck.main() == 1


# ----------------------------------------------------------------------------- collector


def test_every_task_forwards_to_the_health_service_except_the_health_task() -> None:
    ingest = collector_config("ingest")
    assert HEALTH_EXPORTER in ingest["service"]["pipelines"]["traces"]["exporters"]
    assert ingest["service"]["pipelines"]["logs"]["exporters"] == [HEALTH_EXPORTER]
    assert ingest["exporters"][HEALTH_EXPORTER]["headers"] == {
        "X-Internal-Token": "${env:REGISTRY_INTERNAL_TOKEN}"
    }
    health = collector_config("health")
    assert HEALTH_EXPORTER not in health["exporters"]
    assert health["service"]["pipelines"]["traces"]["exporters"] == ["awsxray"]
    assert "logs" not in health["service"]["pipelines"]
    assert health["exporters"]["awsemf"]["namespace"] == "Registry"
