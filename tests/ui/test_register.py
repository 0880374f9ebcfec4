"""Register: from a URL (201 rated, 202 rating pending, 424 refused by the quality gate, each in
words with a link or the failing metrics) and from an uploaded zip with a real progress bar,
cancel and announcements; client-side checks tied to their fields. Runs against its own
registry with the gate on, so the shared seeded registry is never changed."""

from __future__ import annotations

import io
import json
import re
import zipfile
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from registry_common.events import ArtifactUploaded
from registry_common.settings import RuntimeSettings
from registry_ingest.config import IngestSettings
from tests.fakes.github import FakeGitHub
from tests.fakes.hub import FakeHub
from tests.harness.registry import embedded
from tests.harness.scoring_double import rating, scoring_double
from tests.ui.browser import assert_accessible, expect_announced, screenshot, tab_to, title
from tests.ui.conftest import PageProblems, _new_context, _session_for
from tests.ui.seed import ADMIN_NAME, ADMIN_PASSWORD, CONTRIBUTOR, READER, SeededRegistry

HF = "https://huggingface.co"


def gated_rating(event: ArtifactUploaded) -> dict[str, Any] | None:
    """By the name asked for: refused (bus factor and license below 0.5), pending (no rating
    yet), else a good rating."""
    name = event.artifact.name
    if name.startswith("ui-refused"):
        return rating(0.8, bus_factor=0.2, license=0.1, reviewedness=-1)
    if name.startswith("ui-pending"):
        return None
    return rating(0.8)


@pytest.fixture(scope="module")
def gated_registry(
    tmp_path_factory: pytest.TempPathFactory, fake_hub: FakeHub, fake_github: FakeGitHub
) -> Iterator[SeededRegistry]:
    def settings(runtime: RuntimeSettings) -> dict[str, Any]:
        return {"ingest": IngestSettings(runtime=runtime, gate_enabled=True, rating_wait_seconds=2)}

    with embedded(
        tmp_path_factory.mktemp("ui-register-registry"),
        runtime={"hf_endpoint": fake_hub.url, "github_api_url": fake_github.url},
        settings=settings,
        factories={"scoring": scoring_double(gated_rating)},
    ) as running:
        registry = SeededRegistry(url=running.url, passwords={ADMIN_NAME: ADMIN_PASSWORD})
        with running.admin() as admin:
            for name, password, permissions in (CONTRIBUTOR, READER):
                created = admin.post(
                    "/users",
                    json={
                        "user": {"name": name, "is_admin": False},
                        "secret": {"password": password},
                        "permissions": permissions,
                    },
                )
                assert created.status_code == 201, created.text
                registry.passwords[name] = password
        yield registry


@pytest.fixture
def signed_in(browser: Browser, gated_registry: SeededRegistry) -> Iterator[Callable[[str], Page]]:
    """`make(user)`: a page on the gated registry, signed in as `user`."""
    opened: list[tuple[Any, PageProblems]] = []

    def make(user: str) -> Page:
        context = _new_context(browser, gated_registry)
        stored = _session_for(gated_registry, user)
        context.add_init_script(
            f"sessionStorage.setItem('registry.session', {json.dumps(json.dumps(stored))});"
        )
        page = context.new_page()
        opened.append((context, PageProblems(page)))
        return page

    yield make
    problems = [p for _, watcher in opened for p in watcher.problems]
    for context, _ in opened:
        context.close()
    assert not problems, "the page reported problems:\n" + "\n".join(problems)


def open_register(page: Page) -> None:
    page.goto("/ui/artifacts")
    nav = page.get_by_role("navigation", name="Main")
    nav.get_by_role("link", name="Register").click()
    expect(page.get_by_role("heading", level=1, name="Register an artifact")).to_be_visible()
    expect(page).to_have_title(title("Register an artifact"))


def url_form(page: Page):
    return page.get_by_role("region", name="From a URL")


def upload_form(page: Page):
    return page.get_by_role("region", name="Upload a zip")


def test_register_from_a_url_201_202_and_424(signed_in: Callable[[str], Page]) -> None:
    page = signed_in(CONTRIBUTOR[0])
    open_register(page)
    form = url_form(page)
    assert_accessible(page, "register, empty")
    screenshot(page, "register")

    # Client-side check, tied to the field, focus on it.
    form.get_by_role("button", name="Register").click()
    field = form.get_by_label("Source URL (required)")
    expect(field).to_be_focused()
    expect(field).to_have_attribute("aria-invalid", "true")
    expect(field).to_have_accessible_description(re.compile("Enter the URL"))
    expect_announced(page, "Check the form: Enter the URL", assertive=True)
    assert_accessible(page, "register, invalid URL")

    # 424: refused by the gate, with the failing metrics, nothing stored.
    field.fill(f"{HF}/google-bert/bert-base-uncased")
    form.get_by_label("Name (optional)").fill("ui-refused-bert")
    form.get_by_role("button", name="Register").click()
    outcome = form.locator("#url-outcome")
    expect(outcome).to_contain_text("Refused by the quality gate; nothing was stored.")
    expect(outcome).to_contain_text("bus_factor, license below 0.5")  # the server's sentence
    expect(outcome.get_by_role("listitem")).to_have_text(["Bus factor", "License"])
    expect_announced(page, "Refused by the quality gate.", assertive=True)
    assert_accessible(page, "register, 424 refused")
    screenshot(page, "register-refused")

    # 202: accepted, rating still running.
    form.get_by_label("Name (optional)").fill("ui-pending-whisper")
    field.fill(f"{HF}/openai/whisper-tiny")
    form.get_by_role("button", name="Register").click()
    expect(outcome).to_contain_text("Accepted, rating pending.", timeout=20_000)
    expect_announced(page, "its rating is still running")
    assert_accessible(page, "register, 202 pending")

    # 201: registered and rated, with a link to its page.
    form.get_by_label("Name (optional)").fill("ui-registered-minilm")
    form.get_by_label("Version (optional)").fill("3.0.0")
    field.fill(f"{HF}/lineage-lab/minilm-base")
    form.get_by_role("button", name="Register").click()
    expect(outcome).to_contain_text("Registered.", timeout=20_000)
    expect_announced(page, "Model ui-registered-minilm is registered and rated.")
    assert_accessible(page, "register, 201 registered")
    screenshot(page, "register-registered")
    link = outcome.get_by_role("link", name="Open ui-registered-minilm")
    tab_to(page, link, backwards=True)
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1, name="ui-registered-minilm")).to_be_visible()
    expect(page.get_by_role("region", name="Metadata")).to_contain_text("3.0.0")


def _zip(size: int) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_STORED) as archive:
        archive.writestr("tiny/README.md", b"---\nlicense: mit\n---\n# Tiny uploaded model\n")
        archive.writestr("tiny/config.json", b'{"model_type": "bert"}')
        archive.writestr("tiny/model.safetensors", bytes(size))
    return buffer.getvalue()


def test_upload_a_zip_with_progress_cancel_and_outcome(
    signed_in: Callable[[str], Page],
) -> None:
    page = signed_in(CONTRIBUTOR[0])
    open_register(page)
    form = upload_form(page)
    submit = form.get_by_role("button", name="Upload and register")

    # Client-side checks: a missing file, then a file that is not a zip.
    submit.click()
    file_input = form.get_by_label("Zip file (required)")
    expect(file_input).to_be_focused()
    expect(file_input).to_have_accessible_description(re.compile("Choose a zip file"))
    file_input.set_input_files(
        {"name": "notes.txt", "mimeType": "text/plain", "buffer": b"not a zip"}
    )
    form.get_by_label("Version (optional)").fill("bad version")
    submit.click()
    expect(file_input).to_have_accessible_description(re.compile("notes.txt is not a zip file"))
    expect(form.get_by_label("Version (optional)")).to_have_attribute("aria-invalid", "true")
    assert_accessible(page, "register, upload invalid")

    # A slow upload (throttled connection): the progress bar moves; Cancel aborts it.
    payload = _zip(3_000_000)
    file_input.set_input_files(
        {"name": "tiny-upload.zip", "mimeType": "application/zip", "buffer": payload}
    )
    form.get_by_label("Name (optional)").fill("ui-uploaded-tiny")
    form.get_by_label("Version (optional)").fill("0.1.0")
    cdp = page.context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send(
        "Network.emulateNetworkConditions",
        {"offline": False, "latency": 0, "downloadThroughput": -1, "uploadThroughput": 400_000},
    )
    submit.click()
    expect_announced(page, "Uploading tiny-upload.zip")
    bar = page.get_by_role("progressbar", name="Upload progress")
    expect(bar).to_be_visible()
    page.wait_for_function(
        "() => Number(document.getElementById('upload-progress-bar')?.value) > 0"
    )
    expect(page.locator("#upload-progress-text")).to_contain_text(re.compile(r"of 3\.\d+ MB"))
    assert_accessible(page, "register, upload in progress")
    screenshot(page, "register-upload-progress")
    form.get_by_role("button", name="Cancel upload").click()
    expect_announced(page, "Upload cancelled; nothing was registered.")
    expect(submit).to_be_focused()

    # Again at full speed: registered, announced, linked.
    cdp.send(
        "Network.emulateNetworkConditions",
        {"offline": False, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1},
    )
    submit.click()
    outcome = form.locator("#upload-outcome")
    expect(outcome).to_contain_text("Registered.", timeout=20_000)
    expect_announced(page, "Model ui-uploaded-tiny is registered and rated.")
    assert_accessible(page, "register, upload done")
    screenshot(page, "register-upload-done")
    outcome.get_by_role("link", name="Open ui-uploaded-tiny").click()
    metadata = page.get_by_role("region", name="Metadata")
    expect(metadata).to_contain_text("0.1.0")
    expect(metadata).to_contain_text("Uploaded zip (tiny-upload.zip)")


def test_the_server_sentence_is_shown_for_a_refused_zip(
    signed_in: Callable[[str], Page],
) -> None:
    page = signed_in(CONTRIBUTOR[0])
    open_register(page)
    form = upload_form(page)
    # Named .zip, so the client lets it through; the registry refuses it in its own words.
    form.get_by_label("Zip file (required)").set_input_files(
        {"name": "broken.zip", "mimeType": "application/zip", "buffer": b"PK not really"}
    )
    form.get_by_role("button", name="Upload and register").click()
    outcome = form.locator("#upload-outcome")
    expect(outcome).to_contain_text("Could not register the artifact.")
    expect(outcome).to_contain_text("not a zip archive or is damaged")
    expect_announced(page, "not a zip archive or is damaged", assertive=True)
    assert_accessible(page, "register, upload refused by the server")


def test_register_needs_the_upload_permission(signed_in: Callable[[str], Page]) -> None:
    page = signed_in(READER[0])
    page.goto("/ui/artifacts")
    expect(page.get_by_role("heading", level=1, name="Browse artifacts")).to_be_visible()
    nav = page.get_by_role("navigation", name="Main")
    expect(nav.get_by_role("link", name="Register")).to_have_count(0)
    page.goto("/ui/register")
    expect(page.get_by_role("heading", level=1, name="Not permitted")).to_be_visible()
    expect(page.get_by_text("lacks the upload permission")).to_be_visible()
    assert_accessible(page, "register, not permitted")
