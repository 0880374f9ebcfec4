"""Gateway use cases: shaping the internal services' answers into the public contract."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any, TypeVar
from urllib.parse import quote

from registry_common.errors import RegistryError
from registry_common.http import USER_HEADER, user_header_value
from registry_gateway.clients import ServiceClients
from registry_gateway.security import Caller

T = TypeVar("T")


def _seg(value: str) -> str:
    """One path segment of an internal URL: whatever a caller sent stays inside it (no `/`,
    `?`, `#` or control character can change which internal route or query is asked)."""
    return quote(value, safe="")


def caller_headers(caller: Caller) -> dict[str, str]:
    headers = {
        USER_HEADER: user_header_value(caller.name),
        "X-Registry-Admin": str(caller.is_admin).lower(),
    }
    if caller.created_at:
        # Account age feeds the package-confusion audit's "new account" signal (15.3).
        headers["X-Registry-User-Created"] = caller.created_at
    return headers


class GatewayService:
    def __init__(self, clients: ServiceClients) -> None:
        self._clients = clients

    async def authenticate(self, name: str, password: str, client: str | None) -> str:
        response = await self._clients.auth.post(
            "/internal/authenticate",
            json={"name": name, "password": password},
            headers={"X-Registry-Client": client or "unknown"},
        )
        token: str = response.json()
        return token

    # ------------------------------------------------------------------ users (extension)

    async def users(self) -> list[dict[str, Any]]:
        users: list[dict[str, Any]] = (await self._clients.auth.get("/internal/users")).json()
        return users

    async def create_user(
        self, name: str, password: str, permissions: list[str], is_admin: bool
    ) -> dict[str, Any]:
        response = await self._clients.auth.post(
            "/internal/users",
            json={
                "name": name,
                "password": password,
                "permissions": permissions,
                "is_admin": is_admin,
            },
        )
        created: dict[str, Any] = response.json()
        return created

    async def delete_user(self, name: str, caller: Caller) -> None:
        await self._clients.auth.request(
            "DELETE", f"/internal/users/{_seg(name)}", headers=caller_headers(caller)
        )

    async def change_password(
        self, name: str, password: str, current_password: str | None, caller: Caller
    ) -> None:
        await self._clients.auth.request(
            "PUT",
            f"/internal/users/{quote(name, safe='')}/password",
            json={"password": password, "current_password": current_password},
            headers=caller_headers(caller),
        )

    async def set_permissions(
        self, name: str, permissions: list[str], is_admin: bool
    ) -> dict[str, Any]:
        response = await self._clients.auth.request(
            "PUT",
            f"/internal/users/{_seg(name)}/permissions",
            json={"permissions": permissions, "is_admin": is_admin},
        )
        updated: dict[str, Any] = response.json()
        return updated

    async def reset(self, caller: Caller) -> None:
        """The catalog empties now; the other services follow through RegistryReset."""
        await self._clients.ingest.post("/internal/reset", json={"requested_by": caller.name})

    # ------------------------------------------------------------------ catalog

    async def create(
        self,
        artifact_type: str,
        url: str,
        name: str | None,
        version: str | None,
        caller: Caller,
    ) -> tuple[int, dict[str, Any]]:
        response = await self._clients.ingest.post(
            f"/internal/artifacts/{_seg(artifact_type)}",
            json={"url": url, "name": name, "version": version},
            headers=caller_headers(caller),
        )
        return _outcome(response.json())

    async def upload(
        self,
        artifact_type: str,
        content_type: str,
        form: AsyncIterator[bytes],
        caller: Caller,
    ) -> tuple[int, dict[str, Any]]:
        """Stream the caller's multipart form to ingest unparsed (ingest parses it once)."""
        response = await self._clients.ingest.request(
            "POST",
            f"/internal/artifacts/{_seg(artifact_type)}/upload",
            content=form,
            headers={**caller_headers(caller), "Content-Type": content_type},
        )
        return _outcome(response.json())

    async def get(self, artifact_type: str, artifact_id: str) -> dict[str, Any]:
        response = await self._clients.ingest.get(
            f"/internal/artifacts/{_seg(artifact_type)}/{_seg(artifact_id)}"
        )
        body: dict[str, Any] = response.json()
        return body

    async def update(
        self,
        artifact_type: str,
        artifact_id: str,
        body_id: str,
        name: str,
        url: str,
        caller: Caller,
    ) -> tuple[int, dict[str, Any]]:
        response = await self._clients.ingest.request(
            "PUT",
            f"/internal/artifacts/{_seg(artifact_type)}/{_seg(artifact_id)}",
            json={"id": body_id, "name": name, "url": url},
            headers=caller_headers(caller),
        )
        return _outcome(response.json())

    async def delete(self, artifact_type: str, artifact_id: str) -> None:
        await self._clients.ingest.request(
            "DELETE", f"/internal/artifacts/{_seg(artifact_type)}/{_seg(artifact_id)}"
        )

    async def enumerate(
        self, queries: list[dict[str, Any]], offset: str | None
    ) -> tuple[list[dict[str, str]], str | None]:
        response = await self._clients.ingest.post(
            "/internal/catalog/query", json={"queries": queries, "offset": offset}
        )
        body = response.json()
        return body["items"], body["next_offset"]

    async def by_name(self, name: str) -> list[dict[str, str]]:
        response = await self._clients.ingest.get(
            "/internal/catalog/by-name", params={"name": name}
        )
        items: list[dict[str, str]] = response.json()
        return items

    async def regex(self, pattern: str) -> list[dict[str, str]]:
        response = await self._clients.ingest.post(
            "/internal/catalog/regex", json={"regex": pattern}
        )
        items: list[dict[str, str]] = response.json()
        return items

    async def cost(self, artifact_type: str, artifact_id: str) -> float:
        response = await self._clients.ingest.get(
            f"/internal/artifacts/{_seg(artifact_type)}/{_seg(artifact_id)}/cost"
        )
        return float(response.json()["standalone_mb"])

    async def package_confusion(self, offset: int, limit: int) -> dict[str, Any]:
        response = await self._clients.ingest.get(
            "/internal/audit/package-confusion", params={"offset": offset, "limit": limit}
        )
        report: dict[str, Any] = response.json()
        return report

    # ------------------------------------------------------------------ health (R13)

    async def trace(self, trace_id: str) -> Any:
        return await self.health_document(f"/internal/traces/{_seg(trace_id)}", {})

    async def health_document(self, path: str, params: dict[str, Any]) -> Any:
        response = await self._clients.health.get(path, params=params)
        return response.json()

    async def health_action(self, path: str, body: dict[str, Any]) -> Any:
        response = await self._clients.health.post(path, json=body)
        return response.json()

    async def license_check(self, artifact_id: str, github_url: str) -> dict[str, Any]:
        await self.get("model", artifact_id)  # 404 unless it is a visible model

        async def call() -> dict[str, Any]:
            response = await self._clients.lineage.post(
                f"/internal/license-check/{_seg(artifact_id)}", json={"github_url": github_url}
            )
            verdict: dict[str, Any] = response.json()
            return verdict

        return await _until_indexed(call)

    async def audit(
        self, artifact_type: str, artifact_id: str, caller: Caller
    ) -> list[dict[str, Any]]:
        response = await self._clients.ingest.get(
            f"/internal/artifacts/{_seg(artifact_type)}/{_seg(artifact_id)}/audit",
            headers=caller_headers(caller),
        )
        entries: list[dict[str, Any]] = response.json()
        return entries

    async def rating(self, artifact_id: str, caller: Caller) -> dict[str, Any]:
        """The stored rating (computed once at ingest); the read is audited as RATE.

        Recording RATE is also the visibility check (ingest answers 404 unless this is a
        visible model), so the hot path makes one catalog call, not two."""
        await self._clients.ingest.post(
            f"/internal/artifacts/model/{_seg(artifact_id)}/audit/RATE",
            headers=caller_headers(caller),
        )
        response = await self._clients.scoring.get(f"/internal/ratings/{_seg(artifact_id)}")
        rating: dict[str, Any] = response.json()
        return rating

    async def lineage(self, artifact_id: str) -> dict[str, Any]:
        await self.get("model", artifact_id)  # 404 unless it is a visible model

        async def call() -> dict[str, Any]:
            graph: dict[str, Any] = (
                await self._clients.lineage.get(f"/internal/lineage/{_seg(artifact_id)}")
            ).json()
            return graph

        return await _until_indexed(call)

    async def cost_with_dependencies(
        self, artifact_type: str, artifact_id: str
    ) -> dict[str, dict[str, float]]:
        await self.get(artifact_type, artifact_id)

        async def call() -> dict[str, dict[str, float]]:
            costs: dict[str, dict[str, float]] = (
                await self._clients.lineage.get(f"/internal/cost/{_seg(artifact_id)}")
            ).json()
            return costs

        return await _until_indexed(call)

    async def download_info(
        self,
        artifact_type: str,
        artifact_id: str,
        part: str,
        caller: Caller,
        client: str | None,
    ) -> dict[str, Any]:
        response = await self._clients.ingest.get(
            f"/internal/artifacts/{_seg(artifact_type)}/{_seg(artifact_id)}/download",
            params={"part": part, **({"client": client} if client else {})},
            headers=caller_headers(caller),
        )
        info: dict[str, Any] = response.json()
        return info


async def _until_indexed(call: Callable[[], Awaitable[T]], wait: float = 10.0) -> T:
    """Lineage indexes an artifact from its upload event, a moment after the catalog stored
    it; a query arriving in that moment waits for it instead of failing."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + wait
    while True:
        try:
            return await call()
        except RegistryError as exc:
            if exc.code != "not_indexed" or loop.time() >= deadline:
                raise
            await asyncio.sleep(0.1)


def _outcome(body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    status = int(body["status"])
    artifact: dict[str, Any] = body["artifact"]
    if status == 424:
        rating = artifact.get("extra", {}).get("rating", {})
        failing = ", ".join(rating.get("failing_metrics") or []) or "the rating failed"
        raise RegistryError(
            f"The artifact was not registered: its rating is disqualified ({failing} below "
            "0.5). Nothing was stored.",
            424,
            code="disqualified_rating",
            details={"rating": rating},
        )
    return status, artifact
