"""The few public-API calls a load test makes, through the configured gateway like any
client: create the run's own user (as the admin who started the run), sign its clients in,
find the models and their expected sizes, and delete the user afterwards."""

from __future__ import annotations

from typing import Any

import httpx

from registry_common.errors import (
    BadRequest,
    ComponentUnavailable,
    Conflict,
    NotFound,
    RegistryError,
)

AUTH_HEADER = "X-Authorization"
SETUP_TIMEOUT = httpx.Timeout(30.0, connect=5.0)


def _message(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return f"HTTP {response.status_code}"
    detail = body.get("detail") if isinstance(body, dict) else None
    return str(detail) if detail else f"HTTP {response.status_code}"


class GatewayApi:
    """One client for the run's set-up calls (the downloads have a client each)."""

    def __init__(self, base_url: str, *, transport: httpx.AsyncBaseTransport | None = None):
        self.base_url = base_url
        self._http = httpx.AsyncClient(
            base_url=base_url, timeout=SETUP_TIMEOUT, follow_redirects=False, transport=transport
        )

    async def aclose(self) -> None:
        await self._http.aclose()

    async def _call(self, method: str, path: str, what: str, **kwargs: Any) -> httpx.Response:
        try:
            response = await self._http.request(method, path, **kwargs)
        except httpx.HTTPError as exc:
            raise ComponentUnavailable(
                f"gateway at {self.base_url} (load-test target)", type(exc).__name__
            ) from exc
        if response.status_code >= 400:
            message = f"{what} failed through the gateway: {_message(response)}"
            if response.status_code == 404:
                raise NotFound(message)
            if response.status_code == 409:
                raise Conflict(message)
            if response.status_code < 500:
                raise RegistryError(message, 409, code="load_test_setup_refused")
            raise RegistryError(message, 502, code="load_test_target_failed")
        return response

    async def create_user(self, admin_token: str, name: str, password: str) -> None:
        await self._call(
            "POST",
            "/users",
            "Creating the load test's user",
            headers={AUTH_HEADER: admin_token},
            json={
                "user": {"name": name, "is_admin": False},
                "secret": {"password": password},
                "permissions": ["search", "download"],
            },
        )

    async def authenticate(self, name: str, password: str) -> str:
        response = await self._call(
            "PUT",
            "/authenticate",
            "Signing a load-test client in",
            json={"user": {"name": name, "is_admin": False}, "secret": {"password": password}},
        )
        token: str = response.json()
        return token

    async def delete_user(self, token: str, name: str) -> None:
        await self._call(
            "DELETE",
            f"/users/{name}",
            "Deleting the load test's user",
            headers={AUTH_HEADER: token},
        )

    async def first_models(self, token: str, count: int) -> list[str]:
        """Ids of the first `count` registered models, in the catalog's order."""
        ids: list[str] = []
        offset: str | None = None
        while len(ids) < count:
            response = await self._call(
                "POST",
                "/artifacts",
                "Listing the registered models",
                headers={AUTH_HEADER: token},
                json=[{"name": "*", "types": ["model"]}],
                params={"offset": offset} if offset else None,
            )
            ids.extend(str(item["id"]) for item in response.json())
            offset = response.headers.get("offset")
            if not offset:
                break
        if not ids:
            raise BadRequest("No model is registered yet: register one before a load test.")
        return ids[:count]

    async def model(self, token: str, artifact_id: str) -> dict[str, Any]:
        """The model's name and the size of its full download (the correct size)."""
        try:
            response = await self._call(
                "GET",
                f"/artifacts/model/{artifact_id}/details",
                "Looking up a model",
                headers={AUTH_HEADER: token},
            )
        except NotFound as exc:
            raise NotFound(f"No model with id {artifact_id!r} is registered.") from exc
        details = response.json()
        size = details.get("bundle_bytes")
        if not isinstance(size, int):
            raise Conflict(
                f"The model {artifact_id!r} has no stored bundle size, so its downloads "
                "cannot be checked; pick another model."
            )
        return {"id": details["id"], "name": details["name"], "size": size}
