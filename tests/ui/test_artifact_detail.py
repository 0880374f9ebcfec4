"""Artifact detail: metadata and details, the rating chart and its table, the lineage graph
(keyboard-walkable nodes) and its tables, cost, license check, downloads with progress, the
audit trail, and delete behind a modal confirmation; each section's own error and empty states."""

from __future__ import annotations

import io
import json
import re
import zipfile
from collections.abc import Iterator

import httpx
import pytest
from playwright.sync_api import Page, Route, expect

from tests.fakes.pickles import os_system_pickle, plain_data_pickle
from tests.ui.browser import (
    assert_accessible,
    expect_announced,
    has_visible_focus,
    screenshot,
    tab_to,
    title,
)
from tests.ui.seed import ADMIN_NAME, CONTRIBUTOR, UPLOADED_NAME, UPLOADED_VERSION, SeededRegistry


def detail_url(registry: SeededRegistry, name: str) -> str:
    meta = registry.artifacts[name]
    return f"/ui/artifacts/{meta['type']}/{meta['id']}"


def open_detail(page: Page, registry: SeededRegistry, name: str) -> None:
    page.goto(detail_url(registry, name))
    expect(page.get_by_role("heading", level=1, name=name)).to_be_visible()
    expect(page).to_have_title(title(name))


def section(page: Page, name: str):
    return page.get_by_role("region", name=name, exact=True)


def wait_settled(page: Page) -> None:
    """Every section finished loading (none is aria-busy)."""
    expect(page.locator("[aria-busy=true]")).to_have_count(0)


@pytest.fixture
def admin_api(ui_registry: SeededRegistry) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=ui_registry.url, timeout=60) as client:
        token = client.put(
            "/authenticate",
            json={
                "user": {"name": ADMIN_NAME, "is_admin": True},
                "secret": {"password": ui_registry.passwords[ADMIN_NAME]},
            },
        ).json()
        client.headers["X-Authorization"] = token
        yield client


def test_model_detail_shows_every_section_and_walks_the_lineage_by_keyboard(
    admin_page: Page, ui_registry: SeededRegistry
) -> None:
    page = admin_page
    name = "minilm-imdb-sentiment-onnx"
    open_detail(page, ui_registry, name)
    expect_announced(page, f"Model {name} loaded.")
    wait_settled(page)

    metadata = section(page, "Metadata")
    expect(metadata).to_contain_text(ui_registry.artifacts[name]["id"])
    expect(metadata).to_contain_text("Hugging Face model")
    expect(metadata).to_contain_text("Registered by")
    expect(metadata).to_contain_text("UTC")

    # The rating: a chart with a summary, and the same numbers in a table.
    rating = section(page, "Rating")
    chart = rating.get_by_role("img")
    expect(chart).to_have_attribute("aria-label", re.compile(r"net score 0\.\d\d out of 1"))
    rating.get_by_text("Show the rating as a table").click()
    table = rating.get_by_role("table")
    expect(table.locator("tbody tr")).to_have_count(15)  # 11 metrics + 4 devices
    expect(table.get_by_role("rowheader", name="Size score: Raspberry Pi")).to_be_visible()
    expect(table.locator("tbody tr").first).to_contain_text(
        re.compile(r"Net score\s*0\.\d\d\s*\d+ ms")
    )

    # The lineage: registered ancestors are links, external ones are drawn differently.
    lineage = section(page, "Lineage")
    graph = lineage.get_by_role("group", name=re.compile("Lineage graph of"))
    expect(graph).to_have_attribute("aria-label", re.compile(r"8 artifacts and 7 relationships"))
    expect(graph.locator(".lineage__node--external")).to_have_count(2)
    expect(graph.locator(".lineage__node--current")).to_have_count(1)
    expect(graph.get_by_role("link")).to_have_count(5)
    lineage.get_by_text("Show the lineage as tables").click()
    edges = lineage.locator("#lineage-edges tbody tr")
    expect(edges).to_have_count(7)
    expect(lineage.locator("#lineage-edges")).to_contain_text("is the fine-tuning dataset of")
    expect(lineage.locator("#lineage-nodes")).to_contain_text("not registered")

    # Cost with and without dependencies.
    cost = section(page, "Cost")
    expect(cost.locator("#cost-alone")).to_contain_text(re.compile(r"MB \(\d"))
    expect(cost.locator("#cost-total")).to_contain_text("registered dependencies")
    expect(cost.get_by_role("rowheader", name="minilm-base")).to_be_visible()

    # Audit trail: user and UTC time.
    audit = section(page, "Audit trail")
    expect(audit.get_by_role("table")).to_contain_text(ADMIN_NAME)
    expect(audit.get_by_role("table")).to_contain_text(
        re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC")
    )

    assert_accessible(page, "artifact detail, model loaded with tables open")
    screenshot(page, "artifact-detail")

    # Keyboard only: Tab to the parent's node in the graph and follow it.
    parent = graph.get_by_role("link", name="minilm-imdb-sentiment model", exact=True)
    tab_to(page, parent, max_presses=80)
    assert has_visible_focus(page)
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1, name="minilm-imdb-sentiment")).to_be_visible()
    expect(page).to_have_url(re.compile(detail_url(ui_registry, "minilm-imdb-sentiment") + "$"))
    expect(page.get_by_role("heading", level=1)).to_be_focused()
    wait_settled(page)
    assert_accessible(page, "artifact detail, reached through the lineage graph")


def test_uploaded_model_has_version_and_an_empty_lineage(
    admin_page: Page, ui_registry: SeededRegistry
) -> None:
    page = admin_page
    open_detail(page, ui_registry, UPLOADED_NAME)
    wait_settled(page)
    metadata = section(page, "Metadata")
    expect(metadata).to_contain_text(UPLOADED_VERSION)
    expect(metadata).to_contain_text("Uploaded zip (acme.zip)")
    expect(metadata).to_contain_text("apache-2.0")
    empty = section(page, "Lineage").locator("#lineage-empty")
    expect(empty).to_contain_text("No ancestors are recorded")
    assert_accessible(page, "artifact detail, empty lineage")
    screenshot(page, "artifact-detail-empty-lineage")


def test_dataset_detail_has_no_model_sections(
    admin_page: Page, ui_registry: SeededRegistry
) -> None:
    page = admin_page
    open_detail(page, ui_registry, "imdb")
    wait_settled(page)
    for absent in ("Rating", "Lineage", "License check"):
        expect(section(page, absent)).to_have_count(0)
    expect(section(page, "Cost")).to_contain_text("no registered dependencies")
    assert_accessible(page, "artifact detail, dataset")


def test_a_failing_section_does_not_blank_the_page(
    admin_page: Page, ui_registry: SeededRegistry
) -> None:
    page = admin_page
    body = json.dumps(
        {
            "detail": "The lineage service is unavailable; try again shortly.",
            "code": "unavailable",
            "trace_id": "abc123",
        }
    )
    for pattern in ("**/lineage", "**/cost?dependency=true", "**/rate", "**/audit"):
        page.route(
            pattern,
            lambda route: route.fulfill(status=503, body=body, content_type="application/json"),
        )
    open_detail(page, ui_registry, "minilm-base")
    wait_settled(page)
    expect(section(page, "Lineage")).to_contain_text("Could not load the lineage.")
    expect(section(page, "Lineage")).to_contain_text("abc123")
    expect(section(page, "Rating")).to_contain_text("Could not load the rating.")
    expect(section(page, "Audit trail")).to_contain_text("Could not load the audit trail.")
    cost = section(page, "Cost")
    expect(cost).to_contain_text("Could not load the cost with dependencies.")
    expect(cost.locator("#cost-alone")).to_contain_text("MB")  # the other call still answered
    expect(section(page, "Metadata")).to_contain_text("Hugging Face model")
    expect_announced(page, "Could not load the lineage.", assertive=True)
    assert_accessible(page, "artifact detail, sections failing")
    screenshot(page, "artifact-detail-errors")


def test_rating_pending_is_explained(admin_page: Page, ui_registry: SeededRegistry) -> None:
    page = admin_page
    body = '{"detail": "Model has no rating (it may still be computing).", "code": "not_found"}'
    page.route(
        "**/rate",
        lambda route: route.fulfill(status=404, body=body, content_type="application/json"),
    )
    open_detail(page, ui_registry, "whisper-tiny")
    wait_settled(page)
    pending = section(page, "Rating").locator("#rating-pending")
    expect(pending).to_contain_text("Not rated yet")
    expect(pending).to_contain_text("it may still be computing")
    assert_accessible(page, "artifact detail, rating pending")


def test_license_check_validates_and_announces(
    admin_page: Page, ui_registry: SeededRegistry
) -> None:
    page = admin_page
    open_detail(page, ui_registry, "bert-base-uncased")
    wait_settled(page)
    form = section(page, "License check")
    field = form.get_by_label("GitHub repository URL")
    form.get_by_role("button", name="Check licenses").click()
    expect(field).to_be_focused()
    expect(field).to_have_attribute("aria-invalid", "true")
    expect(field).to_have_accessible_description(re.compile("Enter the GitHub repository's URL"))
    assert_accessible(page, "artifact detail, license form invalid")

    field.fill("https://github.com/google-research/bert")
    field.press("Enter")
    expect(form.locator("#license-result")).to_contain_text("Compatible.")
    expect_announced(page, "Compatible:")
    assert_accessible(page, "artifact detail, license result")


def test_downloads_by_keyboard_with_progress_and_announcement(
    page_factory, ui_registry: SeededRegistry
) -> None:
    page = page_factory(CONTRIBUTOR[0])
    name = "minilm-base"
    open_detail(page, ui_registry, name)
    wait_settled(page)
    downloads = section(page, "Downloads")
    expect(downloads).to_contain_text(re.compile(r"every file.*; \d+(\.\d+)? kB"))
    card = downloads.get_by_role("button", name="Download card")
    tab_to(page, card, max_presses=120)
    assert has_visible_focus(page)
    with page.expect_download() as info:
        page.keyboard.press("Enter")
    download = info.value
    assert download.suggested_filename == f"{name}-card.zip"
    with zipfile.ZipFile(io.BytesIO(open(download.path(), "rb").read())) as archive:
        assert "manifest.json" in archive.namelist()
    expect_announced(page, f"Downloaded {name}-card.zip")
    expect(downloads.locator("[data-part=card] .alert--success")).to_contain_text("SHA-256")

    # A slow full bundle: the progress bar shows, and Cancel stops it.
    # A full bundle whose answer is held back: in progress, then cancelled.
    held: list[Route] = []
    page.route("**/download?part=full", lambda route: held.append(route))
    downloads.get_by_role("button", name="Download full bundle").click()
    expect(downloads.get_by_role("button", name="Downloading…")).to_be_disabled()
    expect(downloads.locator("[data-part=full] progress")).to_be_visible()
    assert_accessible(page, "artifact detail, download in progress")
    screenshot(page, "artifact-detail-download-progress")
    downloads.get_by_role("button", name=re.compile("Cancel")).click()
    expect_announced(page, "Download of the full bundle cancelled.")
    expect(downloads.get_by_role("button", name="Download full bundle")).to_be_focused()
    assert_accessible(page, "artifact detail, downloads done")
    page.unroute_all(behavior="ignoreErrors")


def test_reader_sees_why_downloads_and_delete_are_missing(
    user_page: Page, ui_registry: SeededRegistry
) -> None:
    page = user_page
    open_detail(page, ui_registry, "bert-base-uncased")
    wait_settled(page)
    expect(page.locator("#downloads-not-permitted")).to_contain_text(
        "lacks the download permission"
    )
    expect(section(page, "Delete")).to_have_count(0)
    expect(
        page.get_by_role("navigation", name="Main").get_by_role("link", name="Register")
    ).to_have_count(0)
    assert_accessible(page, "artifact detail, reader")


def _zip(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for path, data in files.items():
            archive.writestr(path, data)
    return buffer.getvalue()


def test_delete_with_an_accessible_confirmation(
    admin_page: Page, admin_api: httpx.Client, ui_registry: SeededRegistry
) -> None:
    # Our own artifact: the seeded ones stay.
    created = admin_api.post(
        "/artifact/code/upload",
        files={
            "file": ("ui-delete-me.zip", _zip({"README.md": b"# delete me\n"}), "application/zip")
        },
        data={"name": "ui-delete-me", "version": "0.0.1"},
    )
    assert created.status_code == 201, created.text
    meta = created.json()["metadata"]
    try:
        page = admin_page
        page.goto(f"/ui/artifacts/code/{meta['id']}")
        expect(page.get_by_role("heading", level=1, name="ui-delete-me")).to_be_visible()
        wait_settled(page)
        trigger = page.get_by_role("button", name="Delete ui-delete-me…")
        tab_to(page, trigger, max_presses=120)
        page.keyboard.press("Enter")
        dialog = page.get_by_role("dialog", name="Delete ui-delete-me?")
        expect(dialog).to_be_visible()
        cancel = dialog.get_by_role("button", name="Cancel")
        confirm = dialog.get_by_role("button", name="Delete permanently")
        expect(cancel).to_be_focused()
        assert_accessible(page, "artifact detail, delete dialog open")
        screenshot(page, "artifact-detail-delete-dialog")
        # Focus stays inside: Tab and Shift+Tab cycle between the two buttons.
        page.keyboard.press("Tab")
        expect(confirm).to_be_focused()
        page.keyboard.press("Tab")
        expect(cancel).to_be_focused()
        page.keyboard.press("Shift+Tab")
        expect(confirm).to_be_focused()
        # Escape closes, focus returns to the trigger, nothing was deleted.
        page.keyboard.press("Escape")
        expect(dialog).to_be_hidden()
        expect(trigger).to_be_focused()
        assert admin_api.get(f"/artifacts/code/{meta['id']}").status_code == 200

        page.keyboard.press("Enter")
        expect(dialog).to_be_visible()
        page.keyboard.press("Tab")
        page.keyboard.press("Enter")
        expect(page).to_have_url(re.compile(r"/ui/artifacts$"))
        expect_announced(page, "Deleted ui-delete-me.")
        assert admin_api.get(f"/artifacts/code/{meta['id']}").status_code == 404
    finally:
        admin_api.delete(f"/artifacts/code/{meta['id']}")


def test_weights_scan_verdict_in_words_with_the_offending_imports(
    admin_page: Page, admin_api: httpx.Client, ui_registry: SeededRegistry
) -> None:
    # Our own artifact with a planted os.system pickle (never loaded): the seeded ones stay.
    created = admin_api.post(
        "/artifact/dataset/upload",
        files={
            "file": (
                "ui-planted.zip",
                _zip(
                    {
                        "README.md": b"# planted\n",
                        "pytorch_model.bin": os_system_pickle(),
                        "labels.pkl": plain_data_pickle(),
                    }
                ),
                "application/zip",
            )
        },
        data={"name": "ui-planted-pickle"},
    )
    assert created.status_code == 201, created.text
    meta = created.json()["metadata"]
    try:
        page = admin_page
        page.goto(f"/ui/artifacts/dataset/{meta['id']}")
        expect(page.get_by_role("heading", level=1, name="ui-planted-pickle")).to_be_visible()
        wait_settled(page)
        scan = section(page, "Weights scan")
        # The verdict is words, not only the alert's colour.
        expect(scan.locator("#weights-scan-verdict")).to_contain_text("Unsafe:")
        expect(scan.locator("#weights-scan-verdict")).to_contain_text("1 pickle-based file imports")
        table = scan.get_by_role("table", name=re.compile("Pickle-based files in the bundle"))
        unsafe_row = table.get_by_role("row", name=re.compile("pytorch_model.bin"))
        expect(unsafe_row).to_contain_text("Unsafe")
        expect(unsafe_row).to_contain_text("os.system (dangerous: runs commands or code)")
        expect(table.get_by_role("row", name=re.compile("labels.pkl"))).to_contain_text("Safe")
        expect(scan).to_contain_text("Scanned by registry-pickle-opcodes")
        expect(page.get_by_role("navigation", name="Sections of this page")).to_contain_text(
            "Weights scan"
        )
        assert_accessible(page, "artifact detail, unsafe weights scan")
        screenshot(page, "artifact-detail-weights-scan")

        # A bundle without pickles says so, and that not scanned is not safe.
        open_detail(page, ui_registry, UPLOADED_NAME)
        wait_settled(page)
        verdict = section(page, "Weights scan").locator("#weights-scan-verdict")
        expect(verdict).to_contain_text("Not scanned:")
        expect(verdict).to_contain_text("no pickle-based files in the bundle")
        expect(verdict).to_contain_text("Not scanned is not the same as safe.")
    finally:
        admin_api.delete(f"/artifacts/dataset/{meta['id']}")


def test_details_extension_answers_with_version_and_permissions(
    admin_api: httpx.Client, ui_registry: SeededRegistry
) -> None:
    meta = ui_registry.artifacts[UPLOADED_NAME]
    details = admin_api.get(f"/artifacts/model/{meta['id']}/details")
    assert details.status_code == 200, details.text
    body = details.json()
    assert body["version"] == UPLOADED_VERSION
    assert body["name"] == UPLOADED_NAME
    assert body["type"] == "model"
    assert body["source_kind"] == "upload"
    assert body["uploader"] == ADMIN_NAME
    assert body["bundle_bytes"] > 0
    assert body["rating"]["vetted"] is True
    assert admin_api.get(f"/artifacts/dataset/{meta['id']}/details").status_code == 404
    anonymous = httpx.get(f"{ui_registry.url}/artifacts/model/{meta['id']}/details")
    assert anonymous.status_code == 403
    with httpx.Client(base_url=ui_registry.url) as newcomer:
        token = newcomer.put(
            "/authenticate",
            json={
                "user": {"name": "ui-newcomer", "is_admin": False},
                "secret": {"password": ui_registry.passwords["ui-newcomer"]},
            },
        ).json()
        refused = newcomer.get(
            f"/artifacts/model/{meta['id']}/details", headers={"X-Authorization": token}
        )
        assert refused.status_code == 401
