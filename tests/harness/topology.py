"""Every end-to-end test against both topologies: embedded (one process, SQLite, in-process
bus, blobs on disk) and distributed (six processes, PostgreSQL, SNS/SQS and S3 on the AWS
API emulator), the same test through the gateway only.

A module says what registry it needs as a `Setup` (service settings, and whether models are
rated by the real scorer or by the scoring double) and gets a `Topology` per kind:

- embedded: a fresh registry per test (it starts in a fraction of a second);
- distributed: one topology per (module, setup), started on first use, `DELETE /reset`
  between tests, and after every test the invariant (`DistributedRegistry.checked`): every
  queue drained (DLQs included), no bus failure, 5xx, error or traceback in any log. A test
  that expects some declares them: `@pytest.mark.expected_failures({"status": 503}, ...)`
  (each argument is a subset of the offending log record).
"""

from __future__ import annotations

import json
from collections import OrderedDict
from collections.abc import Iterator, Mapping
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from typing import Any

import pytest

from registry_auth.config import AuthSettings
from registry_common.settings import RuntimeSettings
from registry_health.config import HealthSettings
from registry_ingest.config import IngestSettings
from registry_lineage.config import LineageSettings
from registry_scoring.config import ScoringSettings
from tests.fakes.github import FakeGitHub
from tests.fakes.hub import FakeHub
from tests.harness.distributed import DistributedRegistry, distributed
from tests.harness.postgres import PostgresHandle
from tests.harness.registry import RunningRegistry, embedded
from tests.harness.scoring_double import rate_by_url, scoring_double

TOPOLOGIES = ("embedded", "distributed")
_SETTINGS = {
    "auth": AuthSettings,
    "ingest": IngestSettings,
    "scoring": ScoringSettings,
    "lineage": LineageSettings,
    "health": HealthSettings,
}


@dataclass(frozen=True)
class Setup:
    """What a test needs the registry to be.

    `settings`: per service, the fields of its settings (`{"ingest": {"page_size": 5}}`).
    `ratings`: None runs the real scorer; a table runs the scoring double, which rates a
    model at the value of the longest key found in its source URL ("" matches any; a None
    value leaves it unrated). See `tests.harness.scoring_double.rate_by_url`."""

    settings: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    ratings: Mapping[str, float | None] | None = None

    def key(self) -> str:
        return json.dumps([self.settings, self.ratings], sort_keys=True)


def expected_failures(request: pytest.FixtureRequest) -> list[Mapping[str, Any]]:
    """The log records a test declared it expects (`expected_failures` markers)."""
    return [
        pattern
        for marker in request.node.iter_markers("expected_failures")
        for pattern in marker.args
    ]


# The setup several modules share (one distributed topology, reused across modules).
REAL_SCORER = Setup()


class DistributedPool:
    """Distributed topologies shared across modules, by setup: starting one costs tens of
    seconds, so modules that need the same setup (the default one, the double's) reuse it,
    reset. The `keep` most recently used stay up; an older one is stopped."""

    def __init__(self, request: pytest.FixtureRequest, keep: int = 2) -> None:
        self._hub: FakeHub = request.getfixturevalue("fake_hub")
        self._github: FakeGitHub = request.getfixturevalue("fake_github")
        self._postgres: PostgresHandle = request.getfixturevalue("postgres_server")
        self._directories: pytest.TempPathFactory = request.getfixturevalue("tmp_path_factory")
        self._keep = keep
        self._running: OrderedDict[str, tuple[ExitStack, DistributedRegistry]] = OrderedDict()

    def start(self, stack: ExitStack, setup: Setup) -> DistributedRegistry:
        """A topology of its own (not pooled), stopped with `stack`."""
        return stack.enter_context(
            distributed(
                self._directories.mktemp("distributed"),
                self._postgres,
                self._hub,
                self._github,
                settings=setup.settings,
                scoring_ratings=setup.ratings,
            )
        )

    def get(self, setup: Setup) -> DistributedRegistry:
        key = setup.key()
        if key in self._running:
            self._running.move_to_end(key)
            return self._running[key][1]
        while len(self._running) >= self._keep:
            _, (stack, _) = self._running.popitem(last=False)
            stack.close()
        stack = ExitStack()
        registry = self.start(stack, setup)
        self._running[key] = (stack, registry)
        return registry

    def close(self) -> None:
        while self._running:
            _, (stack, _) = self._running.popitem()
            stack.close()


class Topology:
    """One kind of registry for one setup, for one module; see the module's docstring."""

    def __init__(
        self, kind: str, setup: Setup, request: pytest.FixtureRequest, *, pooled: bool = True
    ) -> None:
        self.kind = kind
        self.setup = setup
        # Resolved now, while `request` is being set up (session fixtures all three).
        self._hub: FakeHub = request.getfixturevalue("fake_hub")
        self._github: FakeGitHub = request.getfixturevalue("fake_github")
        self._directories: pytest.TempPathFactory = request.getfixturevalue("tmp_path_factory")
        self._pool: DistributedPool | None = (
            request.getfixturevalue("distributed_pool") if kind == "distributed" else None
        )
        self._pooled = pooled
        self._stack = ExitStack()
        self._shared: RunningRegistry | None = None

    @property
    def distributed(self) -> bool:
        return self.kind == "distributed"

    def _start(self, stack: ExitStack) -> RunningRegistry:
        hub, github = self._hub, self._github
        if self._pool is not None:
            if not self._pooled:
                return self._pool.start(stack, self.setup)
            registry = self._pool.get(self.setup)
            registry.reset()  # whatever the previous module left behind
            return registry

        def settings(runtime: RuntimeSettings) -> dict[str, Any]:
            return {
                name: _SETTINGS[name](runtime=runtime, **values)
                for name, values in self.setup.settings.items()
            }

        factories = (
            {"scoring": scoring_double(rate_by_url(self.setup.ratings))}
            if self.setup.ratings is not None
            else None
        )
        return stack.enter_context(
            embedded(
                self._directories.mktemp("embedded") / "registry",
                runtime={"hf_endpoint": hub.url, "github_api_url": github.url},
                settings=settings,
                factories=factories,
            )
        )

    def shared(self) -> RunningRegistry:
        """The registry of this topology for the whole module (started on first use)."""
        if self._shared is None:
            self._shared = self._start(self._stack)
        return self._shared

    @contextmanager
    def checked(self, request: pytest.FixtureRequest) -> Iterator[None]:
        """Around one test of a shared registry: the distributed invariant afterwards."""
        registry = self.shared()
        if isinstance(registry, DistributedRegistry):
            with registry.checked(expected_failures(request)):
                yield
        else:
            yield

    @contextmanager
    def fresh(self, request: pytest.FixtureRequest) -> Iterator[RunningRegistry]:
        """A registry with nothing in it, for one test: a new embedded one, or the shared
        distributed one after a reset (and checked afterwards)."""
        if not self.distributed:
            with ExitStack() as stack:
                yield self._start(stack)
            return
        registry = self.shared()
        assert isinstance(registry, DistributedRegistry)
        with registry.checked(expected_failures(request)):
            registry.reset()
            yield registry

    def close(self) -> None:
        self._stack.close()


@contextmanager
def topology(
    kind: str, setup: Setup, request: pytest.FixtureRequest, *, pooled: bool = True
) -> Iterator[Topology]:
    """A `Topology` that stops what it started on exit (use from a module-scoped fixture).
    `pooled=False` for a setup no other module shares: stopped with the module, it does not
    push a shared one out of the pool."""
    the_topology = Topology(kind, setup, request, pooled=pooled)
    try:
        yield the_topology
    finally:
        the_topology.close()


@contextmanager
def launched(kind: str, setup: Setup, request: pytest.FixtureRequest) -> Iterator[RunningRegistry]:
    """A registry of its own for one test whose setup no other test shares (started and
    stopped around it; distributed: checked before it stops)."""
    the_topology = Topology(kind, setup, request, pooled=False)
    try:
        with the_topology.checked(request):
            yield the_topology.shared()
    finally:
        the_topology.close()


@pytest.fixture(scope="session")
def distributed_pool(request: pytest.FixtureRequest) -> Iterator[DistributedPool]:
    pool = DistributedPool(request)
    try:
        yield pool
    finally:
        pool.close()
