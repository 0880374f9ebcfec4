"""What each service needs from AWS: the single source the stack derives every grant from.

Nothing here imports the CDK, so the table can be checked against the services' code quickly
(`deploy/tests/test_topology.py`): the queues a service consumes must equal the event types
its handlers subscribe to (the SNS+SQS bus removes any other subscription of its queue when
it starts), and the topics it may publish to must cover every event its code builds.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

BlobAccess = Literal["none", "read", "read-write"]

SERVICE_PORT = 8000  # every container listens on it (each task has its own network interface)
# Where the blob store keeps artifacts; `.staging/` is its bookkeeping for multipart writes
# (registry_common.blobs.s3) and expires after a day.
ARTIFACT_PREFIX = "artifacts/"
STAGING_PREFIX = ".staging/"
# The SNS+SQS bus (registry_common.bus.sns_sqs): a message is received this many times before
# SQS moves it to the dead-letter queue, a receive hides it for this long, and dead letters
# are kept this long. The bus converges its queues to these values when it starts, so the
# stack declares the same ones (no drift between CloudFormation and the running services).
MAX_RECEIVE_COUNT = 5
VISIBILITY_TIMEOUT_SECONDS = 60
DLQ_RETENTION_DAYS = 14

EVENT_TYPES = (
    "ArtifactUploaded",
    "ArtifactUpdated",
    "ArtifactScored",
    "ArtifactDeleted",
    "ArtifactDownloaded",
    "RegistryReset",
)


@dataclass(frozen=True)
class ServiceSpec:
    name: str
    summary: str
    public: bool = False
    database: bool = True
    blobs: BlobAccess = "none"
    consumes: tuple[str, ...] = ()
    publishes: tuple[str, ...] = ()
    calls: tuple[str, ...] = ()
    # A replica count above one must be safe: the health service keeps its telemetry in
    # memory, so a second replica would show a second, partial picture.
    scalable: bool = True

    @property
    def package(self) -> str:
        return f"registry_{self.name}"

    @property
    def health_path(self) -> str:
        """The container health check: the gateway's public liveness route; the others
        answer `/internal/health` (200 with a status body, also while a dependency fails)."""
        return "/health" if self.public else "/internal/health"


SERVICES: tuple[ServiceSpec, ...] = (
    ServiceSpec(
        "gateway",
        "the public API and the web UI; streams downloads from S3",
        public=True,
        database=False,
        blobs="read",
        calls=("auth", "ingest", "scoring", "lineage", "health"),
    ),
    ServiceSpec("auth", "users, tokens, permissions", consumes=("RegistryReset",)),
    ServiceSpec(
        "ingest",
        "the catalog; fetches sources and writes bundles to S3",
        blobs="read-write",
        consumes=("ArtifactScored",),
        publishes=(
            "ArtifactUploaded",
            "ArtifactUpdated",
            "ArtifactDeleted",
            "ArtifactDownloaded",
            "RegistryReset",
        ),
    ),
    ServiceSpec(
        "scoring",
        "ratings; reads model cards from S3",
        blobs="read",
        consumes=("ArtifactUploaded", "ArtifactUpdated", "ArtifactDeleted", "RegistryReset"),
        publishes=("ArtifactScored",),
    ),
    ServiceSpec(
        "lineage",
        "the lineage graph, costs, license checks",
        consumes=("ArtifactUploaded", "ArtifactUpdated", "ArtifactDeleted", "RegistryReset"),
    ),
    ServiceSpec(
        "health",
        "the health feed; checks every other service",
        consumes=("RegistryReset",),
        calls=("gateway", "auth", "ingest", "scoring", "lineage"),
        scalable=False,
    ),
)

BY_NAME = {spec.name: spec for spec in SERVICES}


def callers_of(name: str) -> tuple[str, ...]:
    """The services that call `name` over internal HTTP (its security group's sources)."""
    return tuple(spec.name for spec in SERVICES if name in spec.calls)


def consumers_of(event_type: str) -> tuple[str, ...]:
    return tuple(spec.name for spec in SERVICES if event_type in spec.consumes)


def publishers_of(event_type: str) -> tuple[str, ...]:
    return tuple(spec.name for spec in SERVICES if event_type in spec.publishes)
