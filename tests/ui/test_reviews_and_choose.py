"""Reviews on the artifact page, the Use-from-Python section, and the Choose page (issue
18.4): write, edit and delete your own review; an admin removes anyone's; the Choose page sorts
by score with the vetted mark, filters, and pages on the server. WCAG 2.1 AA with axe."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from tests.ui.browser import assert_accessible, expect_announced, screenshot
from tests.ui.seed import READER, SeededRegistry

REVIEWED = "Tiny-LLM"  # no other browser test reads this model's reviews or audit trail


def _open(page: Page, registry: SeededRegistry, name: str) -> None:
    artifact = registry.artifacts[name]
    page.goto(f"/ui/artifacts/{artifact['type']}/{artifact['id']}")
    expect(page.get_by_role("heading", level=1)).to_have_text(name)


def test_a_reader_writes_edits_and_deletes_a_review_and_an_admin_removes_one(
    user_page: Page, admin_page: Page, ui_registry: SeededRegistry
) -> None:
    page = user_page
    _open(page, ui_registry, REVIEWED)
    section = page.get_by_role("region", name="Reviews", exact=True)
    expect(section).to_contain_text("No one has reviewed")

    section.get_by_role("button", name="Save my review").click()
    expect(section.get_by_text("Choose from 1 to 5 stars.")).to_be_visible()
    section.get_by_role("radio", name="4 stars").check()
    section.get_by_label("Review (optional)").fill("Small and quick; fine for tests.")
    section.get_by_role("button", name="Save my review").click()
    expect_announced(page, "Your review was saved.")
    expect(section).to_contain_text("4 of 5 (1 review)")
    expect(section).to_contain_text("Small and quick; fine for tests.")
    assert_accessible(page, "artifact reviews")
    screenshot(page, "artifact-reviews")

    section.get_by_role("radio", name="2 stars").check()
    section.get_by_role("button", name="Update my review").click()
    expect_announced(page, "Your review was updated.")
    expect(section).to_contain_text("2 of 5 (1 review)")

    admin = admin_page
    _open(admin, ui_registry, REVIEWED)
    theirs = admin.get_by_role("region", name="Reviews", exact=True)
    theirs.get_by_role("radio", name="5 stars").check()
    theirs.get_by_role("button", name="Save my review").click()
    expect(theirs).to_contain_text("3.5 of 5 (2 reviews)")
    theirs.get_by_role("button", name=f"Remove {READER[0]}'s review").click()
    expect_announced(admin, f"{READER[0]}'s review was removed.")
    expect(theirs).to_contain_text("5 of 5 (1 review)")
    theirs.get_by_role("button", name="Delete my review").click()
    expect(theirs).to_contain_text("No one has reviewed")

    page.reload()
    expect(page.get_by_role("region", name="Reviews", exact=True)).to_contain_text(
        "No one has reviewed"
    )


def test_the_model_page_offers_the_hub_snippets(
    admin_page: Page, ui_registry: SeededRegistry
) -> None:
    page = admin_page
    _open(page, ui_registry, "bert-base-uncased")
    section = page.get_by_role("region", name="Use from Python", exact=True)
    expect(section).to_contain_text("google-bert/bert-base-uncased")
    expect(section).to_contain_text(
        'snapshot_download("google-bert/bert-base-uncased", endpoint="' + ui_registry.url + '/hf")'
    )
    expect(section).to_contain_text('AutoModel.from_pretrained("google-bert/bert-base-uncased")')
    link = section.get_by_role("link", name=f"{ui_registry.url}/hf")
    expect(link).to_have_attribute(
        "href", f"{ui_registry.url}/hf/api/models/google-bert/bert-base-uncased"
    )
    assert_accessible(page, "use from python")


def test_the_choose_page_sorts_by_score_filters_and_pages(
    admin_page: Page, ui_registry: SeededRegistry
) -> None:
    page = admin_page
    page.goto("/ui/artifacts")
    page.get_by_role("link", name=re.compile("Compare artifacts")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Choose an artifact")
    table = page.get_by_role("table")
    expect(table).to_be_visible()
    score_header = page.get_by_role("columnheader", name=re.compile("Net score"))
    expect(score_header).to_have_attribute("aria-sort", "descending")
    # Scored models first, each with its vetted mark (the seed's ratings all pass the gate).
    first_row = table.get_by_role("row").nth(1)
    expect(first_row).to_contain_text(re.compile(r"0\.\d\d, vetted"))
    assert_accessible(page, "choose")
    screenshot(page, "choose")

    scores = [
        float(m.group(1))
        for text in table.locator("tbody tr td:nth-child(3)").all_inner_texts()
        if (m := re.search(r"(\d\.\d\d)", text))
    ]
    assert scores == sorted(scores, reverse=True)
    assert len(scores) >= 2

    score_header.get_by_role("button").click()
    expect(score_header).to_have_attribute("aria-sort", "ascending")

    page.get_by_label("Type").select_option("dataset")
    page.get_by_role("button", name="Apply").click()
    expect(page.locator("[data-results-for]")).to_have_attribute(
        "data-results-for", re.compile("type=dataset")
    )
    rows = table.locator("tbody tr")
    expect(rows).to_have_count(len(ui_registry.by_type("dataset")))

    page.get_by_label("Type").select_option("")
    page.get_by_label("Sort by").select_option("name")
    page.get_by_role("button", name="Apply").click()
    expect(page.get_by_role("columnheader", name=re.compile("Name"))).to_have_attribute(
        "aria-sort", "ascending"
    )
    names = table.locator("tbody th").all_inner_texts()
    assert names == sorted(names, key=str.lower)
    expect(page.locator("#choose-summary")).to_contain_text("Page 1:")
