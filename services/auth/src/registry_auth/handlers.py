"""Auth's reactions to other services' events."""

from __future__ import annotations

from typing import Any

from registry_auth.service import AuthService
from registry_common.events import RegistryReset


def build_handlers(service: AuthService, log: Any) -> dict[type, Any]:
    async def on_reset(event: RegistryReset) -> None:
        await service.reset()
        log.info("auth.reset.applied", event_id=str(event.event_id))

    return {RegistryReset: on_reset}
