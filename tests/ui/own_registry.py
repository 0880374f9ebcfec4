"""A registry of a test module's own, for journeys that must not touch the shared seeded one
(reset empties it; the degraded dashboard throttles the fake GitHub before its first check).
Pages on it are signed in through the sign-in form, like a person would."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from playwright.sync_api import Browser, Page, expect

from tests.fakes.github import FakeGitHub
from tests.fakes.hub import FakeHub
from tests.harness.registry import RunningRegistry, embedded
from tests.ui.conftest import PageProblems
from tests.ui.seed import ADMIN_NAME, ADMIN_PASSWORD


@contextmanager
def own_registry(
    data_dir: Path, fake_hub: FakeHub, fake_github: FakeGitHub
) -> Iterator[RunningRegistry]:
    with embedded(
        data_dir, runtime={"hf_endpoint": fake_hub.url, "github_api_url": fake_github.url}
    ) as running:
        yield running


@contextmanager
def admin_page_on(browser: Browser, url: str) -> Iterator[Page]:
    """A page on `url`, signed in as the default admin through the form; fails the test on
    uncaught errors or CSP violations, as the shared fixtures do."""
    context = browser.new_context(
        base_url=url,
        viewport={"width": 1280, "height": 900},
        reduced_motion="reduce",
        locale="en-US",
    )
    page = context.new_page()
    watcher = PageProblems(page)
    try:
        page.goto("/ui/signin")
        page.get_by_label("User name").fill(ADMIN_NAME)
        page.get_by_label("Password").fill(ADMIN_PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        expect(page.get_by_role("banner")).to_contain_text(f"Signed in as {ADMIN_NAME}")
        yield page
    finally:
        context.close()
    assert not watcher.problems, "the page reported problems:\n" + "\n".join(watcher.problems)
