"""Helpers of the browser tests: accessibility scans, screenshots, keyboard-only driving and
the UI's live announcements. Import them in tests; the fixtures are in conftest.py."""

from __future__ import annotations

import json
import os
import re
from functools import cache
from pathlib import Path

import pytest
from playwright.sync_api import Locator, Page, expect

REPO_ROOT = Path(__file__).resolve().parents[2]
UI_DIR = REPO_ROOT / "ui"
AXE_JS = UI_DIR / "node_modules" / "axe-core" / "axe.min.js"
CHROMIUM = Path(os.environ.get("UI_CHROMIUM", "/usr/bin/chromium"))
# Debian's chromium, never a downloaded one (`playwright install` is not used).
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--no-first-run",
    "--disable-quic",
    "--disable-component-update",
    "--disable-sync",
]
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


def title(page_name: str) -> str:
    """document.title of a page (ui/src/app/title.ts): the page first, an en dash, the app."""
    return f"{page_name} \u2013 Model Registry"


def require_browser_and_build() -> None:
    """Fail (never skip) with the command that fixes what is missing."""
    if not os.access(CHROMIUM, os.X_OK):
        pytest.fail(
            f"The UI tests need Debian's chromium at {CHROMIUM}. Install it with `make chromium` "
            "(apt-get install -y chromium chromium-driver), or set UI_CHROMIUM to its path.",
            pytrace=False,
        )
    if not (UI_DIR / "dist" / "index.html").is_file() or not AXE_JS.is_file():
        pytest.fail(
            "The UI tests need the built web UI and axe-core: run `make ui` "
            "(npm ci and npm run build in ui/).",
            pytrace=False,
        )


@cache
def _axe_source() -> str:
    return AXE_JS.read_text(encoding="utf-8")


def assert_accessible(page: Page, context_name: str) -> None:
    """Run axe-core's WCAG 2.1 A/AA rules on the page as it is now; fail listing every
    violation (rule, impact, the elements, and what to do)."""
    # Evaluated through the DevTools protocol, so the page's CSP (script-src 'self') stays on.
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.evaluate(_axe_source())
    results = page.evaluate(
        """async (tags) => {
            const result = await window.axe.run(document, {
                runOnly: { type: "tag", values: tags },
                resultTypes: ["violations"],
            });
            return result.violations.map((v) => ({
                id: v.id, impact: v.impact, help: v.help, helpUrl: v.helpUrl,
                nodes: v.nodes.map((n) => ({ target: n.target, summary: n.failureSummary })),
            }));
        }""",
        WCAG_TAGS,
    )
    if not results:
        return
    lines = [f"{len(results)} WCAG 2.1 A/AA violation(s) on {context_name} ({page.url}):"]
    for violation in results:
        lines.append(f"- {violation['id']} [{violation['impact']}]: {violation['help']}")
        lines.append(f"  {violation['helpUrl']}")
        for node in violation["nodes"][:10]:
            lines.append(f"    at {json.dumps(node['target'])}")
            for detail in (node["summary"] or "").splitlines():
                lines.append(f"      {detail}")
    pytest.fail("\n".join(lines), pytrace=False)


def screenshot(page: Page, name: str) -> None:
    """Writes <name>.png to $UI_SCREENSHOT_DIR (`make ui-screenshots` sets docs/ui); a no-op
    otherwise, so `make test` never changes the tree."""
    target = os.environ.get("UI_SCREENSHOT_DIR")
    if not target:
        return
    if not re.fullmatch(r"[a-z0-9][a-z0-9-]*", name):
        raise ValueError(f"screenshot names are kebab-case: {name!r}")
    directory = Path(target)
    directory.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(directory / f"{name}.png"), full_page=True, animations="disabled")


def expect_announced(page: Page, text: str | re.Pattern[str], *, assertive: bool = False) -> None:
    """The UI said `text` in its polite (or assertive) live region."""
    region = page.locator("#live-assertive" if assertive else "#live-polite")
    expect(region).to_contain_text(text)


def tab_to(page: Page, target: Locator, *, max_presses: int = 60, backwards: bool = False) -> None:
    """Press Tab (Shift+Tab) until `target` has focus: proves it is reachable by keyboard,
    in a sane order, and leaves focus there."""
    handle = target.element_handle()
    assert handle is not None, f"{target} is not on the page"
    key = "Shift+Tab" if backwards else "Tab"
    for _ in range(max_presses):
        if page.evaluate("(el) => document.activeElement === el", handle):
            return
        page.keyboard.press(key)
    focused = page.evaluate(
        "() => { const e = document.activeElement; return e ? e.outerHTML.slice(0, 120) : null; }"
    )
    pytest.fail(f"{target} not reached with {max_presses} x {key}; focus is on {focused}")


def focused_text(page: Page) -> str:
    text: str = page.evaluate(
        "() => (document.activeElement && document.activeElement.textContent || '').trim()"
    )
    return text


def has_visible_focus(page: Page) -> bool:
    """The focused element draws an outline (our :focus-visible ring), not `outline: none`."""
    style: dict[str, str] = page.evaluate(
        """() => {
            const s = getComputedStyle(document.activeElement);
            return { style: s.outlineStyle, width: s.outlineWidth };
        }"""
    )
    return style["style"] not in ("none", "") and style["width"] not in ("0px", "")
