"""Sensitive models in the browser: the flag and monitor editor with its last outcome, a
refused download showing the monitor's output (the session goes on), and the download history
for the uploader and admins only (R18, R19)."""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Callable

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.ui.browser import assert_accessible, expect_announced, screenshot
from tests.ui.seed import ADMIN_NAME, CONTRIBUTOR, READER, SeededRegistry

REFUSE = "console.log('not approved for ' + process.argv[4]);\nprocess.exit(3);\n"


def _zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("secret-model/README.md", "---\nlicense: mit\n---\n# Secret model\n")
        archive.writestr("secret-model/config.json", '{"model_type": "bert"}')
        archive.writestr("secret-model/model.safetensors", b"\x00" * 4096)
    return buffer.getvalue()


def _contributor_upload(registry: SeededRegistry, name: str) -> str:
    with httpx.Client(base_url=registry.url, timeout=60) as client:
        token = client.put(
            "/authenticate",
            json={
                "user": {"name": CONTRIBUTOR[0], "is_admin": False},
                "secret": {"password": registry.passwords[CONTRIBUTOR[0]]},
            },
        ).json()
        created = client.post(
            "/artifact/model/upload",
            files={"file": ("secret.zip", _zip(), "application/zip")},
            data={"name": name},
            headers={"X-Authorization": token},
        )
        assert created.status_code == 201, created.text
        model_id: str = created.json()["metadata"]["id"]
        return model_id


def _section(page: Page, name: str):
    return page.get_by_role("region", name=name, exact=True)


@pytest.fixture(scope="module")
def secret_model(ui_registry: SeededRegistry) -> str:
    return _contributor_upload(ui_registry, "ui-secret-model")


def test_the_uploader_sets_a_monitor_sees_the_refusal_and_the_history(
    page_factory: Callable[[str | None], Page], secret_model: str
) -> None:
    page = page_factory(CONTRIBUTOR[0])
    page.goto(f"/ui/artifacts/model/{secret_model}")
    expect(page.get_by_role("heading", level=1, name="ui-secret-model")).to_be_visible()
    expect(page.locator("[aria-busy=true]")).to_have_count(0)

    monitor = _section(page, "Sensitive model and monitor")
    expect(monitor).to_contain_text("Never marked sensitive.")
    monitor.get_by_role("checkbox", name=re.compile("Sensitive: run")).check()
    monitor.get_by_label("Monitor program (JavaScript)").fill(REFUSE)
    monitor.get_by_role("button", name="Save monitor").click()
    expect_announced(page, "Saved: ui-secret-model is sensitive, with a monitor.")
    expect(monitor).to_contain_text(f"Last changed by {CONTRIBUTOR[0]}")
    expect(monitor.get_by_label("Monitor program (JavaScript)")).to_have_value(REFUSE)

    downloads = _section(page, "Downloads")
    downloads.get_by_role("button", name="Download card").click()
    refusal = downloads.locator("[data-part=card] .alert--error")
    expect(refusal).to_contain_text(f"not approved for {CONTRIBUTOR[0]}")
    expect(refusal).to_contain_text("exit code 3")
    # A refused download is not an ended session: still signed in, still on the page.
    expect(page.get_by_role("heading", level=1, name="ui-secret-model")).to_be_visible()

    page.reload()
    expect(page.locator("[aria-busy=true]")).to_have_count(0)
    history = _section(page, "Download history")
    rows = history.locator("#download-history-table tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("Refused by the monitor")
    expect(rows.first).to_contain_text(CONTRIBUTOR[0])
    expect(rows.first).to_contain_text("card")
    expect(rows.first).to_contain_text(f"not approved for {CONTRIBUTOR[0]}")
    last = _section(page, "Sensitive model and monitor").locator("#monitor-last-outcome")
    expect(last).to_contain_text("Refused by the monitor (exit code 3)")
    assert_accessible(page, "artifact detail, sensitive model with a monitor and its history")
    screenshot(page, "artifact-detail-sensitive")


def test_others_may_edit_the_monitor_but_only_admins_read_the_history(
    page_factory: Callable[[str | None], Page], ui_registry: SeededRegistry
) -> None:
    model_id = _contributor_upload(ui_registry, "ui-secret-model-2")
    reader = page_factory(READER[0])
    reader.goto(f"/ui/artifacts/model/{model_id}")
    expect(reader.locator("[aria-busy=true]")).to_have_count(0)
    expect(reader.locator("#download-history-not-permitted")).to_contain_text(
        "Only the uploader of ui-secret-model-2 and admins"
    )
    monitor = _section(reader, "Sensitive model and monitor")
    monitor.get_by_role("checkbox", name=re.compile("Sensitive: run")).check()
    monitor.get_by_label("Monitor program (JavaScript)").fill("x".join("//" for _ in range(40000)))
    expect(monitor.locator("#monitor-program-error")).to_contain_text("larger than 65536 bytes")
    expect(monitor.get_by_role("button", name="Save monitor")).to_be_disabled()
    monitor.get_by_label("Monitor program (JavaScript)").fill("process.exit(0);")
    monitor.get_by_role("button", name="Save monitor").click()
    expect_announced(reader, "Saved: ui-secret-model-2 is sensitive, with a monitor.")
    expect(monitor).to_contain_text(f"Last changed by {READER[0]}")
    assert_accessible(reader, "artifact detail, sensitive model, a reader")

    admin = page_factory(ADMIN_NAME)
    admin.goto(f"/ui/artifacts/model/{model_id}")
    expect(admin.locator("[aria-busy=true]")).to_have_count(0)
    expect(admin.locator("#download-history-empty")).to_contain_text(
        "No download of ui-secret-model-2 has been recorded"
    )
    admin_monitor = _section(admin, "Sensitive model and monitor")
    admin_monitor.get_by_role("button", name="Delete program").click()
    expect_announced(admin, "Deleted the monitor program of ui-secret-model-2.")
    expect(admin_monitor.get_by_role("button", name="Delete program")).to_have_count(0)
