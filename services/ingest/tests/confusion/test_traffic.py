"""Traffic signs of a bot farm: concentration, new accounts, regular timing."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from registry_ingest.confusion.traffic import Download, analyse

START = datetime(2026, 6, 1, tzinfo=UTC)
HOUR = timedelta(hours=1)


def test_a_farm_of_three_new_accounts_in_a_loop_is_flagged_with_reasons() -> None:
    downloads = [
        Download(f"bot{n % 3}", START + timedelta(seconds=2 * n), START - timedelta(minutes=5))
        for n in range(40)
    ]
    finding = analyse(downloads, min_downloads=10, new_account=HOUR)
    assert finding.signs == {"concentration": 1.0, "new_accounts": 1.0, "uniform_timing": 1.0}
    assert finding.strength == 1.0
    assert finding.organic_downloads == 0
    assert finding.reasons == (
        "100% of its 40 downloads came from only 3 accounts",
        "100% of its 40 downloads came from 3 accounts created within an hour of their "
        "first download",
        "its downloads arrive at nearly regular intervals (coefficient of variation 0.00, "
        "where people give about 1)",
    )


def test_many_established_people_at_random_times_are_not_a_farm() -> None:
    rng = random.Random(7)
    at = START
    downloads = []
    for n in range(200):
        at += timedelta(seconds=rng.expovariate(1 / 600))  # a Poisson stream
        downloads.append(Download(f"user{n % 80}", at, START - timedelta(days=90)))
    finding = analyse(downloads, min_downloads=10, new_account=HOUR)
    assert finding.strength < 0.1
    assert finding.reasons == ()


def test_too_few_downloads_are_not_judged() -> None:
    downloads = [Download("bot", START + timedelta(seconds=n), START) for n in range(9)]
    finding = analyse(downloads, min_downloads=10, new_account=HOUR)
    assert finding.strength == 0.0
    assert finding.organic_downloads == 9


def test_an_account_is_new_by_its_age_at_its_first_download() -> None:
    # Created two hours before its first download: not new, however many it makes later.
    patient = [
        Download("patient", START + timedelta(minutes=7 * n), START - 2 * HOUR) for n in range(12)
    ]
    created = START + timedelta(hours=3)
    fresh = [
        Download(f"fresh{n}", created + timedelta(minutes=n), created + timedelta(seconds=n))
        for n in range(12)
    ]
    finding = analyse(patient + fresh, min_downloads=10, new_account=HOUR)
    assert finding.signs["new_accounts"] == 0.4  # half the downloads: (0.5 - 0.3) / 0.5
    assert "50% of its 24 downloads came from 12 accounts created within an hour" in " ".join(
        finding.reasons
    )
