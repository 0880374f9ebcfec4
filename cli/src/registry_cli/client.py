"""The registry's public API as the CLI uses it: one httpx client, errors turned into one
line and an exit code (`ApiError`)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import IO, Any

import httpx

# Exit codes (docs/cli.md): scripts branch on them.
EXIT_USAGE = 1  # bad input: a wrong option, or a request the registry refused as invalid
EXIT_AUTH = 2  # not signed in, token expired or used up, or not permitted
EXIT_NOT_FOUND = 3  # no such artifact
EXIT_SERVER = 4  # the registry or one of its components is down, or unreachable

TIMEOUT = httpx.Timeout(60.0, connect=10.0)


class ApiError(Exception):
    """A failed call: `message` is one line for the terminal, `exit_code` as above."""

    def __init__(self, message: str, exit_code: int, status: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.exit_code = exit_code
        self.status = status


def exit_code_for(status: int) -> int:
    if status in (401, 403):
        return EXIT_AUTH
    if status == 404:
        return EXIT_NOT_FOUND
    if status >= 500:
        return EXIT_SERVER
    return EXIT_USAGE


def error_of(response: httpx.Response) -> ApiError:
    """The server's own sentence (`detail`) with the status and trace id to quote."""
    detail = ""
    try:
        body = response.json()
        if isinstance(body, dict):
            detail = str(body.get("detail") or body.get("message") or "")
    except ValueError:
        detail = response.text.strip()
    detail = " ".join(detail.split()) or response.reason_phrase or "no explanation given"
    if response.status_code == 403:
        detail += " (run `registry login` to get a new token)"
    trace = response.headers.get("x-trace-id")
    suffix = f"HTTP {response.status_code}" + (f", trace {trace}" if trace else "")
    return ApiError(
        f"{detail} [{suffix}]", exit_code_for(response.status_code), response.status_code
    )


class Registry:
    """A signed-in (or anonymous) session with one registry."""

    def __init__(self, url: str, token: str | None = None) -> None:
        headers = {"X-Authorization": token} if token else {}
        self.url = url.rstrip("/")
        self._http = httpx.Client(base_url=self.url, headers=headers, timeout=TIMEOUT)

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> Registry:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def _send(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        try:
            response = self._http.request(method, path, **kwargs)
        except httpx.HTTPError as exc:
            raise unreachable(self.url, exc) from exc
        if response.status_code >= 400:
            raise error_of(response)
        return response

    def authenticate(self, user: str, password: str, is_admin: bool) -> str:
        body = {"user": {"name": user, "is_admin": is_admin}, "secret": {"password": password}}
        token: str = self._send("PUT", "/authenticate", json=body).json()
        return token

    def ingest(self, kind: str, url: str, name: str | None) -> tuple[int, Any]:
        body = {"url": url} | ({"name": name} if name else {})
        response = self._send("POST", f"/artifact/{kind}", json=body)
        return response.status_code, response.json()

    def upload(
        self, kind: str, archive: IO[bytes], filename: str, name: str | None, version: str | None
    ) -> tuple[int, Any]:
        form = {key: value for key, value in (("name", name), ("version", version)) if value}
        response = self._send(
            "POST",
            f"/artifact/{kind}/upload",
            files={"file": (filename, archive, "application/zip")},
            data=form,
        )
        return response.status_code, response.json()

    def query(self, queries: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Every page of `POST /artifacts` (the `offset` header says a next page exists)."""
        results: list[dict[str, Any]] = []
        params: dict[str, str] = {}
        while True:
            response = self._send("POST", "/artifacts", json=queries, params=params)
            results.extend(response.json())
            offset = response.headers.get("offset")
            if not offset:
                return results
            params = {"offset": offset}

    def by_regex(self, regex: str) -> list[dict[str, Any]]:
        try:
            found: list[dict[str, Any]] = self._send(
                "POST", "/artifact/byRegEx", json={"regex": regex}
            ).json()
        except ApiError as exc:
            if exc.status == 404:  # the API's "no match": an empty result for a search
                return []
            raise
        return found

    def get(self, path: str) -> Any:
        return self._send("GET", path).json()

    def delete(self, kind: str, artifact_id: str) -> Any:
        response = self._send("DELETE", f"/artifacts/{kind}/{artifact_id}")
        return response.json() if response.content else None

    @contextmanager
    def stream(
        self, path: str, params: dict[str, str], headers: dict[str, str]
    ) -> Iterator[httpx.Response]:
        """A streamed GET; 416 is handed back (the caller decides whether it means done)."""
        try:
            with self._http.stream("GET", path, params=params, headers=headers) as response:
                if response.status_code >= 400 and response.status_code != 416:
                    response.read()
                    raise error_of(response)
                yield response
        except httpx.HTTPError as exc:
            raise unreachable(self.url, exc) from exc


def unreachable(url: str, exc: httpx.HTTPError) -> ApiError:
    reason = " ".join(str(exc).split()) or type(exc).__name__
    return ApiError(
        f"The registry at {url} could not be reached ({type(exc).__name__}: {reason}); "
        "check the URL (--url / REGISTRY_URL) and that it is running.",
        EXIT_SERVER,
    )
