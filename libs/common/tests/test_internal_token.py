"""The internal token: one constant-time comparison, closed when unset, required to serve."""

from __future__ import annotations

import httpx
import pytest

from registry_common.http import build_service_app
from registry_common.internal_token import (
    INTERNAL_TOKEN_HEADER,
    MissingInternalToken,
    generate_internal_token,
    internal_token_headers,
    require_internal_token,
    token_matches,
)
from registry_common.telemetry import create_tracer_provider

TOKEN = "a-token-that-is-long-enough-0123"


def test_only_the_exact_token_matches() -> None:
    assert token_matches(TOKEN, TOKEN)
    assert token_matches(TOKEN.encode(), TOKEN)  # raw header bytes, as ASGI gives them
    assert not token_matches(TOKEN[:-1], TOKEN)
    assert not token_matches(TOKEN + "x", TOKEN)
    assert not token_matches("", TOKEN)
    assert not token_matches(None, TOKEN)


def test_without_an_expected_token_nothing_matches() -> None:
    assert not token_matches("", None)
    assert not token_matches("", "")
    assert not token_matches("anything", None)


def test_the_comparison_is_hmac_compare_digest(monkeypatch: pytest.MonkeyPatch) -> None:
    # Constant time cannot be measured reliably in a unit test; what can be checked is that
    # the comparison is the standard library's constant-time one, not `==`.
    import registry_common.internal_token as module

    seen: list[tuple[bytes, bytes]] = []

    def spy(a: bytes, b: bytes) -> bool:
        seen.append((a, b))
        return a == b

    monkeypatch.setattr(module.hmac, "compare_digest", spy)
    assert token_matches("x" * 30, "x" * 30)
    assert seen == [(b"x" * 30, b"x" * 30)]


def test_headers_and_generated_tokens() -> None:
    assert internal_token_headers(None) == {}
    assert internal_token_headers(TOKEN) == {INTERNAL_TOKEN_HEADER: TOKEN}
    first, second = generate_internal_token(), generate_internal_token()
    assert first != second
    assert len(first) >= 24
    assert require_internal_token(first, "ingest") == first


@pytest.mark.parametrize("token", [None, "", "short-token"])
def test_a_separate_service_needs_a_long_enough_token(token: str | None) -> None:
    with pytest.raises(MissingInternalToken) as raised:
        require_internal_token(token, "ingest")
    message = str(raised.value.code)
    assert message.startswith("registry-ingest: REGISTRY_INTERNAL_TOKEN")
    assert isinstance(raised.value, SystemExit)  # the process exits non-zero with it


def _app(token: str | None) -> httpx.AsyncClient:
    app = build_service_app(
        "ingest", tracer_provider=create_tracer_provider("ingest", "none"), internal_token=token
    )

    @app.get("/internal/whoami")
    async def whoami() -> dict[str, str]:
        return {"ok": "yes"}

    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t")


async def test_internal_routes_are_closed_when_no_token_is_configured() -> None:
    async with _app(None) as client:
        refused = await client.get("/internal/whoami", headers={INTERNAL_TOKEN_HEADER: ""})
        assert refused.status_code == 403
        assert refused.json()["detail"] == "Internal routes need the internal token."


async def test_internal_routes_need_the_exact_token() -> None:
    async with _app(TOKEN) as client:
        assert (await client.get("/internal/whoami")).status_code == 403
        wrong = {INTERNAL_TOKEN_HEADER: TOKEN[:-1] + "?"}
        assert (await client.get("/internal/whoami", headers=wrong)).status_code == 403
        right = {INTERNAL_TOKEN_HEADER: TOKEN}
        assert (await client.get("/internal/whoami", headers=right)).json() == {"ok": "yes"}
