"""Logs and traces for operations staff: a real request's trace (from its X-Trace-Id) as a
waterfall with keyboard navigation, a table and span details; its log lines; filters by
service, level and trace id; the recent requests list; invalid input and empty results."""

from __future__ import annotations

import re

import httpx
from playwright.sync_api import Page, expect

from tests.ui.browser import (
    assert_accessible,
    expect_announced,
    has_visible_focus,
    screenshot,
    tab_to,
    title,
)
from tests.ui.seed import ADMIN_NAME, SeededRegistry


def traced_request(registry: SeededRegistry) -> str:
    """A real request through the gateway (auth, ingest, scoring); its X-Trace-Id."""
    token = httpx.put(
        f"{registry.url}/authenticate",
        json={
            "user": {"name": ADMIN_NAME, "is_admin": True},
            "secret": {"password": registry.passwords[ADMIN_NAME]},
        },
        timeout=30,
    ).json()
    model = registry.artifacts["bert-base-uncased"]["id"]
    response = httpx.get(
        f"{registry.url}/artifact/model/{model}/rate",
        headers={"X-Authorization": token},
        timeout=30,
    )
    assert response.status_code == 200, response.text
    return response.headers["X-Trace-Id"]


def test_trace_viewer_shows_a_real_request(admin_page: Page, ui_registry: SeededRegistry) -> None:
    trace_id = traced_request(ui_registry)
    page = admin_page
    page.goto(f"/ui/ops/traces/{trace_id}")
    expect(page).to_have_title(title(f"Trace {trace_id[:8]}"))
    spans = page.locator(".waterfall__button")
    expect(spans.first).to_contain_text("gateway")
    assert spans.count() >= 3
    expect(page.locator(".waterfall")).to_contain_text("auth")
    expect_announced(page, re.compile(r"Trace loaded: \d+ spans in \d+ services"))
    assert_accessible(page, "trace viewer")
    screenshot(page, "trace-viewer")

    # Keyboard: one tab stop for the list, arrows move, Enter shows the span's details.
    tab_to(page, spans.first)
    assert has_visible_focus(page)
    page.keyboard.press("ArrowDown")
    expect(spans.nth(1)).to_be_focused()
    page.keyboard.press("End")
    expect(spans.last).to_be_focused()
    page.keyboard.press("Home")
    page.keyboard.press("Enter")
    details = page.locator("#span-details")
    expect(details).to_contain_text("Attributes")
    expect(details.get_by_role("table")).to_contain_text("http")
    expect(spans.first).to_have_attribute("aria-expanded", "true")
    assert_accessible(page, "trace viewer, span selected")
    screenshot(page, "trace-viewer-span")

    span_count = spans.count()
    page.get_by_role("button", name="Show as table").click()
    table = page.get_by_role("table").filter(has_text="Spans of the trace")
    expect(table.locator("tbody tr")).to_have_count(span_count)
    assert_accessible(page, "trace viewer, table")

    # The trace's log lines, each linking back to the trace.
    page.get_by_role("link", name="Log lines of this trace").click()
    expect(page).to_have_url(re.compile(rf"/ui/ops/logs\?trace_id={trace_id}$"))
    rows = page.locator("section[data-results-for] tbody tr")
    expect(rows.first).to_be_visible()
    links = page.locator("tbody a.trace-link")
    assert links.count() == rows.count()
    for href in links.evaluate_all("(els) => els.map((e) => e.getAttribute('href'))"):
        assert href == f"/ui/ops/traces/{trace_id}"


def test_an_unknown_or_malformed_trace_is_explained(admin_page: Page) -> None:
    page = admin_page
    page.goto("/ui/ops/traces/" + "0" * 32)
    expect(page.locator(".alert--error")).to_contain_text("Could not load the trace.")
    expect_announced(page, "Could not load the trace.", assertive=True)
    assert_accessible(page, "trace viewer, unknown trace")
    field = page.get_by_label("Trace id")
    field.fill("not-a-trace")
    page.get_by_role("button", name="Show trace").click()
    expect(field).to_be_focused()
    expect(field).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#trace-id-error")).to_be_visible()
    assert_accessible(page, "trace look-up, invalid id")


def test_logs_filter_by_service_level_and_trace(
    admin_page: Page, ui_registry: SeededRegistry
) -> None:
    trace_id = traced_request(ui_registry)
    page = admin_page
    page.goto("/ui/ops/logs")
    expect(page).to_have_title(title("Logs"))
    expect(page.locator("section[data-results-for] tbody tr").first).to_be_visible()
    expect_announced(page, re.compile(r"\d+ log lines"))
    assert_accessible(page, "logs")
    screenshot(page, "logs")

    # Keyboard only: service and level in the native selects, then submit with Enter.
    tab_to(page, page.get_by_label("Service"))
    page.get_by_label("Service").select_option("gateway")
    page.get_by_label("Minimum level").select_option("info")
    tab_to(page, page.get_by_role("button", name="Apply filters"))
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"service=gateway&level=info"))
    expect(page.locator("#log-results-heading")).to_be_focused()
    services = page.locator('section[data-results-for*="service=gateway"] tbody tr td:nth-child(2)')
    expect(services.first).to_have_text("gateway")
    assert set(services.all_inner_texts()) == {"gateway"}

    # Newest first.
    times = page.locator("section[data-results-for] tbody time").evaluate_all(
        "(els) => els.map((e) => e.getAttribute('datetime'))"
    )
    assert times == sorted(times, reverse=True)

    # By trace id: only that request's lines, across services.
    page.get_by_label("Service").select_option("")
    page.get_by_label("Trace id").fill(trace_id.upper())
    page.get_by_role("button", name="Apply filters").click()
    expect(page).to_have_url(re.compile(rf"trace_id={trace_id}"))
    # The results of this query, not the previous one still on screen.
    answered = page.locator(f'section[data-results-for*="trace_id={trace_id}"]')
    expect(answered.locator("tbody tr").first).to_be_visible()
    assert {"gateway"} < set(answered.locator("tbody tr td:nth-child(2)").all_inner_texts())

    # A malformed id is refused before asking; an impossible filter shows the empty state.
    page.get_by_label("Trace id").fill("xyz")
    page.get_by_role("button", name="Apply filters").click()
    expect(page.get_by_label("Trace id")).to_be_focused()
    expect(page.locator("#log-trace-error")).to_be_visible()
    expect_announced(page, "A trace id is 32 hexadecimal digits.", assertive=True)
    assert_accessible(page, "logs, invalid trace id")
    page.goto("/ui/ops/logs?contains=no-such-text-anywhere-42&level=critical")
    expect(page.locator("#logs-empty")).to_be_visible()
    assert_accessible(page, "logs, no results")


def test_recent_requests_link_to_their_traces(
    admin_page: Page, ui_registry: SeededRegistry
) -> None:
    trace_id = traced_request(ui_registry)
    page = admin_page
    page.goto("/ui/ops/traces?service=gateway")
    expect(page).to_have_title(title("Traces"))
    link = page.get_by_role("link", name=trace_id)
    expect(link.first).to_be_visible()
    assert_accessible(page, "traces, recent requests")
    screenshot(page, "traces")
    page.get_by_label("Status").select_option("500")
    expect(page).to_have_url(re.compile(r"minStatus=500"))
    expect(page.locator("#recent-empty, tbody tr").first).to_be_visible()
    assert_accessible(page, "traces, server errors only")
    page.get_by_label("Status").select_option("0")
    page.get_by_role("link", name=trace_id).first.click()
    expect(page).to_have_url(re.compile(rf"/ui/ops/traces/{trace_id}$"))
    expect(page.get_by_role("heading", level=1)).to_be_focused()
    expect(page.locator(".waterfall__button").first).to_be_visible()
