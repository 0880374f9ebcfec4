"""The in-process bus: one asyncio queue and one worker task per consumer (embedded mode).

Same contract as SNS+SQS: every message is the JSON wire form of its event (so a
serialization bug shows up here too), at-least-once delivery, de-duplication by
`event_id`, bounded retries with exponential backoff, then an in-memory dead-letter list.
Nothing survives the process: a message still queued at exit is lost, which is fine for
embedded mode only.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

from registry_common.bus.dispatch import (
    Dispatcher,
    Outcome,
    TracerProviderChoice,
    encode,
    retry_delay,
    with_trace_context,
)
from registry_common.bus.port import BusStats, E, Handler
from registry_common.events import Event
from registry_common.telemetry import get_logger


@dataclass(frozen=True)
class DeadLetter:
    consumer: str
    body: str | bytes
    reason: str
    attempts: int


@dataclass
class _Delivery:
    body: str | bytes
    attempt: int = 1


@dataclass
class _Consumer:
    dispatcher: Dispatcher
    queue: asyncio.Queue[_Delivery] = field(default_factory=asyncio.Queue)
    worker: asyncio.Task[None] | None = None
    busy: bool = False
    retries: dict[int, tuple[asyncio.TimerHandle, _Delivery]] = field(default_factory=dict)
    dead: list[DeadLetter] = field(default_factory=list)


class InProcessBus:
    def __init__(
        self,
        *,
        consumer_tracer_provider: TracerProviderChoice = None,
        logger: Any | None = None,
        max_receive_count: int = 5,
        retry_delay_seconds: float = 0.1,
        max_retry_delay_seconds: float = 2.0,
        dedupe_capacity: int = 10_000,
        stop_timeout: float = 10.0,
    ) -> None:
        if max_receive_count < 1:
            raise ValueError("max_receive_count must be at least 1")
        self._tracer_choice = consumer_tracer_provider
        self._logger = logger
        self._log = logger if logger is not None else get_logger("bus")
        self._max_attempts = max_receive_count
        self._retry_delay = retry_delay_seconds
        self._max_retry_delay = max_retry_delay_seconds
        self._dedupe_capacity = dedupe_capacity
        self._stop_timeout = stop_timeout
        self._consumers: dict[str, _Consumer] = {}
        self._running = False
        self._unfinished = 0
        self._retry_seq = 0
        self._idle = asyncio.Event()
        self._idle.set()

    # ------------------------------------------------------------ EventBus

    def subscribe(self, consumer: str, event_cls: type[E], handler: Handler[E]) -> None:
        state = self._consumers.get(consumer)
        if state is None:
            dispatcher = Dispatcher(
                consumer,
                tracer_provider=self._tracer_choice,
                logger=self._logger,
                messaging_system="inprocess",
                destination=consumer,
                dedupe_capacity=self._dedupe_capacity,
            )
            state = self._consumers[consumer] = _Consumer(dispatcher)
        state.dispatcher.add_handler(event_cls, handler)
        if self._running and state.worker is None:
            state.worker = asyncio.create_task(self._work(state), name=f"bus-{consumer}")

    async def publish(self, event: Event) -> None:
        event = with_trace_context(event)
        body = encode(event)
        receivers = [
            state
            for state in self._consumers.values()
            if event.event_type in state.dispatcher.event_types
        ]
        for state in receivers:
            self._enqueue(state, _Delivery(body))
        self._log.debug(
            "bus.event.published",
            event_type=event.event_type,
            event_id=str(event.event_id),
            consumers=[state.dispatcher.consumer for state in receivers],
        )

    async def start(self) -> None:
        self._running = True
        for state in self._consumers.values():
            if state.worker is None or state.worker.done():
                state.worker = asyncio.create_task(
                    self._work(state), name=f"bus-{state.dispatcher.consumer}"
                )

    async def stop(self) -> None:
        """Let running handlers finish (up to `stop_timeout`); queued messages stay queued."""
        self._running = False
        workers: list[asyncio.Task[None]] = []
        for state in self._consumers.values():
            for timer, delivery in list(state.retries.values()):
                timer.cancel()
                state.queue.put_nowait(delivery)
            state.retries.clear()
            worker, state.worker = state.worker, None
            if worker is None or worker.done():
                continue
            if not state.busy:
                worker.cancel()
            workers.append(worker)
        if not workers:
            return
        _, pending = await asyncio.wait(workers, timeout=self._stop_timeout)
        for worker in pending:
            worker.cancel()
        await asyncio.gather(*workers, return_exceptions=True)

    async def check(self) -> None:
        return None

    async def stats(self) -> BusStats:
        return BusStats(
            queue_depth={name: state.queue.qsize() for name, state in self._consumers.items()},
            dead_letters={name: len(state.dead) for name, state in self._consumers.items()},
        )

    async def drain(self, timeout: float = 10) -> None:
        try:
            async with asyncio.timeout(timeout):
                await self._idle.wait()
        except TimeoutError:
            busy = {
                name: state.queue.qsize() + len(state.retries) + int(state.busy)
                for name, state in self._consumers.items()
            }
            raise TimeoutError(
                f"event bus not drained after {timeout:g} s; messages still pending: {busy}"
            ) from None

    # ------------------------------------------------------------ extras

    def inject_raw(self, consumer: str, body: str | bytes) -> None:
        """Put a raw message body on `consumer`'s queue, as a foreign SQS sender could."""
        state = self._consumers.get(consumer)
        if state is None:
            raise KeyError(f"no consumer {consumer!r} is subscribed")
        self._enqueue(state, _Delivery(body))

    def dead_letters(self, consumer: str) -> list[DeadLetter]:
        state = self._consumers.get(consumer)
        return list(state.dead) if state is not None else []

    # ------------------------------------------------------------ internals

    def _enqueue(self, state: _Consumer, delivery: _Delivery) -> None:
        self._unfinished += 1
        self._idle.clear()
        state.queue.put_nowait(delivery)

    def _finish(self) -> None:
        self._unfinished -= 1
        if self._unfinished == 0:
            self._idle.set()

    async def _work(self, state: _Consumer) -> None:
        while self._running:
            delivery = await state.queue.get()
            state.busy = True
            try:
                await self._process(state, delivery)
            except asyncio.CancelledError:
                # Stopped mid-handler: the message was not acknowledged, deliver it again.
                state.queue.put_nowait(delivery)
                raise
            finally:
                state.busy = False

    async def _process(self, state: _Consumer, delivery: _Delivery) -> None:
        dispatcher = state.dispatcher
        try:
            result = await dispatcher.dispatch(
                delivery.body, attempt=delivery.attempt, max_attempts=self._max_attempts
            )
            outcome, error = result.outcome, result.error
        except Exception as exc:  # a bug in dispatching itself: treat like a failed handler
            outcome, error = Outcome.FAILED, f"{type(exc).__name__}: {exc}"
        if outcome.acknowledge:
            self._finish()
        elif outcome is Outcome.POISON or delivery.attempt >= self._max_attempts:
            state.dead.append(
                DeadLetter(dispatcher.consumer, delivery.body, error or outcome, delivery.attempt)
            )
            self._log.error(
                "bus.event.dead_lettered",
                consumer=dispatcher.consumer,
                reason=error,
                attempts=delivery.attempt,
            )
            self._finish()
        else:
            retry = _Delivery(delivery.body, delivery.attempt + 1)
            delay = retry_delay(self._retry_delay, delivery.attempt, self._max_retry_delay)
            self._retry_seq += 1
            key = self._retry_seq
            timer = asyncio.get_running_loop().call_later(delay, self._requeue, state, key)
            state.retries[key] = (timer, retry)

    def _requeue(self, state: _Consumer, key: int) -> None:
        entry = state.retries.pop(key, None)
        if entry is not None:
            state.queue.put_nowait(entry[1])
