"""The web UI: the static build of `ui/` served at /ui/ on the API's own origin (no CORS).

A single-page application: every /ui/<client route> answers index.html and the browser's
router picks the page. Vite names the files under assets/ by content hash, so they are cached
for a year as immutable; index.html is revalidated on every load (`no-cache`), which is what
makes a new build visible at once. None of these routes is part of the API document.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import FastAPI
from fastapi.responses import RedirectResponse
from starlette.exceptions import HTTPException
from starlette.responses import Response
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

from registry_common.errors import RegistryError

UI_PREFIX = "/ui"
IMMUTABLE = "public, max-age=31536000, immutable"
REVALIDATE = "no-cache"
# Everything the UI loads comes from this origin; the API is same-origin as well.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'self'; "
    "form-action 'self'; frame-ancestors 'none'"
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
}


class WebUINotBuilt(RegistryError):
    status = 503
    code = "web_ui_not_built"


def locate_ui_dir(configured: Path | None, *, cwd: Path | None = None) -> Path:
    """Where the built UI lives.

    1. `GATEWAY_UI_DIR` when set (containers point it at their copy of the build).
    2. The checkout this code runs from: the nearest ancestor of this file holding
       `ui/package.json`, then `ui/dist` there. A workspace install (`uv sync`) imports the
       gateway from `services/gateway/src`, so this finds the repository whatever the
       working directory is.
    3. `<working directory>/ui/dist` (an installed wheel run from a checkout's root).

    The directory need not exist yet: the UI is looked for on every request, so a build made
    while the registry runs is served without a restart.
    """
    if configured is not None:
        return configured
    for parent in Path(__file__).resolve().parents:
        if (parent / "ui" / "package.json").is_file():
            return parent / "ui" / "dist"
    return (cwd or Path.cwd()) / "ui" / "dist"


class _SinglePageApp(StaticFiles):
    """Files of the build; any other path below /ui/ is a client route and gets index.html."""

    def __init__(self, directory: Path) -> None:
        # check_dir=False: the build may appear after start (see locate_ui_dir).
        super().__init__(directory=directory, check_dir=False)
        self.root = directory

    async def check_config(self) -> None:
        # Starlette refuses to serve from a missing directory; get_response answers that
        # case with the 503 that says how to build the UI instead.
        return None

    async def get_response(self, path: str, scope: Scope) -> Response:
        index = self.root / "index.html"
        if not index.is_file():
            raise WebUINotBuilt(
                f"The web UI is not built (no {index}). Build it with `make ui` (npm ci and "
                "npm run build in ui/), or set GATEWAY_UI_DIR to a built copy. The API itself "
                "is available; see /docs."
            )
        try:
            response = await super().get_response(path, scope)
        except HTTPException as exc:
            # A missing hashed asset is a real 404 (a stale page asking for an old build),
            # never index.html: HTML served as JavaScript only hides the problem.
            if exc.status_code != 404 or path.startswith("assets/"):
                raise
            response = await super().get_response("index.html", scope)
            return _with_headers(response, REVALIDATE)
        if path.startswith("assets/"):
            return _with_headers(response, IMMUTABLE)
        return _with_headers(response, REVALIDATE)


def _with_headers(response: Response, cache_control: str) -> Response:
    response.headers["Cache-Control"] = cache_control
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    return response


def mount_web_ui(app: FastAPI, ui_dir: Path) -> None:
    """`/` and `/ui` redirect to `/ui/`; `/ui/...` serves the build. Added after the API's
    routes, and under a prefix no API route uses, so it can never shadow one."""

    async def to_ui() -> Any:
        # 307: temporary, so browsers do not remember it if `/` ever serves something else.
        return RedirectResponse(f"{UI_PREFIX}/", status_code=307)

    for path in ("/", UI_PREFIX):
        app.add_api_route(path, to_ui, methods=["GET", "HEAD"], include_in_schema=False)
    app.mount(UI_PREFIX, _SinglePageApp(ui_dir), name="web-ui")
