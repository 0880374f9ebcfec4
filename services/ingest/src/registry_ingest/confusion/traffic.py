"""Does an artifact's download traffic look like a bot farm inflating it?

Three signs, each a number in [0, 1], from the artifact's download audit rows:

- concentration: the share of downloads made by the three busiest accounts, counted only
  beyond what three honest users would plausibly make (below `min_downloads` there is too
  little traffic to judge at all);
- new accounts: the share of downloads made by accounts that were at most `new_account` old
  at their first download of the artifact (created for the purpose, as a farm's accounts
  are; the auth service's creation time travels with each download);
- uniform timing: the coefficient of variation of the gaps between downloads (CV = standard
  deviation / mean); people arrive irregularly (CV near 1 for a Poisson stream), a script in
  a loop almost regularly (CV near 0).

The strength is their weighted mean (`TRAFFIC_WEIGHTS`); `organic_downloads` discounts the
downloads that look inflated, so a look-alike that bought its popularity is not mistaken for
the original it copies.
"""

from __future__ import annotations

import itertools
import statistics
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

TRAFFIC_WEIGHTS = {"concentration": 0.4, "new_accounts": 0.4, "uniform_timing": 0.2}


@dataclass(frozen=True)
class Download:
    user: str
    at: datetime
    account_created_at: datetime | None


@dataclass(frozen=True)
class TrafficFinding:
    downloads: int
    strength: float
    signs: dict[str, float] = field(default_factory=dict)
    reasons: tuple[str, ...] = ()

    @property
    def organic_downloads(self) -> float:
        return self.downloads * (1.0 - self.strength)


def analyse(
    downloads: Sequence[Download], *, min_downloads: int, new_account: timedelta
) -> TrafficFinding:
    total = len(downloads)
    if total < min_downloads:
        return TrafficFinding(total, 0.0)
    per_user = Counter(d.user for d in downloads)
    top = per_user.most_common(3)
    top_share = sum(n for _, n in top) / total
    accounts = len(per_user)
    # Three accounts making every download is normal for a handful of downloads, alarming
    # for hundreds: the share counts only once the top accounts average 3+ downloads each.
    concentration = _ramp(top_share, 0.5, 0.9) if total >= 3 * len(top) * 3 else 0.0
    first: dict[str, Download] = {}
    for d in sorted(downloads, key=lambda d: d.at):
        first.setdefault(d.user, d)
    new_users = {user for user, d in first.items() if _is_new(d, new_account)}
    fresh_share = sum(per_user[user] for user in new_users) / total
    fresh_accounts = len(new_users)
    new_accounts = _ramp(fresh_share, 0.3, 0.8)
    times = sorted(d.at.timestamp() for d in downloads)
    gaps = [b - a for a, b in itertools.pairwise(times)]
    mean_gap = statistics.fmean(gaps) if gaps else 0.0
    cv = statistics.pstdev(gaps) / mean_gap if mean_gap > 0 else 0.0
    uniform = 1.0 - _ramp(cv, 0.3, 0.9)
    signs = {
        "concentration": concentration,
        "new_accounts": new_accounts,
        "uniform_timing": uniform,
    }
    strength = sum(TRAFFIC_WEIGHTS[k] * v for k, v in signs.items())
    reasons: list[str] = []
    if concentration > 0:
        who = (
            f"only {accounts} {'account' if accounts == 1 else 'accounts'}"
            if accounts <= len(top)
            else f"its {len(top)} busiest of {accounts:,} accounts"
        )
        reasons.append(f"{top_share:.0%} of its {total:,} downloads came from {who}")
    if new_accounts > 0:
        reasons.append(
            f"{fresh_share:.0%} of its {total:,} downloads came from {fresh_accounts:,} "
            f"accounts created within {_duration(new_account)} of their first download"
        )
    if uniform > 0 and strength > 0.3:
        reasons.append(
            f"its downloads arrive at nearly regular intervals (coefficient of variation "
            f"{cv:.2f}, where people give about 1)"
        )
    return TrafficFinding(total, round(strength, 3), signs, tuple(reasons))


def _is_new(download: Download, window: timedelta) -> bool:
    created = download.account_created_at
    return created is not None and timedelta(0) <= download.at - created <= window


def _ramp(value: float, low: float, high: float) -> float:
    """0 at or below `low`, 1 at or above `high`, linear between."""
    if value <= low:
        return 0.0
    if value >= high:
        return 1.0
    return (value - low) / (high - low)


def _duration(window: timedelta) -> str:
    hours = window.total_seconds() / 3600
    if window.total_seconds() < 120:
        return f"{window.total_seconds():g} seconds"
    if hours < 1:
        return f"{round(hours * 60)} minutes"
    if hours == 1:
        return "an hour"
    if hours < 48:
        return f"{hours:g} hours"
    return f"{hours / 24:g} days"
