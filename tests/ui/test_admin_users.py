"""User administration: the list with permissions, creating a user (the password policy up
front, the registry's refusal shown), changing permissions and deleting in accessible modal
dialogs (focus inside, Tab trapped, Escape closes, focus returns), signing in as the new user,
keyboard-only creation, and a user deleting their own account."""

from __future__ import annotations

import re
from collections.abc import Callable

import httpx
from playwright.sync_api import Locator, Page, expect

from tests.ui.browser import assert_accessible, expect_announced, screenshot, tab_to, title
from tests.ui.seed import ADMIN_NAME, READER, SeededRegistry

PASSWORD = "Journey-Pass-2024!"


def row(page: Page, name: str) -> Locator:
    return page.locator(f"tr[data-user='{name}']")


def focus_is_inside_dialog(page: Page) -> bool:
    inside: bool = page.evaluate("() => !!document.activeElement?.closest('dialog[open]')")
    return inside


def test_create_change_sign_in_as_and_delete_a_user(
    page_factory: Callable[[str | None], Page], ui_registry: SeededRegistry
) -> None:
    page = page_factory(ADMIN_NAME)
    page.goto("/ui/admin/users")
    expect(page).to_have_title(title("Users"))
    expect(row(page, READER[0])).to_contain_text("Search")
    expect(row(page, ADMIN_NAME)).to_contain_text("Everything")
    expect(page.get_by_text("A password needs either")).to_be_visible()  # the policy, up front
    assert_accessible(page, "users")
    screenshot(page, "users")

    # A weak password: refused before sending, said, and the field is focused.
    name = "ui-journey-user"
    page.get_by_label("User name").fill(name)
    page.get_by_label("Password", exact=True).fill("short")
    page.get_by_role("button", name="Create user").click()
    password = page.get_by_label("Password", exact=True)
    expect(password).to_be_focused()
    expect(password).to_have_attribute("aria-invalid", "true")
    expect_announced(page, re.compile("too weak"), assertive=True)
    assert_accessible(page, "users, weak password")

    password.fill(PASSWORD)
    page.get_by_role("button", name="Create user").click()
    expect_announced(page, f"User {name} created.")
    expect(row(page, name)).to_contain_text("Search")

    # The registry's own sentence when it refuses (the name exists).
    page.get_by_label("User name").fill(name)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Create user").click()
    expect(page.locator("#create-user-error")).to_be_visible()
    expect_announced(page, "Could not create the user.", assertive=True)
    assert_accessible(page, "users, create refused")
    page.get_by_label("User name").fill("")
    page.get_by_label("Password", exact=True).fill("")

    # Change permissions in a dialog: Escape closes it and focus returns to its button.
    change = page.get_by_role("button", name=f"Change permissions of {name}")
    change.click()
    dialog = page.get_by_role("dialog", name=f"Permissions of {name}")
    expect(dialog).to_be_visible()
    assert focus_is_inside_dialog(page)
    assert_accessible(page, "users, permissions dialog")
    screenshot(page, "users-permissions-dialog")
    page.keyboard.press("Escape")
    expect(dialog).to_have_count(0)
    expect(change).to_be_focused()
    change.click()
    dialog.get_by_label("Download").check()
    dialog.get_by_role("button", name="Save permissions").click()
    expect_announced(page, re.compile(f"Permissions of {name} changed to search, download"))
    expect(row(page, name)).to_contain_text("Download")

    # Sign in as them: they see what their permissions allow.
    other = page_factory(None)
    other.goto("/ui/signin")
    other.get_by_label("User name").fill(name)
    other.get_by_label("Password").fill(PASSWORD)
    other.get_by_role("button", name="Sign in").click()
    expect(other).to_have_url(re.compile(r"/ui/artifacts"))
    nav = other.get_by_role("navigation", name="Main")
    expect(nav.get_by_role("link", name="Browse artifacts")).to_be_visible()
    expect(nav.get_by_role("link", name="Users")).to_have_count(0)

    # Delete: an alert dialog, Tab stays inside, Cancel returns focus, then confirm.
    delete = page.get_by_role("button", name=f"Delete {name}")
    delete.click()
    confirm = page.get_by_role("alertdialog", name=f"Delete {name}?")
    expect(confirm).to_be_visible()
    expect(confirm.get_by_role("button", name="Cancel")).to_be_focused()
    for _ in range(5):
        page.keyboard.press("Tab")
        assert focus_is_inside_dialog(page)
    page.keyboard.press("Shift+Tab")
    assert focus_is_inside_dialog(page)
    assert_accessible(page, "users, delete dialog")
    screenshot(page, "users-delete-dialog")
    confirm.get_by_role("button", name="Cancel").click()
    expect(delete).to_be_focused()
    delete.click()
    confirm.get_by_role("button", name=f"Delete {name}").click()
    expect_announced(page, f"User {name} deleted.")
    expect(row(page, name)).to_have_count(0)
    # The row is gone: focus goes to the table's heading, not lost.
    expect(page.locator("#users-heading")).to_be_focused()
    assert_accessible(page, "users, after delete")


def test_create_a_user_with_the_keyboard_only(admin_page: Page) -> None:
    page = admin_page
    page.goto("/ui/admin/users")
    name = "ui-keyboard-user"
    tab_to(page, page.get_by_label("User name"))
    page.keyboard.type(name)
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    tab_to(page, page.get_by_label("Upload"))
    page.keyboard.press("Space")
    tab_to(page, page.get_by_role("button", name="Create user"))
    page.keyboard.press("Enter")
    expect_announced(page, f"User {name} created.")
    expect(row(page, name)).to_contain_text("Upload")
    delete = page.get_by_role("button", name=f"Delete {name}")
    tab_to(page, delete, backwards=True)
    page.keyboard.press("Enter")
    # Focus starts on Cancel (the last button); Tab wraps around to the first, Delete.
    page.keyboard.press("Tab")
    expect(
        page.get_by_role("alertdialog").get_by_role("button", name=f"Delete {name}")
    ).to_be_focused()
    page.keyboard.press("Enter")
    expect(row(page, name)).to_have_count(0)


def test_a_user_deletes_their_own_account(
    page_factory: Callable[[str | None], Page], ui_registry: SeededRegistry
) -> None:
    name = "ui-leaving-user"
    with httpx.Client(base_url=ui_registry.url, timeout=30) as client:
        token = client.put(
            "/authenticate",
            json={
                "user": {"name": ADMIN_NAME, "is_admin": True},
                "secret": {"password": ui_registry.passwords[ADMIN_NAME]},
            },
        ).json()
        created = client.post(
            "/users",
            headers={"X-Authorization": token},
            json={
                "user": {"name": name, "is_admin": False},
                "secret": {"password": PASSWORD},
                "permissions": ["search"],
            },
        )
        assert created.status_code in (200, 201), created.text
    ui_registry.passwords[name] = PASSWORD
    page = page_factory(name)
    page.goto("/ui/")
    page.get_by_role("link", name="Your account").click()
    expect(page).to_have_title(title("Your account"))
    expect(page.get_by_role("main")).to_contain_text("Search")
    assert_accessible(page, "your account")
    page.get_by_role("button", name="Delete my account…").click()
    dialog = page.get_by_role("alertdialog", name="Delete your account?")
    expect(dialog).to_be_visible()
    assert_accessible(page, "your account, delete dialog")
    screenshot(page, "account-delete-dialog")
    dialog.get_by_role("button", name="Delete my account").click()
    expect(page).to_have_url(re.compile(r"/ui/signin$"))
    expect_announced(page, f"Your account {name} was deleted. You are signed out.")
    refused = httpx.put(
        f"{ui_registry.url}/authenticate",
        json={"user": {"name": name, "is_admin": False}, "secret": {"password": PASSWORD}},
        timeout=30,
    )
    assert refused.status_code == 401
    del ui_registry.passwords[name]
