"""Atomic groups as a page, on a registry of its own: create a request, add an ingest and an
upload member, execute (committed, announced, members linked); a second group with a missing
source is rolled back and the page names the member that failed; the requests are listed;
the page passes axe's WCAG 2.1 AA rules."""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.fakes.github import FakeGitHub
from tests.fakes.hub import FakeHub
from tests.harness.registry import RunningRegistry
from tests.ui.browser import assert_accessible, expect_announced, screenshot, title
from tests.ui.own_registry import admin_page_on, own_registry

IMDB = "https://huggingface.co/datasets/stanfordnlp/imdb"
MISSING = "https://huggingface.co/nobody/nothing-here"


@pytest.fixture(scope="module")
def groups_registry(
    tmp_path_factory: pytest.TempPathFactory, fake_hub: FakeHub, fake_github: FakeGitHub
) -> Iterator[RunningRegistry]:
    with own_registry(tmp_path_factory.mktemp("groups"), fake_hub, fake_github) as running:
        yield running


def _zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("README.md", "# helpers\n")
        archive.writestr("main.py", "print('hello')\n")
    return buffer.getvalue()


def _add_ingest(page: Page, kind: str, url: str, name: str) -> None:
    page.get_by_label("Command").select_option("ingest")
    page.get_by_label("Artifact type").select_option(kind)
    page.get_by_label("Source URL").fill(url)
    page.get_by_label("Name (optional)").fill(name)
    page.get_by_role("button", name="Add member").click()
    expect_announced(page, "Member added.")
    # The live region may still hold an earlier "Member added.": wait for this member's row,
    # so the next command is not typed into a form this answer is about to reset.
    members = page.get_by_role("table", name="Members, in the order they apply")
    expect(members).to_contain_text(f"Ingest {kind} {url}, named {name}")


def _new_request(page: Page) -> None:
    page.get_by_role("button", name="New group request").click()
    expect_announced(page, "New group request created; add its members below.")
    expect(page.get_by_role("heading", level=2, name=re.compile(r"^Request "))).to_be_visible()


def test_a_group_is_built_executed_and_rolled_back_in_the_page(
    browser: Browser, groups_registry: RunningRegistry
) -> None:
    with admin_page_on(browser, groups_registry.url) as page:
        page.get_by_role("navigation", name="Main").get_by_role("link", name="Groups").click()
        expect(page).to_have_title(title("Atomic groups"))
        expect(page.get_by_text("No group requests yet.")).to_be_visible()

        _new_request(page)
        _add_ingest(page, "dataset", IMDB, "ui-group-imdb")
        page.get_by_label("Command").select_option("upload")
        page.get_by_label("Artifact type").select_option("code")
        page.get_by_label("Zip file").set_input_files(
            {"name": "helpers.zip", "mimeType": "application/zip", "buffer": _zip()}
        )
        page.get_by_label("Name (optional)").fill("ui-group-helpers")
        page.get_by_role("button", name="Add member").click()
        members = page.get_by_role("table", name="Members, in the order they apply")
        expect(members.locator("tbody tr")).to_have_count(2)
        expect(members).to_contain_text(f"Ingest dataset {IMDB}, named ui-group-imdb")
        expect(members).to_contain_text("Upload code helpers.zip, named ui-group-helpers")
        assert_accessible(page, "group request with two members")

        page.get_by_role("button", name="Execute the group").click()
        expect_announced(page, "Committed: all 2 members applied at once.")
        state = page.locator("#group-state")
        expect(state).to_have_text("Committed: all 2 commands applied at once.")
        expect(members.get_by_role("link", name="Open ui-group-imdb")).to_be_visible()
        expect(members.get_by_role("link", name="Open ui-group-helpers")).to_be_visible()
        screenshot(page, "groups-committed")

        _new_request(page)
        _add_ingest(page, "dataset", IMDB, "ui-group-second")
        _add_ingest(page, "model", MISSING, "ui-group-missing")
        page.get_by_role("button", name="Execute the group").click()
        expect_announced(page, re.compile("the member at position 1"), assertive=True)
        alert = page.locator(".alert--error").first
        expect(alert).to_contain_text("rolled back")
        expect(alert).to_contain_text(MISSING)
        expect(page.locator("#group-state")).to_contain_text(
            "Failed: nothing applied. The member at position 1"
        )
        assert_accessible(page, "rolled-back group")
        screenshot(page, "groups-rolled-back")

        listing = page.get_by_role("table", name="Your group requests, newest first")
        expect(listing.locator("tbody tr")).to_have_count(2)
        expect(listing.locator("tbody tr").first).to_contain_text("Failed: nothing applied.")
        expect(listing.locator("tbody tr").nth(1)).to_contain_text("Committed")

    with groups_registry.admin() as admin:
        names = {a["name"] for a in admin.post("/artifacts", json=[{"name": "*"}]).json()}
    assert names == {"ui-group-imdb", "ui-group-helpers"}  # nothing of the second group
