"""Gateway use cases: the few that span services rather than belong to one."""

from __future__ import annotations

from registry_gateway.clients import ServiceClients
from registry_gateway.security import Caller


class GatewayService:
    def __init__(self, clients: ServiceClients) -> None:
        self._clients = clients

    async def authenticate(self, name: str, password: str) -> str:
        response = await self._clients.auth.post(
            "/internal/authenticate", json={"name": name, "password": password}
        )
        token: str = response.json()
        return token

    async def reset(self, caller: Caller) -> None:
        """The catalog empties now; the other services follow through RegistryReset."""
        await self._clients.ingest.post("/internal/reset", json={"requested_by": caller.name})
