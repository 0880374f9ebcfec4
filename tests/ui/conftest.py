"""Browser tests of the web UI: Debian's chromium driven by Playwright (sync API) against a
real embedded registry on loopback, seeded through the public API.

Fixtures:
    ui_registry  (session)  SeededRegistry: url, artifacts (name -> metadata), passwords
    browser      (session)  a headless chromium
    anon_page    (function) a page, signed out
    admin_page   (function) a page signed in as the default admin
    user_page    (function) a page signed in as `ui-reader` (search only)
Every page fails its test if the app throws or the Content-Security-Policy blocks something.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, BrowserContext, Page, sync_playwright

from registry_common.settings import RuntimeSettings
from registry_ingest.config import IngestSettings
from tests.fakes.github import FakeGitHub
from tests.fakes.hub import FakeHub
from tests.harness.registry import embedded
from tests.harness.scoring_double import scoring_double
from tests.ui.browser import CHROMIUM, CHROMIUM_ARGS, require_browser_and_build
from tests.ui.seed import ADMIN_NAME, PAGE_SIZE, READER, SeededRegistry, seed, varied_rating

HERE = Path(__file__).resolve().parent
SESSION_KEY = "registry.session"  # ui/src/app/session.tsx


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    # Every test here drives the whole registry through the gateway, in a browser.
    for item in items:
        if HERE in Path(str(item.path)).resolve().parents:
            item.add_marker(pytest.mark.ui)
            item.add_marker(pytest.mark.e2e)


@pytest.fixture(scope="session")
def ui_registry(
    tmp_path_factory: pytest.TempPathFactory, fake_hub: FakeHub, fake_github: FakeGitHub
) -> Iterator[SeededRegistry]:
    require_browser_and_build()

    def settings(runtime: RuntimeSettings) -> dict[str, Any]:
        return {"ingest": IngestSettings(runtime=runtime, page_size=PAGE_SIZE)}

    with embedded(
        tmp_path_factory.mktemp("ui-registry"),
        runtime={"hf_endpoint": fake_hub.url, "github_api_url": fake_github.url},
        settings=settings,
        factories={"scoring": scoring_double(varied_rating)},
    ) as running:
        with running.admin() as admin:
            seeded = seed(running.url, admin)
        yield seeded


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    require_browser_and_build()
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield launched
        finally:
            launched.close()


class PageProblems:
    """Uncaught errors and CSP violations seen by a page; any of them fails the test."""

    def __init__(self, page: Page) -> None:
        self.problems: list[str] = []
        page.on("pageerror", lambda error: self.problems.append(f"uncaught: {error}"))
        page.on("console", self._console)

    def _console(self, message: Any) -> None:
        crashed = message.type == "error" and (
            "Uncaught" in message.text or "page crashed" in message.text
        )
        if crashed or "Content Security Policy" in message.text:
            self.problems.append(f"console {message.type}: {message.text}")


def _new_context(browser: Browser, registry: SeededRegistry) -> BrowserContext:
    return browser.new_context(
        base_url=registry.url,
        viewport={"width": 1280, "height": 900},
        reduced_motion="reduce",
        locale="en-US",
    )


def _session_for(registry: SeededRegistry, name: str) -> dict[str, Any]:
    """What the UI stores after signing in: the token and GET /users/me."""
    with httpx.Client(base_url=registry.url, timeout=30) as client:
        token = client.put(
            "/authenticate",
            json={
                "user": {"name": name, "is_admin": name == ADMIN_NAME},
                "secret": {"password": registry.passwords[name]},
            },
        )
        token.raise_for_status()
        me = client.get("/users/me", headers={"X-Authorization": token.json()})
        me.raise_for_status()
        return {"token": token.json(), "user": me.json()}


@pytest.fixture
def page_factory(
    browser: Browser, ui_registry: SeededRegistry
) -> Iterator[Callable[[str | None], Page]]:
    """`make(user)` opens a page signed in as `user` (None: signed out)."""
    contexts: list[tuple[BrowserContext, PageProblems]] = []

    def make(user: str | None) -> Page:
        context = _new_context(browser, ui_registry)
        if user is not None:
            # Signed in the way the UI signs in (its sessionStorage entry), once per tab, so a
            # test that signs out stays signed out after a reload.
            stored = json.dumps(_session_for(ui_registry, user))
            context.add_init_script(
                f"""if (!sessionStorage.getItem("ui-test-seeded")) {{
                    sessionStorage.setItem("ui-test-seeded", "1");
                    sessionStorage.setItem({json.dumps(SESSION_KEY)}, {json.dumps(stored)});
                }}"""
            )
        page = context.new_page()
        contexts.append((context, PageProblems(page)))
        return page

    yield make
    problems = [p for _, watcher in contexts for p in watcher.problems]
    for context, _ in contexts:
        context.close()
    assert not problems, "the page reported problems:\n" + "\n".join(problems)


@pytest.fixture
def anon_page(page_factory: Callable[[str | None], Page]) -> Page:
    return page_factory(None)


@pytest.fixture
def admin_page(page_factory: Callable[[str | None], Page]) -> Page:
    return page_factory(ADMIN_NAME)


@pytest.fixture
def user_page(page_factory: Callable[[str | None], Page]) -> Page:
    return page_factory(READER[0])
