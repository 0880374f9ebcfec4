"""The GitHub and Hub clients: caching, coalescing, not-found facts, rate limits, outages."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import pytest

from registry_scoring.metrics import (
    GitHubClient,
    GitHubNotFound,
    HubClient,
    MetricUnavailable,
    github_client,
    hub_client,
)
from tests.fakes.github import FakeGitHub, GitHubControl
from tests.fakes.hub import FakeHub, HubControl

pytestmark = pytest.mark.integration


@pytest.fixture
async def github(fake_github: FakeGitHub) -> AsyncIterator[GitHubClient]:
    assert fake_github.url is not None
    client = GitHubClient(fake_github.url, cache_ttl=60.0)
    yield client
    await client.aclose()


class SleepRecorder:
    """The clients' `asyncio` with a `sleep` that records what was asked and returns at once:
    the tests assert on the waits the client chose, not on a wall clock a loaded machine
    stretches."""

    def __init__(self) -> None:
        self.waits: list[float] = []

    def __getattr__(self, name: str) -> object:
        return getattr(asyncio, name)

    async def sleep(self, seconds: float) -> None:
        self.waits.append(seconds)
        await asyncio.sleep(0)


@pytest.fixture
def sleeps(monkeypatch: pytest.MonkeyPatch) -> SleepRecorder:
    recorder = SleepRecorder()
    monkeypatch.setattr(github_client, "asyncio", recorder)
    monkeypatch.setattr(hub_client, "asyncio", recorder)
    return recorder


def _calls(control: GitHubControl, fragment: str) -> int:
    return sum(1 for r in control.requests if fragment in r.path)


async def test_answers_are_cached_and_concurrent_calls_coalesce(
    github: GitHubClient, github_control: GitHubControl
) -> None:
    results = await asyncio.gather(*(github.repository("google-research/bert") for _ in range(5)))
    assert {r["default_branch"] for r in results} == {"master"}
    await github.repository("google-research/bert")
    assert _calls(github_control, "/repos/google-research/bert") == 1


async def test_cache_expires_after_its_ttl(
    fake_github: FakeGitHub, github_control: GitHubControl
) -> None:
    assert fake_github.url is not None
    client = GitHubClient(fake_github.url, cache_ttl=0.0)
    try:
        await client.repository("openai/whisper")
        await client.repository("openai/whisper")
    finally:
        await client.aclose()
    assert _calls(github_control, "/repos/openai/whisper") == 2


async def test_not_found_is_a_cached_fact(
    github: GitHubClient, github_control: GitHubControl
) -> None:
    for _ in range(2):
        with pytest.raises(GitHubNotFound):
            await github.repository("nobody/nothing")
    assert _calls(github_control, "/repos/nobody/nothing") == 1


async def test_pagination_follows_links(github: GitHubClient) -> None:
    contributors = await github.contributors("openai/whisper")
    assert len(contributors) == 7
    pages = await github.get_pages(
        "/repos/openai/whisper/contributors", {"per_page": 2}, max_items=5
    )
    assert len(pages) == 5


async def test_exhausted_rate_limit_names_github_and_the_reset_time(
    github: GitHubClient, github_control: GitHubControl, sleeps: SleepRecorder
) -> None:
    github_control.exhaust_rate_limit(reset_in_seconds=120)
    with pytest.raises(MetricUnavailable) as caught:
        await github.repository("google-research/bert")
    assert caught.value.service == "GitHub"
    assert caught.value.retry_at is not None
    assert caught.value.retry_at.timestamp() == pytest.approx(time.time() + 120, abs=5)
    assert "GitHub" in str(caught.value)
    assert "retry after" in str(caught.value)
    # Until the reset, calls fail at once without asking GitHub again.
    before = len(github_control.requests)
    with pytest.raises(MetricUnavailable):
        await github.repository("openai/whisper")
    assert len(github_control.requests) == before
    assert sleeps.waits == []  # never waits for the reset


async def test_secondary_rate_limit_with_a_long_wait_fails(
    github: GitHubClient, github_control: GitHubControl
) -> None:
    github_control.fail("openai/whisper", status=429, retry_after=90)
    with pytest.raises(MetricUnavailable, match="secondary rate limit"):
        await github.repository("openai/whisper")


async def test_short_retry_after_is_waited_once(
    github: GitHubClient, github_control: GitHubControl
) -> None:
    github_control.fail("openai/whisper", status=429, times=1, retry_after=0)
    assert (await github.repository("openai/whisper"))["full_name"] == "openai/whisper"


async def test_server_errors_are_retried_once_then_reported(
    github: GitHubClient, github_control: GitHubControl
) -> None:
    github_control.fail("openai/whisper", status=503, times=1)
    assert (await github.repository("openai/whisper"))["full_name"] == "openai/whisper"
    github_control.fail("google-research/bert", status=502)
    with pytest.raises(MetricUnavailable, match="GitHub: server error HTTP 502"):
        await github.repository("google-research/bert")


async def test_unreachable_github_is_unavailable() -> None:
    client = GitHubClient("http://127.0.0.1:9", timeout=1.0)
    try:
        with pytest.raises(MetricUnavailable, match="request failed"):
            await client.repository("o/r")
    finally:
        await client.aclose()


async def test_hub_datasets_aliases_missing_and_outages(
    fake_hub: FakeHub, hub_control: HubControl
) -> None:
    hub = HubClient(fake_hub.url)
    legacy = await hub.dataset("bookcorpus")
    assert legacy is not None
    assert legacy["id"] == "bookcorpus/bookcorpus"
    assert await hub.dataset("b-mc2/sql-create-context") is None
    authors = await hub.commit_authors("openai/whisper-tiny")
    assert authors is not None
    assert ["ArthurZ"] in authors
    hub_control.fail("stanfordnlp/imdb", status=500)
    with pytest.raises(MetricUnavailable) as caught:
        await hub.dataset("stanfordnlp/imdb")
    assert caught.value.service == "Hugging Face Hub"
    hub_control.clear_failures()
    # Cached answers survive an outage.
    hub_control.fail(status=500)
    assert (await hub.dataset("bookcorpus")) == legacy


async def test_hub_commit_history_outages_fail_fast(
    fake_hub: FakeHub, hub_control: HubControl, sleeps: SleepRecorder
) -> None:
    hub = HubClient(fake_hub.url, max_wait=0.5)
    try:
        assert await hub.commit_authors("nobody/nothing") is None
        hub_control.fail("openai/whisper-tiny", status=503, times=1)
        assert await hub.commit_authors("openai/whisper-tiny")  # retried once
        sleeps.waits.clear()
        hub_control.fail("google-bert/bert-base-uncased", status=503)
        with pytest.raises(MetricUnavailable, match="Hugging Face Hub: HTTP 503"):
            await hub.commit_authors("google-bert/bert-base-uncased")
        hub_control.fail("arnir0/Tiny-LLM", status=429, retry_after=60)
        with pytest.raises(MetricUnavailable, match="rate limited"):
            await hub.commit_authors("arnir0/Tiny-LLM")
        # No long back-off inside a rating: one short pause before the retry of the 503, and
        # the 429's Retry-After of 60 s is beyond max_wait, so it fails without waiting.
        assert len(sleeps.waits) == 1
        assert all(wait <= hub.max_wait for wait in sleeps.waits)
    finally:
        await hub.aclose()
