"""Reset, on a registry of its own (never the shared seeded one): what it clears and keeps is
explained, the dialog asks for a typed word (a wrong one is refused and said), Escape closes
it and focus returns, and the reset's outcome is announced and real."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, expect

from tests.fakes.github import FakeGitHub
from tests.fakes.hub import FakeHub
from tests.harness.registry import RunningRegistry
from tests.ui.browser import assert_accessible, expect_announced, screenshot, title
from tests.ui.own_registry import admin_page_on, own_registry

EXTRA_USER = "reset-victim"


@pytest.fixture(scope="module")
def reset_registry(
    tmp_path_factory: pytest.TempPathFactory, fake_hub: FakeHub, fake_github: FakeGitHub
) -> Iterator[RunningRegistry]:
    with own_registry(tmp_path_factory.mktemp("reset"), fake_hub, fake_github) as running:
        with running.admin() as admin:
            created = admin.post(
                "/users",
                json={
                    "user": {"name": EXTRA_USER, "is_admin": False},
                    "secret": {"password": "Victim-Pass-2024!"},
                    "permissions": ["search"],
                },
            )
            assert created.status_code in (200, 201), created.text
        yield running


def user_names(registry: RunningRegistry) -> set[str]:
    with registry.admin() as admin:
        return {u["name"] for u in admin.get("/users").json()}


def test_reset_asks_for_the_word_then_empties_the_registry(
    browser: Browser, reset_registry: RunningRegistry
) -> None:
    assert EXTRA_USER in user_names(reset_registry)
    with admin_page_on(browser, reset_registry.url) as page:
        page.goto("/ui/admin/reset")
        expect(page).to_have_title(title("Reset the registry"))
        expect(page.get_by_role("heading", name="Clears")).to_be_visible()
        expect(page.get_by_role("heading", name="Keeps")).to_be_visible()
        assert_accessible(page, "reset")
        screenshot(page, "reset")

        open_button = page.get_by_role("button", name="Reset the registry…")
        open_button.click()
        dialog = page.get_by_role("alertdialog", name="Reset the registry?")
        word = dialog.get_by_label("Confirmation word")
        expect(word).to_be_focused()
        page.keyboard.press("Escape")
        expect(dialog).to_have_count(0)
        expect(open_button).to_be_focused()

        open_button.click()
        word.fill("reset")  # not the word (capitals)
        dialog.get_by_role("button", name="Reset everything").click()
        expect(word).to_be_focused()
        expect(word).to_have_attribute("aria-invalid", "true")
        expect_announced(page, "Type RESET to confirm the reset.", assertive=True)
        assert EXTRA_USER in user_names(reset_registry)
        assert_accessible(page, "reset, dialog with a wrong word")
        screenshot(page, "reset-dialog")

        word.fill("RESET")
        page.keyboard.press("Enter")
        expect(dialog).to_have_count(0)
        expect_announced(page, "The registry was reset")
        expect(page.locator("#reset-done")).to_be_visible()
        expect(open_button).to_be_focused()
        assert_accessible(page, "reset, done")

    # The other services clear their data on the reset event, moments later.
    deadline = time.monotonic() + 20
    while EXTRA_USER in user_names(reset_registry) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert user_names(reset_registry) == {"ece30861defaultadminuser"}
