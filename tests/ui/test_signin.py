"""Sign in and sign out: errors announced with the registry's sentence, the way back to the
page asked for, a session that ends when the token does, and keyboard-only operation."""

from __future__ import annotations

import re
from collections.abc import Callable

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
from tests.ui.seed import ADMIN_NAME, NEWCOMER, READER, SeededRegistry


def sign_in_form(page: Page, name: str, password: str) -> None:
    page.get_by_label("User name").fill(name)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()


def test_sign_in_journey_bad_password_then_success_then_sign_out(
    anon_page: Page, ui_registry: SeededRegistry
) -> None:
    page = anon_page
    page.goto("/ui/artifacts?type=dataset")
    # Signed out: sent to sign in, told why.
    expect(page).to_have_url(re.compile(r"/ui/signin$"))
    expect(page).to_have_title(title("Sign in"))
    expect(page.get_by_role("main").get_by_text("Please sign in to continue.")).to_be_visible()
    expect(page.get_by_label("User name")).to_have_attribute("autocomplete", "username")
    expect(page.get_by_label("Password")).to_have_attribute("autocomplete", "current-password")
    assert_accessible(page, "sign-in page, signed out")
    screenshot(page, "sign-in")

    sign_in_form(page, READER[0], "not-the-password")
    error = page.locator(".alert--error")
    expect(error).to_contain_text("Sign-in failed.")
    expect(error).to_contain_text(re.compile(r"Trace id \w+"))
    expect_announced(page, "Sign-in failed.", assertive=True)
    expect(page.get_by_label("Password")).to_have_value("")  # never kept after a failure
    expect(page.get_by_label("User name")).to_be_focused()
    assert_accessible(page, "sign-in page, wrong password")
    screenshot(page, "sign-in-error")

    sign_in_form(page, READER[0], ui_registry.passwords[READER[0]])
    # Back to the page asked for, filters included.
    expect(page).to_have_url(re.compile(r"/ui/artifacts\?type=dataset$"))
    expect(page.get_by_role("banner")).to_contain_text(f"Signed in as {READER[0]}")
    expect(page.get_by_role("heading", level=1)).to_have_text("Browse artifacts")
    expect(page.locator("tbody tr")).to_have_count(len(ui_registry.by_type("dataset")))
    expect_announced(page, re.compile(r"Page 1: \d artifacts?"))

    page.get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(re.compile(r"/ui/signin$"))
    expect(page.get_by_role("main").get_by_text("You have signed out.")).to_be_visible()
    expect(page.get_by_role("banner")).not_to_contain_text("Signed in as")
    page.reload()
    page.goto("/ui/artifacts")
    expect(page).to_have_url(re.compile(r"/ui/signin$"))


def test_root_leads_to_sign_in_then_to_browsing(
    anon_page: Page, ui_registry: SeededRegistry
) -> None:
    anon_page.goto("/")
    expect(anon_page).to_have_url(re.compile(r"/ui/signin$"))
    sign_in_form(anon_page, ADMIN_NAME, ui_registry.passwords[ADMIN_NAME])
    expect(anon_page).to_have_url(re.compile(r"/ui/artifacts$"))
    expect(anon_page.get_by_role("banner")).to_contain_text(f"Signed in as {ADMIN_NAME} (admin)")


def test_keyboard_only_sign_in_and_sign_out(anon_page: Page, ui_registry: SeededRegistry) -> None:
    page = anon_page
    page.goto("/ui/signin")
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in")  # the app is up
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="Skip to main content")).to_be_focused()
    assert has_visible_focus(page)
    tab_to(page, page.get_by_label("User name"))
    assert has_visible_focus(page)
    page.keyboard.type(READER[0])
    page.keyboard.press("Tab")
    expect(page.get_by_label("Password")).to_be_focused()
    page.keyboard.type(ui_registry.passwords[READER[0]])
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Browse artifacts")
    expect_announced(page, f"Signed in as {READER[0]}.")
    tab_to(page, page.get_by_role("button", name="Sign out"))
    assert has_visible_focus(page)
    page.keyboard.press("Enter")
    expect(page.get_by_role("main").get_by_text("You have signed out.")).to_be_visible()


def test_an_ended_session_sends_the_user_to_sign_in_and_back(
    page_factory: Callable[[str | None], Page], ui_registry: SeededRegistry
) -> None:
    page = page_factory(READER[0])
    page.goto("/ui/artifacts")
    expect(page.locator("tbody tr").first).to_be_visible()
    # An admin changes the reader's rights: the registry revokes the reader's tokens.
    with httpx.Client(base_url=ui_registry.url) as admin:
        token = admin.put(
            "/authenticate",
            json={
                "user": {"name": ADMIN_NAME, "is_admin": True},
                "secret": {"password": ui_registry.passwords[ADMIN_NAME]},
            },
        ).json()
        changed = admin.put(
            f"/users/{READER[0]}/permissions",
            json={"permissions": ["search"], "is_admin": False},
            headers={"X-Authorization": token},
        )
        assert changed.status_code == 200, changed.text
    page.get_by_role("button", name="Next page").click()
    expect(page).to_have_url(re.compile(r"/ui/signin$"))
    expect(page.get_by_role("main").get_by_text("Your session has ended")).to_be_visible()
    expect_announced(page, "Your session has ended", assertive=True)
    assert_accessible(page, "sign-in page, session ended")
    sign_in_form(page, READER[0], ui_registry.passwords[READER[0]])
    # Back where the user was: page 2 of the catalog.
    expect(page).to_have_url(re.compile(r"/ui/artifacts\?offset=.+&page=2$"))
    expect(page.locator("tbody tr").first).to_be_visible()


def test_a_user_without_permissions_is_told_what_to_ask_for(
    page_factory: Callable[[str | None], Page],
) -> None:
    page = page_factory(NEWCOMER[0])
    page.goto("/ui/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Welcome")
    expect(page.get_by_role("main")).to_contain_text("no permissions yet")
    # The navigation offers nothing this user may not do: only the public health dashboard.
    expect(page.get_by_role("navigation", name="Main").get_by_role("link")).to_have_text(
        ["System health"]
    )
    assert_accessible(page, "home, user without permissions")
    screenshot(page, "welcome-no-permissions")
    page.goto("/ui/artifacts")
    expect(page.get_by_role("heading", level=1)).to_have_text("Not permitted")
    expect(page.get_by_role("main")).to_contain_text("lacks the search permission")
    assert_accessible(page, "not permitted")
