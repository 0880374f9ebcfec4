"""The package-confusion audit (R20) end to end, through the gateway, in both topologies.

A popular original (BERT from the fake Hub, downloaded by a dozen people and searched for),
honest artifacts with their own names, and three planted impostors: a one-edit typo, a
zip upload that takes the Hub model's exact name, and a homoglyph copy whose downloads come
from a bot farm (three accounts created just before they download, in a tight loop) and
outnumber the original's. The audit must list the three impostors, each imitating the
original, and none of the honest artifacts.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest

from tests.harness.registry import RunningRegistry
from tests.harness.topology import Setup, Topology, topology
from tests.harness.uploads import upload, uploaded_id

pytestmark = [pytest.mark.e2e, pytest.mark.integration]

BERT = "https://huggingface.co/google-bert/bert-base-uncased"
PASSWORD = "a-long-enough-password-42"
# Accounts that download within this many seconds of being created count as new. The honest
# downloaders are created first and wait longer than this before their first download.
NEW_ACCOUNT_SECONDS = 8.0  # generous: hashing a password takes a while on a busy machine


# The scoring double rates every model (0.8, above the gate): the test is about the audit, not
# the scores. Search appearances are flushed every 0.2 s (the audit flushes first anyway), and
# every request recomputes the report, so each read sees the traffic just made.
CONFUSION = Setup(
    settings={
        "ingest": {
            "rating_wait_seconds": 10,
            "popularity_flush_seconds": 0.2,
            "confusion_new_account_hours": NEW_ACCOUNT_SECONDS / 3600,
            "confusion_max_age_seconds": 0,
        }
    },
    ratings={"": 0.8},
)


@pytest.fixture(scope="module")
def confusion(topology_kind: str, request: pytest.FixtureRequest) -> Iterator[Topology]:
    with topology(topology_kind, CONFUSION, request, pooled=False) as running:
        yield running


@pytest.fixture
def registry(confusion: Topology, request: pytest.FixtureRequest) -> Iterator[RunningRegistry]:
    with confusion.fresh(request) as running:
        yield running


def _upload(client: httpx.Client, name: str) -> str:
    files: dict[str, bytes | str] = {
        f"{name}/README.md": f"---\nlicense: mit\n---\n# model {name}\n",
        f"{name}/config.json": b'{"model_type": "bert"}',
    }
    return uploaded_id(upload(client, "model", name, files))


def _users(admin: httpx.Client, registry: RunningRegistry, prefix: str, count: int) -> list[str]:
    tokens = []
    for i in range(count):
        name = f"{prefix}{i}"
        created = admin.post(
            "/users",
            json={
                "user": {"name": name, "is_admin": False},
                "secret": {"password": PASSWORD},
                "permissions": ["download", "search", "upload"],
            },
        )
        assert created.status_code == 201, created.text
        with registry.client() as client:
            token = client.put(
                "/authenticate",
                json={"user": {"name": name, "is_admin": False}, "secret": {"password": PASSWORD}},
            )
            assert token.status_code == 200, token.text
            tokens.append(token.json())
    return tokens


def _download(registry: RunningRegistry, token: str, artifact_id: str, times: int) -> None:
    with registry.client(headers={"X-Authorization": token}) as client:
        for _ in range(times):
            response = client.get(f"/artifacts/model/{artifact_id}/download")
            assert response.status_code == 200, response.text


def _report(admin: httpx.Client) -> dict[str, Any]:
    response = admin.get("/audit/package-confusion", params={"limit": 100})
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def test_the_audit_finds_the_look_alikes_and_the_bot_farm_and_not_the_honest(
    registry: RunningRegistry,
) -> None:
    with registry.admin() as admin:
        honest_users = _users(admin, registry, "reader", 12)
        started = time.monotonic()
        original = admin.post("/artifact/model", json={"url": BERT})
        assert original.status_code == 201, original.text
        original_id = original.json()["metadata"]["id"]
        honest = {
            name: _upload(admin, name)
            for name in (
                "whisper-small",
                "resnet-50",
                "distilgpt2",
                "bert-large-cased",
                "acme-sentiment",
            )
        }
        typo_id = _upload(admin, "bert-base-uncasd")
        with registry.client(headers={"X-Authorization": honest_users[0]}) as mallory:
            same_name_id = _upload(mallory, "bert-base-uncased")
        farmed_id = _upload(admin, "bert-base-unc\N{CYRILLIC SMALL LETTER A}sed")

        # Honest traffic: a dozen accounts, none brand new, two downloads each, plus searches.
        time.sleep(max(0.0, NEW_ACCOUNT_SECONDS + 0.5 - (time.monotonic() - started)))
        with ThreadPoolExecutor(max_workers=4) as pool:
            list(pool.map(lambda t: _download(registry, t, original_id, 2), honest_users))
        for _ in range(20):
            assert admin.get("/artifact/byName/bert-base-uncased").status_code == 200
        for name, artifact_id in honest.items():
            _download(registry, honest_users[1], artifact_id, 1)
            assert admin.get(f"/artifact/byName/{name}").status_code == 200
        _download(registry, honest_users[2], typo_id, 1)

        # The bot farm: three accounts, each made on the spot and downloading 15 times in a row.
        for i in range(3):
            [token] = _users(admin, registry, f"farm{i}-", 1)
            _download(registry, token, farmed_id, 15)

        report = _report(admin)

    suspects = {item["artifact"]["id"]: item for item in report["items"]}
    assert set(suspects) == {typo_id, same_name_id, farmed_id}, report["items"]
    for item in suspects.values():
        assert item["imitates"]["id"] == original_id
        assert 0.5 <= item["score"] <= 1
    assert original_id not in suspects
    assert not set(honest.values()) & set(suspects)

    farmed = suspects[farmed_id]
    assert farmed["signals"]["name"]["kind"] == "homoglyph"
    assert farmed["artifact"]["downloads"] == 45
    assert farmed["imitates"]["downloads"] == 24  # fewer than the farm's, still the original
    assert farmed["signals"]["traffic"]["strength"] >= 0.8
    reasons = " ".join(farmed["reasons"])
    assert "look-alike characters" in reasons
    assert "100% of its 45 downloads came from only 3 accounts" in reasons
    assert "3 accounts created within 8 seconds of their first download" in reasons
    assert farmed["score"] == max(item["score"] for item in report["items"])

    typo = suspects[typo_id]
    assert typo["signals"]["name"]["kind"] == "typo"
    assert typo["reasons"][0].startswith("name is 1 edit from 'bert-base-uncased'")
    assert suspects[same_name_id]["signals"]["name"]["kind"] == "scope"
    assert "upload by 'reader0'" in suspects[same_name_id]["reasons"][0]

    # The counters are exact: 24 downloads, and the original appeared in each of the 20
    # by-name searches (as did the same-named upload).
    assert typo["imitates"]["search_appearances"] == 20
    assert suspects[same_name_id]["artifact"]["search_appearances"] == 20
    assert report["artifacts_audited"] == 9
    assert report["total"] == 3


def test_only_admins_may_read_the_audit_and_bad_pages_are_400(
    registry: RunningRegistry,
) -> None:
    with registry.admin() as admin:
        [token] = _users(admin, registry, "searcher", 1)
        assert admin.get("/audit/package-confusion", params={"limit": 0}).status_code == 400
        assert admin.get("/audit/package-confusion", params={"offset": -1}).status_code == 400
        empty = _report(admin)
        assert empty["items"] == []
        assert empty["total"] == 0
        assert empty["next_offset"] is None
    with registry.client(headers={"X-Authorization": token}) as searcher:
        refused = searcher.get("/audit/package-confusion")
        assert refused.status_code == 401
        assert "admin" in refused.json()["detail"]
    with registry.client() as anonymous:
        assert anonymous.get("/audit/package-confusion").status_code == 403
