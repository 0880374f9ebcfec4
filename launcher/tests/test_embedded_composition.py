"""The embedded registry as `create_embedded_app` composes it: the real services on SQLite
files in `tmp_path`, one in-process bus, the gateway in front; and the entry point's
choices (its own URL, the one-worker rule)."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from pydantic import SecretStr

from registry_auth.config import AuthSettings
from registry_common.settings import RuntimeSettings
from registry_launcher import __main__ as entry
from registry_launcher.app import EmbeddedRegistry, create_embedded_app

ADMIN_PASSWORD = "an embedded admin passphrase 11"


async def test_the_composed_registry_serves_through_the_gateway(tmp_path: Path) -> None:
    runtime = RuntimeSettings(data_dir=tmp_path)
    # Auth's own settings carry a different internal token: the launcher must replace it
    # with the process's, or the gateway's calls to auth would be refused.
    auth_runtime = RuntimeSettings(data_dir=tmp_path, internal_token="a-token-nobody-sends")
    registry = create_embedded_app(
        runtime,
        settings={
            "auth": AuthSettings(
                runtime=auth_runtime, initial_admin_password=SecretStr(ADMIN_PASSWORD)
            )
        },
        gateway_url="http://127.0.0.1:8765",
    )
    assert sorted(registry.apps) == ["auth", "health", "ingest", "lineage", "scoring"]
    async with (
        registry.lifespan(),
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=registry), base_url="http://registry"
        ) as client,
    ):
        signed_in = await client.put(
            "/authenticate",
            json={
                "user": {"name": "ece30861defaultadminuser", "is_admin": True},
                "secret": {"password": ADMIN_PASSWORD},
            },
        )
        assert signed_in.status_code == 200, signed_in.text
        assert signed_in.json().lower().startswith("bearer ")

        components = await client.get("/health/components")
        assert components.status_code == 200, components.text
        names = {component["id"] for component in components.json()["components"]}
        assert {"gateway", "auth", "ingest", "scoring", "lineage"} <= names


@pytest.mark.parametrize(
    ("host", "url"),
    [
        ("0.0.0.0", "http://127.0.0.1:8000"),
        ("", "http://127.0.0.1:8000"),
        ("::", "http://127.0.0.1:8000"),
        ("::1", "http://[::1]:8000"),
        ("registry.local", "http://registry.local:8000"),
    ],
)
def test_the_load_test_target_is_the_servers_own_address(host: str, url: str) -> None:
    assert entry._own_url(host, 8000) == url


def test_host_and_port_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOST", "0.0.0.0")
    monkeypatch.setenv("PORT", "9123")
    assert entry._listen() == ("0.0.0.0", 9123)
    monkeypatch.delenv("HOST")
    monkeypatch.delenv("PORT")
    assert entry._listen() == ("127.0.0.1", 8000)


def test_the_server_builds_the_registry_from_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REGISTRY_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("PORT", "9124")
    registry = entry.embedded_app()
    assert isinstance(registry, EmbeddedRegistry)
    assert registry.apps["auth"].state.kit is not None


def test_several_workers_are_refused_with_the_reason(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REGISTRY_SERVE_WORKERS", "2")
    with pytest.raises(SystemExit, match="Embedded mode runs in one process") as stopped:
        entry.main()
    assert "unset REGISTRY_SERVE_WORKERS" in str(stopped.value)
