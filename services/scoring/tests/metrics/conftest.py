"""Fixtures of the metric tests: facts fetched through the real ingest path, a fresh context."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import pytest

from registry_ingest.sources.fetcher import SourceFetcher
from registry_ingest.sources.retry import RetryPolicy
from registry_scoring.metrics import MetricContext, ModelFacts
from services.scoring.tests.metrics.helpers import fetch_facts
from tests.fakes.github import FakeGitHub
from tests.fakes.hub import FakeHub

FactsOf = Callable[[str], Awaitable[ModelFacts]]

# Facts are immutable data: fetched once per session and URL (fetching builds bundles).
_FACTS_CACHE: dict[str, ModelFacts] = {}


@pytest.fixture
def fetcher(fake_hub: FakeHub, fake_github: FakeGitHub) -> SourceFetcher:
    assert fake_hub.url is not None
    assert fake_github.url is not None
    return SourceFetcher(
        hf_endpoint=fake_hub.url,
        github_api_url=fake_github.url,
        max_fetch_bytes=10**7,
        timeout=10.0,
        retry=RetryPolicy(attempts=2, base_delay=0.01, max_delay=0.05, max_total_wait=1.0),
    )


@pytest.fixture
def facts_of(fetcher: SourceFetcher, tmp_path_factory: pytest.TempPathFactory) -> FactsOf:
    """``await facts_of("org/name")`` (Hub model) or ``facts_of("https://github.com/o/r")``."""

    async def get(source: str) -> ModelFacts:
        url = source if source.startswith("https://") else f"https://huggingface.co/{source}"
        if url not in _FACTS_CACHE:
            workdir: Path = tmp_path_factory.mktemp("fetch")
            _FACTS_CACHE[url] = await fetch_facts(fetcher, url, workdir)
        return _FACTS_CACHE[url]

    return get


@pytest.fixture
async def ctx(fake_hub: FakeHub, fake_github: FakeGitHub) -> AsyncIterator[MetricContext]:
    """A context aimed at the fakes; fresh caches for every test."""
    assert fake_hub.url is not None
    assert fake_github.url is not None
    context = MetricContext.create(github_api_url=fake_github.url, hf_endpoint=fake_hub.url)
    yield context
    await context.aclose()
