"""The package-confusion audit as an ops page, on a registry of its own: an admin sees the
planted look-alike with its score, the artifact it imitates (both linked) and the reasons;
the honest artifact is not listed; the result is announced; the page passes axe's WCAG 2.1
AA rules; a search-only user is not offered the page."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterator

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect

from tests.fakes.github import FakeGitHub
from tests.fakes.hub import FakeHub
from tests.harness.registry import RunningRegistry
from tests.ui.browser import assert_accessible, expect_announced, screenshot, title
from tests.ui.own_registry import admin_page_on, own_registry

ORIGINAL = "requests-toolkit"
LOOK_ALIKE = "requests-too1kit"  # a digit one for the letter l
HONEST = "numpy-helpers"


def _upload(admin: httpx.Client, name: str) -> str:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(f"{name}/README.md", f"# {name}\n")
        archive.writestr(f"{name}/main.py", "print('hello')\n")
    response = admin.post(
        "/artifact/code/upload",
        files={"file": (f"{name}.zip", buffer.getvalue(), "application/zip")},
        data={"name": name},
    )
    assert response.status_code == 201, response.text
    artifact_id: str = response.json()["metadata"]["id"]
    return artifact_id


@pytest.fixture(scope="module")
def confusion_registry(
    tmp_path_factory: pytest.TempPathFactory, fake_hub: FakeHub, fake_github: FakeGitHub
) -> Iterator[RunningRegistry]:
    with own_registry(tmp_path_factory.mktemp("confusion"), fake_hub, fake_github) as running:
        with running.admin() as admin:
            original = _upload(admin, ORIGINAL)
            _upload(admin, LOOK_ALIKE)
            honest = _upload(admin, HONEST)
            for _ in range(8):  # the original is popular, the others are not
                assert admin.get(f"/artifacts/code/{original}/download").status_code == 200
            assert admin.get(f"/artifacts/code/{honest}/download").status_code == 200
        yield running


def test_the_audit_page_lists_the_look_alike_with_its_reasons(
    browser: Browser, confusion_registry: RunningRegistry
) -> None:
    with admin_page_on(browser, confusion_registry.url) as page:
        page.get_by_role("navigation", name="Main").get_by_role("link", name="Look-alikes").click()
        expect(page).to_have_title(title("Look-alike artifacts"))
        expect_announced(page, "Suspects 1 to 1 of 1, among 3 artifacts audited.")
        table = page.get_by_role("table", name="Suspected look-alikes, highest score first")
        rows = table.locator("tbody tr")
        expect(rows).to_have_count(1)
        row = rows.first
        expect(row.get_by_role("link", name=LOOK_ALIKE)).to_be_visible()
        expect(row.get_by_role("link", name=ORIGINAL)).to_be_visible()
        expect(row).to_contain_text("look-alike characters")
        expect(row).to_contain_text(f"name reads as '{ORIGINAL}' but uses look-alike characters")
        expect(row).to_contain_text("8 downloads")
        expect(table).not_to_contain_text(HONEST)
        expect(page.get_by_role("button", name="Previous page")).to_be_disabled()
        expect(page.get_by_role("button", name="Next page")).to_be_disabled()
        assert_accessible(page, "package-confusion audit")
        screenshot(page, "package-confusion")

        row.get_by_role("link", name=ORIGINAL).click()
        expect(page.get_by_role("heading", level=1)).to_have_text(ORIGINAL)


def test_a_search_only_user_is_not_offered_the_audit(user_page: Page) -> None:
    user_page.goto("/ui/")
    nav = user_page.get_by_role("navigation", name="Main")
    expect(nav.get_by_role("link", name="Browse artifacts")).to_be_visible()
    expect(nav.get_by_role("link", name="Look-alikes")).to_have_count(0)
