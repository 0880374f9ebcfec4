"""Every end-to-end test runs against both topologies (tests/harness/topology.py)."""

from __future__ import annotations

import pytest

from tests.harness.topology import TOPOLOGIES


@pytest.fixture(scope="module", params=TOPOLOGIES)
def topology_kind(request: pytest.FixtureRequest) -> str:
    """embedded or distributed; module-scoped so a module's tests run grouped by kind and
    one distributed topology serves them all."""
    kind: str = request.param
    return kind
