"""What the fetcher tests share: a fetcher aimed at the fakes, with quick retries."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from registry_ingest.sources.fetcher import SourceFetcher
from registry_ingest.sources.model import FetchedSource
from registry_ingest.sources.retry import RetryPolicy
from registry_ingest.sources.urls import parse_source_url

FAST_RETRY = RetryPolicy(attempts=3, base_delay=0.01, max_delay=0.05, max_total_wait=1.0)
NOWHERE = "http://127.0.0.1:9"  # the discard port: nothing answers, so a stray call fails fast


def make_fetcher(
    hub_url: str | None = None, github_url: str | None = None, **kwargs: Any
) -> SourceFetcher:
    """A fetcher aimed at the fakes (or nowhere), with quick retries."""
    options: dict[str, Any] = {"max_fetch_bytes": 10**7, "timeout": 10.0, "retry": FAST_RETRY}
    options.update(kwargs)
    return SourceFetcher(
        hf_endpoint=hub_url or NOWHERE, github_api_url=github_url or NOWHERE, **options
    )


async def fetch(
    url: str,
    tmp_path: Path,
    artifact_type: str,
    *,
    hub_url: str | None = None,
    github_url: str | None = None,
    **kwargs: Any,
) -> FetchedSource:
    """Fetch `url` into a work directory below `tmp_path`."""
    fetcher = make_fetcher(hub_url, github_url, **kwargs)
    return await fetcher.fetch(parse_source_url(url, artifact_type), tmp_path / "work")
