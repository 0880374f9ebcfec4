"""Health settings (prefix HEALTH_)."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from registry_common.settings import RuntimeSettings

# Requests that are slow by design (fetching a repository, streaming a file, asking GitHub)
# still count as requests and errors, but not against the latency threshold. Each pattern is a
# regular expression searched in "METHOD /route/template".
LATENCY_EXEMPT_ROUTES = (
    r"^POST /(internal/)?artifacts?/\{artifact_type\}(/upload)?$",
    r"^PUT /(internal/)?artifacts/\{artifact_type\}/\{[a-z_]*id\}$",
    r"/download$",
    r"/license-check$",
)


class HealthSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="HEALTH_", extra="ignore")

    runtime: RuntimeSettings = Field(default_factory=RuntimeSettings)

    # Distributed mode: where the other services answer `/internal/health` (embedded mode
    # passes in-process clients instead and these are not used). Empty string: not monitored.
    gateway_url: str = "http://127.0.0.1:8000"
    auth_url: str = "http://127.0.0.1:8001"
    ingest_url: str = "http://127.0.0.1:8002"
    scoring_url: str = "http://127.0.0.1:8003"
    lineage_url: str = "http://127.0.0.1:8004"

    bus_consumers: tuple[str, ...] = Field(
        default=("auth", "ingest", "scoring", "lineage", "health"),
        description=(
            "Distributed mode: the consumers whose queues (`{prefix}-{name}` and its DLQ) the "
            "feed reports and whose dead letters an admin can list and redrive."
        ),
    )

    public_url: str = Field(
        default="http://127.0.0.1:8000",
        description="The gateway's public base URL, for log links when a route passes none.",
    )
    version: str | None = Field(
        default=None, description="Version or git SHA to report; unset: the package version."
    )

    # Thresholds of the statuses (docs/observability.md explains them).
    error_rate_threshold: float = Field(default=0.05, ge=0, le=1)
    p95_threshold_ms: float = Field(default=2000, gt=0)
    latency_exempt_routes: tuple[str, ...] = LATENCY_EXEMPT_ROUTES
    queue_depth_threshold: int = Field(default=100, ge=0)

    # Checks: short timeouts, cached so a dashboard polling the feed stays fast.
    peer_timeout_seconds: float = Field(default=2.0, gt=0)
    peer_cache_seconds: float = Field(default=5.0, ge=0)
    external_checks: bool = Field(
        default=True, description="Check Hugging Face and GitHub reachability (off: unknown)."
    )
    external_timeout_seconds: float = Field(default=3.0, gt=0)
    external_cache_seconds: float = Field(default=30.0, ge=0)

    # The in-memory stores (embedded mode): the last 24 hours, capped by count too.
    retention_hours: float = Field(default=24, gt=0)
    max_request_records: int = Field(default=200_000, ge=100)
    max_log_records: int = Field(default=20_000, ge=100)
    sync_interval_seconds: float = Field(
        default=2.0, gt=0, description="How often finished spans are read from the span hub."
    )

    # CloudWatch metrics (AWS): the feed's figures every minute (docs/observability.md).
    cloudwatch_metrics: bool = Field(
        default=False, description="Publish the feed's figures to CloudWatch (PutMetricData)."
    )
    cloudwatch_namespace: str = "Registry"
    cloudwatch_interval_seconds: float = Field(default=60.0, gt=0)

    # Load tests (R21, docs/load-tests.md): downloads through the registry's own gateway.
    loadtest_target_url: str | None = Field(
        default=None,
        description=(
            "The gateway base URL load tests download from; unset: HEALTH_GATEWAY_URL. Never "
            "taken from a request. Embedded mode (the launcher) sets it to its own address."
        ),
    )
    loadtest_allow_remote_target: bool = Field(
        default=False,
        description=(
            "false: the target must be a loopback address (development). The AWS stack sets "
            "true and points the target at the deployment's own load balancer."
        ),
    )
    loadtest_max_clients: int = Field(default=100, ge=1, le=1000)
    loadtest_max_duration_seconds: int = Field(default=300, ge=1, le=3600)
    loadtest_max_models: int = Field(default=50, ge=1, le=500)
    loadtest_kept_runs: int = Field(
        default=200, ge=1, description="Finished runs kept for comparison; the oldest go first."
    )

    def loadtest_target(self) -> str:
        return (self.loadtest_target_url or self.gateway_url).rstrip("/")

    def peer_urls(self) -> dict[str, str]:
        urls = {
            "gateway": self.gateway_url,
            "auth": self.auth_url,
            "ingest": self.ingest_url,
            "scoring": self.scoring_url,
            "lineage": self.lineage_url,
        }
        return {name: url for name, url in urls.items() if url}
