"""The event bus port and its implementations (in-process, SNS+SQS)."""

from registry_common.bus.factory import create_bus
from registry_common.bus.port import BusStats, EventBus, Handler

__all__ = ["BusStats", "EventBus", "Handler", "create_bus"]
