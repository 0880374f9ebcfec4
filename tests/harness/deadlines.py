"""Upper bounds for "it gave up in time" assertions, derived from the deadline the code under
test was configured with, never a bare number of seconds.

On a loaded 2-core CI machine a timer fires late and a thread waits for a core, so a bound a
little above the configured deadline flakes. The bound here is the configured deadline doubled
plus a fixed allowance for scheduling: far above what saturated cores add, far below the
minutes an unbounded wait (a missing timeout, a back-off to a rate limit's reset) would take.
Where the code lets a test inject its clock or sleep, tests assert on the waits it asked for
instead (services/scoring/tests/metrics/test_clients.py).
"""

from __future__ import annotations

SCHEDULING_ALLOWANCE_S = 20.0


def within(configured_s: float, attempts: int = 1) -> float:
    """The longest a call bounded by `configured_s` per attempt may take on a loaded machine."""
    return 2 * configured_s * attempts + SCHEDULING_ALLOWANCE_S
