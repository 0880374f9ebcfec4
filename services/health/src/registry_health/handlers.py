"""Health's reactions to other services' events."""

from __future__ import annotations

from typing import Any

from registry_common.events import RegistryReset


def build_handlers(log: Any) -> dict[type, Any]:
    async def on_reset(event: RegistryReset) -> None:
        # Telemetry is not registry state: the request, span and log stores are kept, so
        # operations staff can still see what happened before (and during) the reset.
        log.info("health.reset.applied", event_id=str(event.event_id))

    return {RegistryReset: on_reset}
