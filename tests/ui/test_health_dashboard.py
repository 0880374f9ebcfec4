"""The health dashboard: every component with its status in words and an icon, request rate,
errors and p95 latency charts with table alternatives after real traffic, the window
selector, pause and refresh, keyboard-only use, a degraded component with its issue, and who
sees which operations pages."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect

from registry_common.events import ArtifactUploaded
from registry_common.settings import RuntimeSettings
from registry_ingest.config import IngestSettings
from tests.fakes.github import FakeGitHub
from tests.fakes.hub import FakeHub
from tests.harness.registry import RunningRegistry, embedded
from tests.harness.scoring_double import rating, scoring_double
from tests.ui.browser import (
    assert_accessible,
    expect_announced,
    has_visible_focus,
    screenshot,
    tab_to,
    title,
)
from tests.ui.own_registry import admin_page_on, own_registry
from tests.ui.seed import ADMIN_NAME, SeededRegistry, _zip

COMPONENTS = [
    "gateway",
    "auth",
    "ingest",
    "scoring",
    "lineage",
    "health",
    "database",
    "blob-store",
    "event-bus",
    "huggingface-hub",
    "github-api",
]


def admin_client(registry: SeededRegistry) -> httpx.Client:
    token = httpx.put(
        f"{registry.url}/authenticate",
        json={
            "user": {"name": ADMIN_NAME, "is_admin": True},
            "secret": {"password": registry.passwords[ADMIN_NAME]},
        },
        timeout=30,
    ).json()
    return httpx.Client(base_url=registry.url, headers={"X-Authorization": token}, timeout=30)


def make_traffic(registry: SeededRegistry) -> None:
    with admin_client(registry) as client:
        for _ in range(5):
            assert client.post("/artifacts", json=[{"name": "*"}]).status_code == 200
        assert client.get("/artifacts/model/does-not-exist").status_code in (400, 404)


def test_dashboard_shows_every_component_and_charts_after_traffic(
    admin_page: Page, ui_registry: SeededRegistry
) -> None:
    make_traffic(ui_registry)
    page = admin_page
    page.goto("/ui/ops/health")
    expect(page).to_have_title(title("System health"))
    for component in COMPONENTS:
        card = page.locator(f"[data-component='{component}']")
        expect(card).to_have_count(1)
        # The status in words (never colour alone) next to its icon.
        expect(card.locator(".status-badge")).to_have_text(
            re.compile(r"Status: (OK|Degraded|Critical|Unknown)")
        )
    expect_announced(page, re.compile(r"Health for the last hour: overall \w+"))
    expect(page.get_by_text(re.compile(r"Last updated \d\d:\d\d:\d\d"))).to_be_visible()

    charts = page.locator("section.chart")
    expect(charts).to_have_count(4)
    requests_chart = charts.filter(has=page.get_by_role("heading", name="Requests per minute"))
    label = requests_chart.get_by_role("img").get_attribute("aria-label") or ""
    assert "Highest: Gateway (public API)" in label, label
    # The gateway's line has data: its path is drawn, and its legend says its peak.
    expect(requests_chart.locator("svg.chart__svg .series--0 path")).to_have_attribute(
        "d", re.compile(r"^M")
    )
    expect(requests_chart.get_by_role("list", name=re.compile("legend"))).to_contain_text(
        "Gateway (public API)"
    )
    latency_chart = charts.filter(has=page.get_by_role("heading", name=re.compile("Latency")))
    expect(latency_chart.get_by_role("list", name=re.compile("legend"))).to_contain_text(
        re.compile(r"peak \d")
    )
    # Log links for admins lead to the logs page with the component's filter.
    ingest = page.locator("[data-component='ingest']")
    expect(ingest.get_by_role("link", name=re.compile(r"warning", re.I))).to_have_attribute(
        "href", re.compile(r"/ui/ops/logs\?service=ingest&level=warning")
    )
    assert_accessible(page, "health dashboard")
    screenshot(page, "health-dashboard")

    # The table alternative holds the same buckets, one row per minute of the hour.
    requests_chart.get_by_role("button", name=re.compile("Show as table")).click()
    table = requests_chart.get_by_role("table")
    expect(table.locator("caption")).to_contain_text("Requests per minute")
    assert 60 <= table.locator("tbody tr").count() <= 61
    expect(table.locator("thead th")).to_contain_text(["Bucket start", "Gateway (public API)"])
    assert_accessible(page, "health dashboard, requests as a table")
    screenshot(page, "health-dashboard-table")
    requests_chart.get_by_role("button", name=re.compile("Show as chart")).click()

    # Pause, then resume: the status line says so, and the change is announced.
    page.get_by_role("button", name="Pause automatic refresh").click()
    expect(page.locator("#health-updated")).to_contain_text("automatic refresh paused")
    expect_announced(page, "Automatic refresh paused.")
    page.get_by_role("button", name="Resume automatic refresh").click()
    expect_announced(page, "Automatic refresh resumed.")


def test_window_selector_refresh_and_keyboard_only(
    admin_page: Page, ui_registry: SeededRegistry
) -> None:
    page = admin_page
    page.goto("/ui/ops/health")
    expect(page.locator("[data-component='gateway']")).to_be_visible()
    select = page.get_by_label("Time window")
    tab_to(page, select)
    assert has_visible_focus(page)
    # Keyboard only: choose "Last 24 hours" with the arrow keys in the native select.
    select.select_option("1440")
    expect(page).to_have_url(re.compile(r"window=1440"))
    expect_announced(page, "Health for the last 24 hours")
    expect(page.get_by_role("heading", name="Traffic, last 24 hours")).to_be_visible()
    refresh = page.get_by_role("button", name="Refresh now")
    tab_to(page, refresh)
    before = page.locator("[data-generated-at]").get_attribute("data-generated-at")
    page.wait_for_timeout(1100)  # the feed's times have millisecond precision
    page.keyboard.press("Enter")
    expect(page.locator("[data-generated-at]")).not_to_have_attribute(
        "data-generated-at", before or ""
    )
    # The chart toggles are buttons in the tab order.
    errors_chart = page.locator("section.chart").filter(has_text="Server errors (5xx) per minute")
    toggle = errors_chart.get_by_role("button", name=re.compile("Show as table"))
    tab_to(page, toggle)
    page.keyboard.press("Enter")
    expect(errors_chart.get_by_role("table")).to_be_visible()
    expect(errors_chart.get_by_role("button", name=re.compile("Show as chart"))).to_be_focused()
    assert_accessible(page, "health dashboard, 24 hours")


def test_operations_pages_are_offered_to_whom_the_api_allows(user_page: Page) -> None:
    page = user_page
    page.goto("/ui/ops/health")
    nav = page.get_by_role("navigation", name="Main")
    # The dashboard's route is public; logs, traces, users and reset need an admin.
    expect(nav.get_by_role("link", name="System health")).to_be_visible()
    for admin_only in ("Logs", "Traces", "Users", "Reset"):
        expect(nav.get_by_role("link", name=admin_only, exact=True)).to_have_count(0)
    expect(page.locator("[data-component='gateway']")).to_be_visible()
    expect(page.get_by_role("link", name=re.compile("warnings and errors", re.I))).to_have_count(0)
    assert_accessible(page, "health dashboard, non-admin")
    page.goto("/ui/ops/logs")
    expect(page.get_by_role("heading", level=1)).to_have_text("Not permitted")
    assert_accessible(page, "logs, not permitted")


@pytest.fixture(scope="module")
def throttled_registry(
    tmp_path_factory: pytest.TempPathFactory, fake_hub: FakeHub, fake_github: FakeGitHub
) -> Iterator[RunningRegistry]:
    """A registry of its own whose GitHub has no quota left: github-api is degraded from its
    first check (the shared registry's external checks are cached)."""
    with own_registry(tmp_path_factory.mktemp("degraded"), fake_hub, fake_github) as running:
        yield running


def test_a_degraded_component_shows_its_issue(
    browser: Browser, throttled_registry: RunningRegistry, fake_github: FakeGitHub
) -> None:
    fake_github.control.exhaust_rate_limit(reset_in_seconds=600)
    try:
        with admin_page_on(browser, throttled_registry.url) as page:
            page.goto("/ui/ops/health")
            github = page.locator("[data-component='github-api']")
            expect(github.locator(".status-badge")).to_have_text("Status: Degraded")
            expect(github.get_by_role("list").last).to_contain_text("Warning:")
            expect(github).to_contain_text("rate_limited")
            expect(page.locator(".ops-overall .status-badge")).to_have_text(
                re.compile(r"Overall: (Degraded|Critical)")
            )
            assert_accessible(page, "health dashboard, a degraded component")
            screenshot(page, "health-dashboard-degraded")
    finally:
        fake_github.control.reset()


@dataclass
class BreakableScoring:
    """A scoring stand-in whose handler raises until an operator "fixes" it."""

    fixed: bool = False

    def rate(self, event: ArtifactUploaded) -> dict[str, Any]:
        if not self.fixed:
            raise RuntimeError("scoring is broken: rating column too small")
        return rating()


@pytest.fixture(scope="module")
def broken_scoring(
    tmp_path_factory: pytest.TempPathFactory, fake_hub: FakeHub, fake_github: FakeGitHub
) -> Iterator[tuple[RunningRegistry, BreakableScoring]]:
    scoring = BreakableScoring()

    def settings(runtime: RuntimeSettings) -> dict[str, Any]:
        # The upload answers 202 (still pending) at once instead of waiting for a rating.
        return {"ingest": IngestSettings(runtime=runtime, rating_wait_seconds=0)}

    with embedded(
        tmp_path_factory.mktemp("dead-letters"),
        runtime={"hf_endpoint": fake_hub.url, "github_api_url": fake_github.url},
        settings=settings,
        factories={"scoring": scoring_double(scoring.rate)},
    ) as running:
        yield running, scoring


def _dead_letters(client: httpx.Client) -> dict[str, Any]:
    response = client.get("/health/dead-letters", params={"consumer": "scoring"})
    assert response.status_code == 200, response.text
    (queue,) = response.json()["queues"]
    found: dict[str, Any] = queue
    return found


def test_dead_letters_are_shown_and_redriven_from_the_dashboard(
    browser: Browser, broken_scoring: tuple[RunningRegistry, BreakableScoring]
) -> None:
    registry, scoring = broken_scoring
    with registry.admin() as admin:
        created = admin.post(
            "/artifact/model/upload",
            files={"file": ("m.zip", _zip({"m/config.json": b"{}"}), "application/zip")},
            data={"name": "stuck-model", "version": "1.0.0"},
        )
        assert created.status_code == 202, created.text  # never rated: pending
        deadline = time.monotonic() + 30
        while _dead_letters(admin)["dead_letters"] != 1:
            assert time.monotonic() < deadline, "the failing event was never dead-lettered"
            time.sleep(0.2)
        # The extension is for admins only.
        with registry.client() as anonymous:
            assert anonymous.get("/health/dead-letters").status_code == 403
            redrive = anonymous.post("/health/dead-letters/redrive", json={"consumer": "scoring"})
            assert redrive.status_code == 403

    with admin_page_on(browser, registry.url) as page:
        page.goto("/ui/ops/health")
        queues = page.get_by_role("table", name=re.compile("dead letters per consumer queue"))
        row = queues.locator("tr[data-consumer='scoring']")
        expect(row).to_contain_text(re.compile(r"scoring\s*0\s*1"))
        bus = page.locator("[data-component='event-bus']")
        expect(bus).to_contain_text("dead_letters_present")
        assert_accessible(page, "health dashboard with dead letters")

        button = row.get_by_role("button", name="Redrive 1 dead letter of scoring…")
        tab_to(page, button)
        page.keyboard.press("Enter")
        dialog = page.get_by_role("dialog", name="Redrive the dead letters of scoring?")
        expect(dialog).to_be_visible()
        expect(dialog).to_contain_text("ArtifactUploaded")
        expect(dialog).to_contain_text("RuntimeError: scoring is broken")
        expect(dialog).to_contain_text("5 deliveries")
        expect(dialog.get_by_role("button", name="Cancel")).to_be_focused()  # the safe choice
        assert_accessible(page, "redrive confirmation")
        screenshot(page, "health-dashboard-redrive")

        scoring.fixed = True  # the cause is fixed; now redrive
        dialog.get_by_role("button", name="Redrive", exact=True).click()
        expect_announced(page, "Sent 1 dead letter of scoring back to its queue.")
        expect(dialog).to_be_hidden()
        expect(row).to_contain_text(re.compile(r"scoring\s*0\s*0"))
        expect(row).to_contain_text("None to redrive")
        expect(button).to_be_hidden()

    with registry.admin() as admin:
        assert _dead_letters(admin)["dead_letters"] == 0
        found = admin.post("/artifacts", json=[{"name": "stuck-model"}])
        assert found.status_code == 200
        assert [a["name"] for a in found.json()] == ["stuck-model"]  # rated, now ready
