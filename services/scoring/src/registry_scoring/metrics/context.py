"""`MetricContext`: the shared clients and knobs every metric receives."""

from __future__ import annotations

from dataclasses import dataclass

from registry_common.outbound import OutboundPolicy
from registry_scoring.metrics.base import ParentsNetScores, no_rated_parents
from registry_scoring.metrics.github_client import DEFAULT_API_URL, GitHubClient
from registry_scoring.metrics.hub_client import HubClient


@dataclass
class MetricContext:
    """Long-lived clients (their caches span ratings) plus per-service settings.

    - ``github``: cached, rate-limit-aware GitHub REST client;
    - ``hub``: cached Hugging Face Hub reads (datasets, commit authors);
    - ``parents_net_scores``: net scores of registered, rated parents (the scoring service's
      own store implements it);
    - ``reviewedness_max_commits``: how many of the newest default-branch commits reviewedness
      inspects (each costs two GitHub calls);
    - ``metric_timeout``: seconds after which a metric counts as not computable;
    - ``reproducibility_timeout``: the same for the caller's reproducibility sandbox (its
      own limits apply first; this only bounds a sandbox that never answers).
    """

    github: GitHubClient
    hub: HubClient
    parents_net_scores: ParentsNetScores = no_rated_parents
    reviewedness_max_commits: int = 100
    metric_timeout: float = 120.0
    reproducibility_timeout: float = 900.0

    @classmethod
    def create(
        cls,
        *,
        github_api_url: str = DEFAULT_API_URL,
        github_token: str | None = None,
        hf_endpoint: str | None = None,
        hf_token: str | None = None,
        parents_net_scores: ParentsNetScores = no_rated_parents,
        cache_ttl: float = 300.0,
        reviewedness_max_commits: int = 100,
        metric_timeout: float = 120.0,
        reproducibility_timeout: float = 900.0,
        outbound: OutboundPolicy | None = None,
    ) -> MetricContext:
        """``outbound``: where the clients' redirects may lead (default: their own origins)."""
        return cls(
            github=GitHubClient(github_api_url, github_token, cache_ttl=cache_ttl, policy=outbound),
            hub=HubClient(hf_endpoint, hf_token, cache_ttl=cache_ttl, policy=outbound),
            parents_net_scores=parents_net_scores,
            reviewedness_max_commits=reviewedness_max_commits,
            metric_timeout=metric_timeout,
            reproducibility_timeout=reproducibility_timeout,
        )

    async def aclose(self) -> None:
        await self.github.aclose()
        await self.hub.aclose()
