"""The in-process bus: one asyncio queue and one worker task per consumer (embedded mode).

Same contract as SNS+SQS: every message is the JSON wire form of its event (so a
serialization bug shows up here too), at-least-once delivery, de-duplication by
`event_id`, bounded retries with exponential backoff, then a per-consumer dead-letter list
(like SQS's maxReceiveCount) that an operator can list and redrive. Nothing survives the
process: a message still queued (or dead-lettered) at exit is lost, which is fine for
embedded mode only; the list is bounded (`max_dead_letters`, oldest dropped and logged).
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from registry_common.bus.dispatch import (
    Dispatcher,
    Outcome,
    TracerProviderChoice,
    encode,
    identify,
    retry_delay,
    with_trace_context,
)
from registry_common.bus.port import BusStats, DeadLetterInfo, E, Handler, RedriveResult
from registry_common.errors import NotFound
from registry_common.events import Event
from registry_common.telemetry import get_logger


@dataclass(frozen=True)
class DeadLetter:
    consumer: str
    body: str | bytes
    reason: str
    attempts: int
    id: str = field(default_factory=lambda: uuid.uuid4().hex)
    at: datetime = field(default_factory=lambda: datetime.now(UTC))

    def info(self) -> DeadLetterInfo:
        event_type, event_id = identify(self.body)
        return DeadLetterInfo(
            id=self.id,
            consumer=self.consumer,
            event_type=event_type,
            event_id=event_id,
            reason=self.reason,
            receive_count=self.attempts,
            dead_lettered_at=self.at,
        )


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
        max_dead_letters: int = 10_000,
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
        self._max_dead = max_dead_letters
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
            self._spawn(state)

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
                self._spawn(state)

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

    async def stats(self, consumers: Collection[str] = ()) -> BusStats:
        # Every consumer of the process is on this one bus: `consumers` adds nothing.
        return BusStats(
            queue_depth={name: state.queue.qsize() for name, state in self._consumers.items()},
            dead_letters={name: len(state.dead) for name, state in self._consumers.items()},
        )

    async def dead_letters(self, consumer: str, limit: int = 50) -> list[DeadLetterInfo]:
        return [letter.info() for letter in self._state(consumer).dead[: max(limit, 0)]]

    async def redrive(self, consumer: str, ids: Collection[str] | None = None) -> RedriveResult:
        state = self._state(consumer)
        wanted = None if ids is None else set(ids)
        moving = [d for d in state.dead if wanted is None or d.id in wanted]
        found = {d.id for d in moving}
        state.dead = [d for d in state.dead if d.id not in found]
        for letter in moving:
            # A fresh round of attempts, as a message sent back to an SQS queue starts over.
            self._enqueue(state, _Delivery(letter.body))
        missing = tuple(sorted(wanted - found)) if wanted is not None else ()
        self._log.info(
            "bus.dead_letters.redriven", consumer=consumer, moved=len(moving), not_found=missing
        )
        return RedriveResult(consumer, len(moving), missing)

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

    # ------------------------------------------------------------ internals

    def _state(self, consumer: str) -> _Consumer:
        state = self._consumers.get(consumer)
        if state is None:
            known = ", ".join(sorted(self._consumers)) or "none"
            raise NotFound(f"No event consumer is called {consumer!r}; the consumers are: {known}.")
        return state

    def _enqueue(self, state: _Consumer, delivery: _Delivery) -> None:
        self._unfinished += 1
        self._idle.clear()
        state.queue.put_nowait(delivery)

    def _finish(self) -> None:
        self._unfinished -= 1
        if self._unfinished == 0:
            self._idle.set()

    def _spawn(self, state: _Consumer) -> None:
        worker = asyncio.create_task(self._work(state), name=f"bus-{state.dispatcher.consumer}")
        worker.add_done_callback(lambda task: self._supervise(state, task))
        state.worker = worker

    def _supervise(self, state: _Consumer, worker: asyncio.Task[None]) -> None:
        """The supervisor of embedded mode's workers: a consumer's worker that ends while
        the bus runs (a crash: an error escaping the dispatcher, a stray cancellation) is
        started again, so one bad moment does not leave the consumer deaf until the process
        restarts. `stop()` detaches the worker first: a stopped worker stays stopped."""
        if not self._running or state.worker is not worker:
            return
        reason = "cancelled" if worker.cancelled() else repr(worker.exception())
        self._log.error(
            "bus.worker.restarted", consumer=state.dispatcher.consumer, reason=reason[:500]
        )
        self._spawn(state)

    async def _work(self, state: _Consumer) -> None:
        while self._running:
            delivery = await state.queue.get()
            state.busy = True
            try:
                await self._process(state, delivery)
            except asyncio.CancelledError:
                # Stopped (or cancelled) mid-handler: the message was not acknowledged,
                # deliver it again (after the next start, or to the restarted worker).
                state.queue.put_nowait(delivery)
                raise
            except BaseException as exc:
                # Crashed mid-handler: that counts as a failed attempt, so a message that
                # crashes every worker ends in the dead-letter list, not in a restart loop.
                if delivery.attempt >= self._max_attempts:
                    self._dead_letter(state, delivery, f"worker crashed: {exc!r}")
                else:
                    state.queue.put_nowait(_Delivery(delivery.body, delivery.attempt + 1))
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
            self._dead_letter(state, delivery, error or outcome)
        else:
            retry = _Delivery(delivery.body, delivery.attempt + 1)
            delay = retry_delay(self._retry_delay, delivery.attempt, self._max_retry_delay)
            self._retry_seq += 1
            key = self._retry_seq
            timer = asyncio.get_running_loop().call_later(delay, self._requeue, state, key)
            state.retries[key] = (timer, retry)

    def _dead_letter(self, state: _Consumer, delivery: _Delivery, reason: str) -> None:
        consumer = state.dispatcher.consumer
        state.dead.append(DeadLetter(consumer, delivery.body, reason, delivery.attempt))
        if len(state.dead) > self._max_dead:
            dropped = state.dead.pop(0)
            self._log.error(
                "bus.dead_letters.overflow",
                consumer=consumer,
                dropped_id=dropped.id,
                capacity=self._max_dead,
            )
        self._log.error(
            "bus.event.dead_lettered", consumer=consumer, reason=reason, attempts=delivery.attempt
        )
        self._finish()

    def _requeue(self, state: _Consumer, key: int) -> None:
        entry = state.retries.pop(key, None)
        if entry is not None:
            state.queue.put_nowait(entry[1])
