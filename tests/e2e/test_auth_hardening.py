"""Authentication fit for production, end to end: the default admin's password survives
restarts, the initial one can come from a secret, sign-in back-off is per account and per
client (with Retry-After), the expensive routes have per-user rate limits, and a service run
as its own process needs the internal token (and ingest trusts no caller header without it)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from registry_auth.config import AuthSettings
from registry_common.settings import RuntimeSettings
from registry_gateway.config import GatewaySettings
from tests.harness.registry import (
    DEFAULT_ADMIN,
    DEFAULT_PASSWORD,
    RunningRegistry,
    embedded,
    free_port,
)

pytestmark = pytest.mark.e2e

SPEC_VARIANT = DEFAULT_PASSWORD.replace("packages;", "artifacts;")


def _sign_in(
    client: httpx.Client, name: str, password: str, headers: dict[str, str] | None = None
) -> httpx.Response:
    return client.put(
        "/authenticate",
        json={"user": {"name": name, "is_admin": False}, "secret": {"password": password}},
        headers=headers,
    )


def _signs_in_soon(client: httpx.Client, name: str, password: str) -> bool:
    """The auth service applies a reset from the RegistryReset event, just after the 200."""
    for _ in range(6):
        if _sign_in(client, name, password).status_code == 200:
            return True
        time.sleep(1)
    return False


def _add_user(registry: RunningRegistry, name: str, password: str, perms: list[str]) -> None:
    with registry.admin() as admin:
        response = admin.post(
            "/users",
            json={
                "user": {"name": name, "is_admin": False},
                "secret": {"password": password},
                "permissions": perms,
            },
        )
    assert response.status_code == 201, response.text


# ------------------------------------------------------------------ the default admin


def test_a_changed_admin_password_survives_a_restart_and_reset_restores_it(
    tmp_path: Path,
) -> None:
    data_dir = tmp_path / "registry"
    new_password = "Operators-Own-Passphrase-2026"
    with embedded(data_dir) as registry, registry.admin() as admin:
        wrong = admin.put(
            f"/users/{DEFAULT_ADMIN}/password",
            json={"password": new_password, "current_password": "not it"},
        )
        assert wrong.status_code == 401
        assert "current password" in wrong.json()["detail"]
        changed = admin.put(
            f"/users/{DEFAULT_ADMIN}/password",
            json={"password": new_password, "current_password": DEFAULT_PASSWORD},
        )
        assert changed.status_code == 200, changed.text
        # The change signed the admin out everywhere, this token included.
        assert admin.get("/users/me").status_code == 403

    with embedded(data_dir) as registry, registry.client() as client:  # a restart
        assert _sign_in(client, DEFAULT_ADMIN, DEFAULT_PASSWORD).status_code == 401
        assert _sign_in(client, DEFAULT_ADMIN, SPEC_VARIANT).status_code == 401
        signed_in = _sign_in(client, DEFAULT_ADMIN, new_password)
        assert signed_in.status_code == 200
        # The contract: DELETE /reset brings back the default admin's well-known password.
        reset = client.delete("/reset", headers={"X-Authorization": signed_in.json()})
        assert reset.status_code == 200
        assert _signs_in_soon(client, DEFAULT_ADMIN, DEFAULT_PASSWORD)


@pytest.mark.parametrize("source", ["variable", "file"])
def test_the_initial_admin_password_comes_from_a_setting(tmp_path: Path, source: str) -> None:
    secret = "Deployment-Secret-Passphrase-77"
    options: dict[str, Any] = {"initial_admin_password": secret}
    if source == "file":  # a mounted secret, newline-terminated as such files usually are
        path = tmp_path / "admin-password"
        path.write_text(secret + "\n", encoding="utf-8")
        options = {"initial_admin_password_file": path}

    def settings(runtime: RuntimeSettings) -> dict[str, Any]:
        return {"auth": AuthSettings(runtime=runtime, **options)}

    with (
        embedded(tmp_path / "registry", settings=settings) as registry,
        registry.client() as client,
    ):
        assert _sign_in(client, DEFAULT_ADMIN, DEFAULT_PASSWORD).status_code == 401
        token = _sign_in(client, DEFAULT_ADMIN, secret)
        assert token.status_code == 200
        assert client.delete("/reset", headers={"X-Authorization": token.json()}).is_success
        assert _signs_in_soon(client, DEFAULT_ADMIN, secret)
        assert _sign_in(client, DEFAULT_ADMIN, DEFAULT_PASSWORD).status_code == 401


# ------------------------------------------------------------------ sign-in back-off


@pytest.fixture
def behind_a_proxy(tmp_path: Path) -> Iterator[RunningRegistry]:
    """A registry whose gateway trusts loopback as its load balancer, so a test can play
    clients at different addresses through X-Forwarded-For."""

    def settings(runtime: RuntimeSettings) -> dict[str, Any]:
        return {
            "gateway": GatewaySettings(runtime=runtime, trusted_proxies="127.0.0.1/32"),
            "auth": AuthSettings(runtime=runtime, login_free_failures=5),
        }

    with embedded(tmp_path / "registry", settings=settings) as registry:
        yield registry


def test_back_off_is_per_account_and_client_with_retry_after(
    behind_a_proxy: RunningRegistry,
) -> None:
    registry = behind_a_proxy
    _add_user(registry, "alice", "Alice-Password-123", ["search"])
    _add_user(registry, "bob", "Bob-Password-12345", ["search"])
    attacker = {"X-Forwarded-For": "198.51.100.66"}
    with registry.client() as client:
        for _ in range(5):
            assert _sign_in(client, "alice", "guess", attacker).status_code == 401
        refused = _sign_in(client, "alice", "Alice-Password-123", attacker)
        assert refused.status_code == 429
        assert int(refused.headers["Retry-After"]) >= 1
        assert refused.json()["detail"].startswith(
            "Too many failed sign-ins to this account from your address; wait "
        )
        # A forged left-most entry does not escape the back-off: the balancer's hop counts.
        # (Asked at once: the first wait is one second.)
        forged = {"X-Forwarded-For": "203.0.113.10, 198.51.100.66"}
        assert _sign_in(client, "alice", "Alice-Password-123", forged).status_code == 429
        # Another account from the same address still signs in ...
        assert _sign_in(client, "bob", "Bob-Password-12345", attacker).status_code == 200
        # ... and so does alice from her own address: no global lockout.
        alice = {"X-Forwarded-For": "203.0.113.10"}
        assert _sign_in(client, "alice", "Alice-Password-123", alice).status_code == 200


def test_without_trusted_proxies_x_forwarded_for_is_ignored(embedded_registry: Any) -> None:
    registry: RunningRegistry = embedded_registry
    _add_user(registry, "carol", "Carol-Password-123", ["search"])
    with registry.client() as client:
        for i in range(10):
            spoofed = {"X-Forwarded-For": f"198.51.100.{i}"}  # a new "address" every time
            assert _sign_in(client, "carol", "guess", spoofed).status_code == 401
        escaped = _sign_in(client, "carol", "Carol-Password-123", {"X-Forwarded-For": "1.1.1.1"})
        assert escaped.status_code == 429
        assert "Retry-After" in escaped.headers


# ------------------------------------------------------------------ rate limits


def test_regex_search_has_a_per_user_rate_limit(tmp_path: Path) -> None:
    def settings(runtime: RuntimeSettings) -> dict[str, Any]:
        return {"gateway": GatewaySettings(runtime=runtime, rate_limit_regex_per_minute=3)}

    with embedded(tmp_path / "registry", settings=settings) as registry:
        _add_user(registry, "dave", "Dave-Password-123", ["search"])
        with registry.admin() as admin:
            answers = [admin.post("/artifact/byRegEx", json={"regex": "x"}) for _ in range(3)]
            assert [a.status_code for a in answers] == [404, 404, 404]  # empty registry
            limited = admin.post("/artifact/byRegEx", json={"regex": "x"})
        assert limited.status_code == 429
        assert 1 <= int(limited.headers["Retry-After"]) <= 20  # one token every 20 s
        assert limited.json()["code"] == "rate_limited"
        assert limited.json()["detail"].startswith(
            "You have made too many regular-expression searches (the limit is 3 a minute per "
            "user); wait "
        )
        with registry.client() as client:  # the limit is per user
            token = _sign_in(client, "dave", "Dave-Password-123").json()
            other = client.post(
                "/artifact/byRegEx", json={"regex": "x"}, headers={"X-Authorization": token}
            )
            assert other.status_code == 404


def test_registration_has_a_per_user_rate_limit(tmp_path: Path) -> None:
    def settings(runtime: RuntimeSettings) -> dict[str, Any]:
        return {"gateway": GatewaySettings(runtime=runtime, rate_limit_ingest_per_minute=2)}

    with embedded(tmp_path / "registry", settings=settings) as registry, registry.admin() as admin:
        # Malformed URLs are refused after the limit is spent: the attempt is what costs.
        codes = [admin.post("/artifact/model", json={"url": "nope"}).status_code for _ in range(3)]
        assert codes == [400, 400, 429]
        upload = admin.post(
            "/artifact/model/upload", files={"file": ("m.zip", b"PK", "application/zip")}
        )
        assert upload.status_code == 429
        assert "artifact registrations and uploads" in upload.json()["detail"]


# ------------------------------------------------------------------ the internal token


def _service_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("REGISTRY_")}
    return {
        **env,
        "REGISTRY_DATA_DIR": str(tmp_path / "data"),
        "REGISTRY_TELEMETRY_EXPORTER": "none",
        **extra,
    }


@pytest.mark.parametrize(
    ("token", "message"),
    [
        (None, "registry-ingest: REGISTRY_INTERNAL_TOKEN is not set."),
        ("too-short", "registry-ingest: REGISTRY_INTERNAL_TOKEN is 9 characters long"),
    ],
)
def test_a_separate_service_refuses_to_start_without_the_token(
    tmp_path: Path, token: str | None, message: str
) -> None:
    extra = {"REGISTRY_INTERNAL_TOKEN": token} if token else {}
    finished = subprocess.run(
        [sys.executable, "-m", "registry_ingest"],
        env={**_service_env(tmp_path, **extra), "PORT": str(free_port())},
        capture_output=True,
        timeout=60,
        check=False,
    )
    assert finished.returncode != 0
    assert message in finished.stderr.decode()


def test_ingest_trusts_no_caller_header_without_the_token(tmp_path: Path) -> None:
    token = "an-internal-token-for-this-test-0123456789"
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "registry_ingest"],
        env={**_service_env(tmp_path, REGISTRY_INTERNAL_TOKEN=token), "PORT": str(port)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=10) as client:
            good = {"X-Internal-Token": token}
            deadline = time.monotonic() + 60
            while True:
                try:
                    if client.get("/internal/health", headers=good).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                assert process.poll() is None, "the ingest service exited"
                assert time.monotonic() < deadline, "the ingest service did not start"
                time.sleep(0.1)
            forged = {"X-Registry-User": DEFAULT_ADMIN, "X-Registry-Admin": "true"}
            body = {"url": "https://huggingface.co/org/model"}
            for headers in ({}, {"X-Internal-Token": ""}, {"X-Internal-Token": token[:-1]}):
                refused = client.post(
                    "/internal/artifacts/model", json=body, headers={**forged, **headers}
                )
                assert refused.status_code == 403
                assert refused.json()["detail"] == "Internal routes need the internal token."
            assert client.post("/internal/reset", json={}, headers=forged).status_code == 403
            # With the token the same headers are believed (a bad URL is then the problem).
            trusted = client.post(
                "/internal/artifacts/model", json={"url": "nope"}, headers={**forged, **good}
            )
            assert trusted.status_code == 400
    finally:
        process.terminate()
        process.wait(timeout=30)
