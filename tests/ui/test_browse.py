"""Browse and search: keyset pages with next/previous, filters by name, type and version
range, regex search, the empty, loading and error states, and keyboard-only operation."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from tests.ui.browser import (
    assert_accessible,
    expect_announced,
    has_visible_focus,
    screenshot,
    tab_to,
    title,
)
from tests.ui.seed import PAGE_SIZE, UPLOADED_NAME, SeededRegistry


def wait_for_results(page: Page) -> None:
    """Until the results shown answer the query in the address bar (no stale table)."""
    page.wait_for_function(
        """() => {
            const section = document.querySelector("section[data-results-for]");
            return section !== null
                && section.dataset.resultsFor === new URLSearchParams(location.search).toString();
        }"""
    )


def row_names(page: Page) -> list[str]:
    wait_for_results(page)
    return page.locator("tbody tr th").all_inner_texts()


def test_pages_through_the_whole_catalog_and_back(
    admin_page: Page, ui_registry: SeededRegistry
) -> None:
    page = admin_page
    page.goto("/ui/artifacts")
    expect(page).to_have_title(title("Browse artifacts"))
    everything = list(ui_registry.artifacts)
    assert row_names(page) == everything[:PAGE_SIZE]
    expect_announced(page, f"Page 1: {PAGE_SIZE} artifacts, more on the next page.")
    expect(page.get_by_role("button", name="Previous page")).to_be_disabled()
    assert_accessible(page, "browse, first page")
    screenshot(page, "browse")

    seen: list[str] = []
    pages = 0
    while True:
        seen += row_names(page)
        pages += 1
        next_button = page.get_by_role("button", name="Next page")
        if next_button.is_disabled():
            break
        next_button.click()
        expect(page.get_by_text(f"Page {pages + 1}", exact=True)).to_be_visible()
        # Focus follows to the new results, so keyboard users continue from there.
        expect(page.locator("#results-heading")).to_be_focused()
    assert seen == everything
    assert pages == -(-len(everything) // PAGE_SIZE)

    # Previous walks back through the offsets, also after a reload (kept in history state).
    page.reload()
    page.get_by_role("button", name="Previous page").click()
    expect(page.get_by_text(f"Page {pages - 1}", exact=True)).to_be_visible()
    start = (pages - 2) * PAGE_SIZE
    assert row_names(page) == everything[start : start + PAGE_SIZE]
    page.go_back()
    expect(page.get_by_text(f"Page {pages}", exact=True)).to_be_visible()
    page.get_by_role("button", name="First page").click()
    assert row_names(page) == everything[:PAGE_SIZE]


def test_filter_by_type_name_and_version_range(
    admin_page: Page, ui_registry: SeededRegistry
) -> None:
    page = admin_page
    page.goto("/ui/artifacts")
    page.get_by_role("checkbox", name="Dataset").check()
    page.get_by_role("button", name="Apply filters").click()
    expect(page).to_have_url(re.compile(r"\?type=dataset$"))
    datasets = [a["name"] for a in ui_registry.by_type("dataset")]
    assert row_names(page) == datasets
    expect(page.locator("tbody tr td").first).to_have_text("Dataset")
    assert_accessible(page, "browse, filtered by type")

    page.get_by_role("checkbox", name="Dataset").uncheck()
    page.get_by_role("checkbox", name="Code").check()
    page.get_by_role("button", name="Apply filters").click()
    assert row_names(page) == [a["name"] for a in ui_registry.by_type("code")][:PAGE_SIZE]

    # The name is exact; the version range uses npm semantics over the artifact's tags.
    page.get_by_role("checkbox", name="Code").uncheck()
    page.get_by_label("Name").fill("minilm-imdb-sentiment")
    page.get_by_label("Version range").fill("^1.0.0")
    page.get_by_role("button", name="Apply filters").click()
    assert row_names(page) == ["minilm-imdb-sentiment"]
    expect_announced(page, "Page 1: 1 artifact.")

    page.get_by_label("Name").fill("*")
    page.get_by_label("Version range").fill("~2.1.0")
    page.get_by_role("button", name="Apply filters").click()
    assert UPLOADED_NAME in row_names(page)
    screenshot(page, "browse-filtered")

    page.get_by_label("Name").fill("minilm-imdb-sentiment")
    page.get_by_label("Version range").fill("^9.0.0")
    page.get_by_role("button", name="Apply filters").click()
    expect(page.locator("#results-empty")).to_have_text("No artifacts match these filters.")
    expect_announced(page, "No artifacts match these filters.")
    assert_accessible(page, "browse, empty result")
    screenshot(page, "browse-empty")

    # The filters are in the URL: a reload keeps them, and the form shows them.
    page.reload()
    expect(page.get_by_label("Version range")).to_have_value("^9.0.0")
    page.get_by_role("link", name="Show all artifacts").click()
    assert len(row_names(page)) == PAGE_SIZE


def test_an_invalid_version_range_shows_the_registry_sentence_and_trace_id(
    admin_page: Page,
) -> None:
    page = admin_page
    page.goto("/ui/artifacts?version=latest")
    error = page.locator(".alert--error")
    expect(error).to_contain_text("Could not load the artifacts.")
    expect(error).to_contain_text("latest")
    expect(error).to_contain_text(re.compile(r"Trace id \w+"))
    expect_announced(page, "Could not load the artifacts.", assertive=True)
    assert_accessible(page, "browse, error")
    screenshot(page, "browse-error")


def test_regex_search_finds_names_and_readmes_and_opens_an_artifact(
    admin_page: Page, ui_registry: SeededRegistry
) -> None:
    page = admin_page
    page.goto("/ui/artifacts")
    page.get_by_role("button", name="Search", exact=True).click()
    expect(page.locator("#regex-error")).to_have_text("Enter a regular expression to search for.")
    expect(page.get_by_role("searchbox", name="Regular expression")).to_be_focused()
    expect_announced(page, "Enter a regular expression", assertive=True)

    page.get_by_role("searchbox", name="Regular expression").fill("minilm-imdb")
    page.get_by_role("button", name="Search", exact=True).click()
    expect(page).to_have_url(re.compile(r"\?regex=minilm-imdb$"))
    expect(page.get_by_role("heading", name="Search results")).to_be_visible()
    names = row_names(page)
    assert {"minilm-imdb-sentiment", "minilm-imdb-sentiment-onnx"} <= set(names)
    expect_announced(page, re.compile(r"\d+ match(es)? for minilm-imdb"))
    assert_accessible(page, "browse, regex results")
    screenshot(page, "browse-regex")

    page.get_by_role("searchbox", name="Regular expression").fill("^zzz-nothing-like-this$")
    page.get_by_role("button", name="Search", exact=True).click()
    expect(page.locator("#results-empty")).to_contain_text("No artifact's name or README matches")
    assert_accessible(page, "browse, regex without matches")

    page.go_back()
    onnx = ui_registry.artifacts["minilm-imdb-sentiment-onnx"]
    page.get_by_role("link", name="minilm-imdb-sentiment-onnx").click()
    expect(page).to_have_url(re.compile(rf"/ui/artifacts/model/{onnx['id']}$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("minilm-imdb-sentiment-onnx")
    expect(page.get_by_role("heading", level=1)).to_be_focused()
    expect(page).to_have_title(title("minilm-imdb-sentiment-onnx"))


def test_browse_and_search_by_keyboard_only(admin_page: Page, ui_registry: SeededRegistry) -> None:
    page = admin_page
    page.goto("/ui/artifacts")
    row_names(page)
    # Name filter: Tab to it, type, Enter submits.
    tab_to(page, page.get_by_label("Name"))
    assert has_visible_focus(page)
    page.keyboard.type("bert-base-uncased")
    page.keyboard.press("Enter")
    assert row_names(page) == ["bert-base-uncased"]
    # Checkboxes toggle with Space, as everywhere.
    tab_to(page, page.get_by_role("checkbox", name="Dataset"))
    assert has_visible_focus(page)
    page.keyboard.press("Space")
    tab_to(page, page.get_by_role("button", name="Apply filters"))
    assert has_visible_focus(page)
    page.keyboard.press("Enter")
    wait_for_results(page)
    expect(page.locator("#results-empty")).to_be_visible()
    # Clear the filters through the link, then page with the keyboard.
    tab_to(page, page.get_by_role("link", name="Show all artifacts"))
    page.keyboard.press("Enter")
    row_names(page)
    tab_to(page, page.get_by_role("button", name="Next page"))
    assert has_visible_focus(page)
    page.keyboard.press("Enter")
    expect(page.get_by_text("Page 2", exact=True)).to_be_visible()
    expect(page.locator("#results-heading")).to_be_focused()
    # Regex search, then open the first result with Enter.
    tab_to(page, page.get_by_role("searchbox", name="Regular expression"), backwards=True)
    page.keyboard.type("whisper")
    page.keyboard.press("Enter")
    first = page.locator("tbody tr th a").first
    expect(first).to_be_visible()
    tab_to(page, first)
    assert has_visible_focus(page)
    name = first.inner_text()
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text(name)
    expect(page.get_by_role("heading", level=1)).to_be_focused()


def test_a_plain_user_with_search_permission_browses(
    user_page: Page, ui_registry: SeededRegistry
) -> None:
    user_page.goto("/ui/")
    expect(user_page).to_have_url(re.compile(r"/ui/artifacts$"))
    nav = user_page.get_by_role("navigation", name="Main")
    # Only what a search-only user may do, plus the public health dashboard.
    expect(nav.get_by_role("link")).to_have_text(["Browse artifacts", "System health"])
    expect(nav.get_by_role("link", name="Browse artifacts")).to_have_attribute(
        "aria-current", "page"
    )
    assert row_names(user_page) == list(ui_registry.artifacts)[:PAGE_SIZE]
    assert_accessible(user_page, "browse, plain user")
