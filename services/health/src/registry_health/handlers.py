"""Health's reactions to other services' events."""

from __future__ import annotations

from typing import Any

from registry_common.events import RegistryReset


def build_handlers(log: Any) -> dict[type, Any]:
    async def on_reset(event: RegistryReset) -> None:
        # Health keeps no state of its own yet; its issue adds the tables this clears.
        log.info("health.reset.applied", event_id=str(event.event_id))

    return {RegistryReset: on_reset}
