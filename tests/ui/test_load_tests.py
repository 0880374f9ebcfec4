"""Load tests from the health dashboard, on a registry of its own (the runs download, which
changes audit trails and download counts): an admin follows the dashboard's link, starts a
short run, sees it in progress, reads its results (figures, a histogram with its table),
runs a second one and compares both side by side; the page passes axe's WCAG 2.1 AA rules."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.fakes.github import FakeGitHub
from tests.fakes.hub import FakeHub
from tests.harness.registry import RunningRegistry
from tests.ui.browser import assert_accessible, expect_announced, screenshot, title
from tests.ui.own_registry import admin_page_on, own_registry


@pytest.fixture(scope="module")
def load_registry(
    tmp_path_factory: pytest.TempPathFactory, fake_hub: FakeHub, fake_github: FakeGitHub
) -> Iterator[RunningRegistry]:
    with own_registry(tmp_path_factory.mktemp("load-tests"), fake_hub, fake_github) as running:
        with running.admin() as admin:
            created = admin.post(
                "/artifact/model",
                json={"url": "https://huggingface.co/google-bert/bert-base-uncased"},
            )
            assert created.status_code == 201, created.text
        yield running


def _run(page: Page, clients: int, seconds: int) -> None:
    page.get_by_label("Clients (concurrent downloads)").fill(str(clients))
    page.get_by_label("Duration in seconds").fill(str(seconds))
    page.get_by_role("button", name="Start load test").click()
    expect_announced(page, f"Load test started: {clients} clients for {seconds} seconds.")


def test_start_watch_read_and_compare_load_tests(
    browser: Browser, load_registry: RunningRegistry
) -> None:
    with admin_page_on(browser, load_registry.url) as page:
        page.get_by_role("navigation", name="Main").get_by_role(
            "link", name="System health"
        ).click()
        page.get_by_role("link", name="start a load test, watch it, and compare past runs").click()
        expect(page).to_have_title(title("Load tests"))
        expect(page.get_by_role("main")).to_contain_text(load_registry.url)  # the target
        expect(page.get_by_text("No load test has run yet.")).to_be_visible()

        _run(page, clients=2, seconds=3)
        panel = page.locator("section[data-run]")
        expect(
            page.get_by_role("heading", name=re.compile("^Load test in progress"))
        ).to_be_visible()
        expect(page.get_by_role("progressbar", name="Time elapsed")).to_be_visible()
        expect(page.get_by_role("button", name="Start load test")).to_be_disabled()

        expect(page.get_by_role("heading", name=re.compile("^Load test results"))).to_be_visible(
            timeout=30_000
        )
        expect(panel).to_have_attribute("data-status", "completed")
        expect_announced(page, re.compile(r"Load test completed: [1-9][\d,]* correct downloads"))
        figures = page.get_by_role("table", name="Figures of the run")
        expect(figures.get_by_role("row", name=re.compile("^Errors 0"))).to_be_visible()
        expect(
            figures.get_by_role("row", name=re.compile(r"^99th percentile [\d.]+ m?s"))
        ).to_be_visible()
        histogram = page.get_by_role(
            "img", name=re.compile("^Latency histogram. .* downloads between")
        )
        expect(histogram).to_be_visible()
        chart = page.get_by_role("region", name="Latency histogram", exact=True)
        chart.get_by_role("button", name=re.compile("Show as table")).click()
        expect(
            page.get_by_role("table", name="Latency histogram: downloads per latency range")
        ).to_be_visible()
        assert_accessible(page, "load test results")

        _run(page, clients=1, seconds=1)
        expect(panel).to_have_attribute("data-status", "completed", timeout=30_000)
        past = page.get_by_role("table", name="Load tests, newest first")
        expect(past.locator("tbody tr")).to_have_count(2)
        boxes = past.get_by_role("checkbox")
        boxes.nth(0).check()
        boxes.nth(1).check()
        page.get_by_role("button", name="Compare selected runs (2)").click()
        comparison = page.get_by_role("table", name="The selected load tests, figure by figure")
        expect(comparison).to_be_visible()
        expect(comparison.get_by_role("columnheader", name=re.compile("^Run 1"))).to_be_visible()
        expect(comparison.get_by_role("columnheader", name=re.compile("^Run 2"))).to_be_visible()
        expect(comparison.get_by_role("row", name=re.compile("^Clients 1 2$"))).to_be_visible()
        expect(comparison.get_by_role("row", name=re.compile("^99th percentile"))).to_be_visible()
        expect_announced(page, "Comparing 2 load tests.")
        assert_accessible(page, "load test comparison")
        screenshot(page, "load-tests")
