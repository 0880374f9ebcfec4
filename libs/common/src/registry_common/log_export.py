"""Ship this process's log records over OTLP/HTTP (`<endpoint>/v1/logs`), batched.

Distributed mode sends them to the health service's receiver, so `/health/logs?service=...`
answers for every service; in AWS a collector sidecar could take them too. stdout (and
`REGISTRY_LOG_DIR`) keep every line whatever happens here: shipping is a copy.

Rules, because a log pipeline must never hurt the service it observes:

* `sink` (called on whichever thread logged) only appends to a bounded queue; when the
  queue is full the record is dropped and counted, never waited for;
* one daemon thread posts batches; a failed batch stays queued (still bounded) and the
  thread backs off, up to `max_backoff` seconds, while the receiver is down;
* the shipper never logs (a line about a failed shipment would itself be shipped); what it
  lost is reported in-band instead: the next batch that gets through carries a
  `telemetry.logs.dropped` record with the count.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Iterable, Mapping
from typing import Any

import httpx
import orjson
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue
from opentelemetry.proto.logs.v1.logs_pb2 import LogRecord, ResourceLogs, ScopeLogs
from opentelemetry.proto.resource.v1.resource_pb2 import Resource

SCOPE = "registry_common.log_export"
# OTLP severity numbers (logs data model): the first number of each range.
SEVERITY = {"debug": 5, "info": 9, "warning": 13, "error": 17, "critical": 21}


def _hex_bytes(value: Any, length: int) -> bytes:
    try:
        raw = bytes.fromhex(str(value))
    except ValueError:
        return b""
    return raw if len(raw) == length else b""


def encode_logs(records: Iterable[Mapping[str, Any]]) -> bytes:
    """An `ExportLogsServiceRequest` (protobuf): one resource per `service`, each record's
    whole JSON object as its body, plus severity, time and trace/span ids."""
    by_service: dict[str, list[LogRecord]] = {}
    now = time.time_ns()
    for record in records:
        level = str(record.get("level") or "info").lower()
        entry = LogRecord(
            time_unix_nano=now,
            observed_time_unix_nano=now,
            severity_text=level,
            severity_number=SEVERITY.get(level, 9),  # type: ignore[arg-type]
            body=AnyValue(string_value=orjson.dumps(record, default=str).decode()),
            trace_id=_hex_bytes(record.get("trace_id"), 16),
            span_id=_hex_bytes(record.get("span_id"), 8),
        )
        by_service.setdefault(str(record.get("service") or "registry"), []).append(entry)
    request = ExportLogsServiceRequest(
        resource_logs=[
            ResourceLogs(
                resource=Resource(
                    attributes=[
                        KeyValue(
                            key="service.name",
                            value=AnyValue(string_value=f"registry-{service}"),
                        )
                    ]
                ),
                scope_logs=[ScopeLogs(log_records=entries)],
            )
            for service, entries in by_service.items()
        ]
    )
    encoded: bytes = request.SerializeToString()
    return encoded


class LogShipper:
    def __init__(
        self,
        endpoint: str,
        *,
        service: str,
        headers: Mapping[str, str] | None = None,
        capacity: int = 10_000,
        batch_size: int = 500,
        interval: float = 1.0,
        timeout: float = 3.0,
        max_backoff: float = 30.0,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.url = f"{endpoint.rstrip('/')}/v1/logs"
        self.service = service
        self.capacity = capacity
        self.batch_size = batch_size
        self.interval = interval
        self.max_backoff = max_backoff
        self.sent = 0
        self.dropped = 0  # records lost: queue full while the receiver was down or slow
        self.failures = 0  # batches that did not get through (and were retried)
        self._unreported = 0
        self._queue: deque[dict[str, Any]] = deque()
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self._client = httpx.Client(
            headers={"Content-Type": "application/x-protobuf", **dict(headers or {})},
            timeout=httpx.Timeout(timeout, connect=min(timeout, 2.0)),
            transport=transport,
        )

    # ------------------------------------------------------------ producer side

    def sink(self, record: Mapping[str, Any]) -> None:
        """Register with `add_log_sink`; cheap, never blocks, never raises."""
        with self._lock:
            if len(self._queue) >= self.capacity:
                self.dropped += 1
                self._unreported += 1
                return
            self._queue.append(dict(record))
            full = len(self._queue) == self.batch_size  # once, not on every line after
        if full:
            self._wake.set()

    def pending(self) -> int:
        with self._lock:
            return len(self._queue)

    # ------------------------------------------------------------ the shipping thread

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="log-shipper", daemon=True)
            self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        """Send what is queued (one attempt), then stop."""
        self._stopping.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None
        self._client.close()

    def ship_once(self) -> bool:
        """Post one batch; True when it got through (or there was nothing to send)."""
        with self._lock:
            batch = [self._queue.popleft() for _ in range(min(self.batch_size, len(self._queue)))]
            lost = self._unreported
        if lost:
            batch.append(
                {
                    "service": self.service,
                    "event": "telemetry.logs.dropped",
                    "level": "warning",
                    "dropped": lost,
                    "detail": "Log records were dropped while the log receiver was unreachable; "
                    "the service's stdout has them all.",
                }
            )
        if not batch:
            return True
        try:
            response = self._client.post(self.url, content=encode_logs(batch))
            delivered = response.status_code < 300
        except (httpx.HTTPError, OSError):
            delivered = False
        if delivered:
            with self._lock:
                self.sent += len(batch) - (1 if lost else 0)
                self._unreported -= lost
            return True
        self.failures += 1
        kept = batch[:-1] if lost else batch
        with self._lock:
            # Back at the front, in order; what no longer fits is dropped (and counted).
            room = max(0, self.capacity - len(self._queue))
            overflow = max(0, len(kept) - room)
            self._queue.extendleft(reversed(kept[overflow:]))
            self.dropped += overflow
            self._unreported += overflow
        return False

    def _run(self) -> None:
        backoff = 0.0
        while True:
            self._wake.wait(backoff or self.interval)
            self._wake.clear()
            stopping = self._stopping.is_set()
            delivered = True
            while delivered and (self.pending() or self._unreported):
                delivered = self.ship_once()
            if stopping:
                return
            backoff = 0.0 if delivered else min(self.max_backoff, max(1.0, backoff * 2))
