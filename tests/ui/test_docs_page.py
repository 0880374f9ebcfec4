"""The API documentation page (/docs, FastAPI's Swagger UI page): its own markup passes the
WCAG 2.1 A/AA rules (it once lacked `<html lang>`).

Swagger UI's script and style come from FastAPI's default CDN, which tests cannot reach (they
touch loopback only), so the browser gets a stand-in that defines the global the page calls:
what is checked is the page the gateway serves."""

from __future__ import annotations

from playwright.sync_api import Page, Route, expect

from tests.ui.browser import assert_accessible

STAND_IN = """
window.SwaggerUIBundle = function (options) {
  const root = document.querySelector(options.dom_id);
  const heading = document.createElement("h1");
  heading.textContent = "API documentation (" + options.url + ")";
  root.appendChild(heading);
};
window.SwaggerUIBundle.presets = { apis: {} };
window.SwaggerUIBundle.SwaggerUIStandalonePreset = {};
"""


def _cdn(route: Route) -> None:
    if route.request.url.endswith(".js"):
        route.fulfill(status=200, content_type="application/javascript", body=STAND_IN)
    else:
        route.fulfill(status=200, content_type="text/css", body="")


def test_the_api_documentation_page_is_accessible(anon_page: Page) -> None:
    page = anon_page
    page.route("https://cdn.jsdelivr.net/**", _cdn)
    page.route("https://fastapi.tiangolo.com/**", lambda route: route.fulfill(status=204))
    page.goto("/docs")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page).to_have_title("Trustworthy Model Registry - API documentation")
    expect(page.get_by_role("heading", level=1)).to_have_text("API documentation (/openapi.json)")
    assert_accessible(page, "API documentation")
