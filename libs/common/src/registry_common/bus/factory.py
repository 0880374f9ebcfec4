"""Choose the bus implementation the runtime settings ask for."""

from __future__ import annotations

from typing import Any

from registry_common.bus.port import EventBus
from registry_common.settings import RuntimeSettings


def create_bus(runtime: RuntimeSettings, **kwargs: Any) -> EventBus:
    """The bus for `runtime.bus_backend`; `kwargs` go to the implementation's constructor
    (e.g. `consumer_tracer_provider`, `max_receive_count`, and for SNS+SQS
    `wait_time_seconds` / `visibility_timeout` / `tracer_provider` for its AWS calls)."""
    if runtime.bus_backend == "inprocess":
        from registry_common.bus.inprocess import InProcessBus

        kwargs.pop("tracer_provider", None)  # nothing leaves the process: no client spans
        return InProcessBus(**kwargs)
    if runtime.bus_backend == "sns-sqs":
        from registry_common.bus.sns_sqs import SnsSqsBus

        kwargs.setdefault("wait_time_seconds", runtime.bus_wait_seconds)
        return SnsSqsBus(runtime, **kwargs)
    raise ValueError(f"unknown bus backend {runtime.bus_backend!r}")
