"""The application shell: landmarks, skip link, titles, focus after navigation, not found."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from tests.ui.browser import assert_accessible, has_visible_focus, screenshot, title
from tests.ui.seed import SeededRegistry


def test_landmarks_and_the_skip_link(admin_page: Page) -> None:
    page = admin_page
    page.goto("/ui/artifacts")
    expect(page.get_by_role("heading", level=1)).to_have_text("Browse artifacts")
    for role in ("banner", "main", "contentinfo"):
        expect(page.get_by_role(role)).to_have_count(1)
    expect(page.get_by_role("navigation", name="Main")).to_have_count(1)
    expect(page.locator("html")).to_have_attribute("lang", "en")

    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to main content")
    expect(skip).to_be_focused()
    box = skip.bounding_box()
    assert box is not None
    assert box["y"] >= 0, "the skip link must be visible when focused"
    assert has_visible_focus(page)
    page.keyboard.press("Enter")
    expect(page.get_by_role("main")).to_be_focused()
    # The next Tab goes into the page, not back to the header.
    page.keyboard.press("Tab")
    in_main = page.evaluate("() => document.querySelector('main').contains(document.activeElement)")
    assert in_main


def test_navigation_moves_focus_to_the_new_page_heading(
    admin_page: Page, ui_registry: SeededRegistry
) -> None:
    page = admin_page
    page.goto("/ui/artifacts")
    page.get_by_role("link", name="bert-base-uncased").click()
    heading = page.get_by_role("heading", level=1)
    expect(heading).to_have_text("bert-base-uncased")
    expect(heading).to_be_focused()
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Browse artifacts").click()
    expect(heading).to_have_text("Browse artifacts")
    expect(heading).to_be_focused()
    expect(page).to_have_title(title("Browse artifacts"))


def test_unknown_pages_and_artifacts(admin_page: Page) -> None:
    page = admin_page
    page.goto("/ui/no/such/page")
    expect(page.get_by_role("heading", level=1)).to_have_text("Page not found")
    expect(page).to_have_title(title("Page not found"))
    assert_accessible(page, "not found")
    screenshot(page, "not-found")
    page.goto("/ui/artifacts/model/1234567890123456")
    error = page.locator(".alert--error")
    expect(error).to_contain_text("Could not load the artifact.")
    expect(error).to_contain_text(re.compile(r"Trace id \w+"))
    assert_accessible(page, "artifact that does not exist")
