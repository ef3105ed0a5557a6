"""The consumer runner: event → handler inside a unit of work, exactly-once effects over at-least-once delivery.

Per fetched batch and partition, all records are handled in one transaction together with their inbox rows
(claimed in one statement; handlers may keep their rows for one multi-row insert at commit, `UnitOfWork.keep`);
a type declared `idempotent` takes no inbox row, its rows' own keys making a second delivery change nothing. The
offset is committed only after that transaction. If the batch fails, its records are retried one by one
with back-off; a record that still fails after `max_attempts` goes to the dead-letter topic with its error and
the partition moves on. Handlers are async and do their I/O through the database driver, so the event loop
(and aiokafka's heartbeats) are never starved.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cached_property
from typing import Any, Literal

import orjson
from opentelemetry import trace
from opentelemetry.trace import Link, SpanKind, Tracer
from pydantic import ValidationError, create_model

from chassis.bus import Bus, BusConsumer, CommitFailed, Partition, Record
from chassis.clock import Clock, SystemClock
from chassis.db import is_database_unreachable
from chassis.logs import trace_id_of, trace_id_var
from chassis.metrics import CONSUMER_LAG, DEAD_LETTERS, EVENT_AGE, EVENTS_CONSUMED, EVENTS_FAILED, observe_all
from chassis.tracing import parent_of, span
from chassis.uow import UnitOfWork
from contracts.envelope import Envelope, Event
from contracts.registry import UPCASTERS, UnknownEventType, decode

log = logging.getLogger(__name__)

Handler = Callable[[UnitOfWork, Any, Envelope], Awaitable[None]]
Prefetch = Callable[[UnitOfWork, Sequence[Event]], Awaitable[None]]


@dataclass(frozen=True)
class Subscription:
    """Which event types a service handles, and how: one registry per service."""

    handlers: Mapping[type[Event], Handler]
    prefetch: Prefetch | None = None
    """Called once a fetched batch, before its handlers, with the batch's new events: reads in one statement what the
    handlers would each read again (`UnitOfWork.read_many`). It may only read rows that no handler of the same topic
    writes, since the handlers then see what it read."""
    idempotent: frozenset[type[Event]] = frozenset()
    """Types whose handler does nothing but `UnitOfWork.keep` rows under the fact's own natural key, so that applying
    one again changes nothing (its rows are skipped on conflict). They take no inbox row: for the stipend's facts
    that row was half of what an event wrote (issue 9). Duplicates within a batch are still applied once."""

    @property
    def topics(self) -> list[str]:
        """The topics those event types travel on, in the order the handlers are listed.

        A batch is applied topic by topic in this order, so list reference data first (rosters before
        check-ins): when both arrive in one fetch, the alert finds the guardian the roster just linked.
        """
        return list(dict.fromkeys(event_type.topic for event_type in self.handlers))

    def handler_for(self, event_type: str) -> Handler | None:
        """The handler of a type, if this service handles it."""
        return self._by_type.get(event_type)

    def needs_inbox(self, event_type: str) -> bool:
        """Whether an event of this type is claimed in the inbox before it is applied (not an idempotent type)."""
        return event_type not in self._idempotent

    @cached_property
    def _idempotent(self) -> frozenset[str]:
        return frozenset(model.type for model in self.idempotent)

    @cached_property
    def _by_type(self) -> dict[str, Handler]:
        # Asked once per record: a pydantic model's class attribute costs a metaclass lookup, so not a scan.
        return {model.type: handler for model, handler in self.handlers.items()}

    def typed_envelope(self, event_type: str) -> type[Envelope] | None:
        """The envelope model validating a handled type's `data` as the event itself (none for an upcast type)."""
        return self._typed.get(event_type)

    @cached_property
    def _typed(self) -> dict[str, type[Envelope]]:
        return {
            model.type: create_model(
                f"{model.__name__}Envelope",
                __base__=Envelope,
                type=(Literal[model.type], ...),  # type: ignore[arg-type]
                data=(model, ...),
            )
            for model in self.handlers
            if model.type not in UPCASTERS
        }


class PoisonMessage(Exception):
    """A record that can never be handled (not a valid envelope): retrying cannot help."""


@dataclass
class _Handled:
    envelope: Envelope | None
    applied: bool


class ConsumerRunner:
    """Runs one consumer group member for one service until cancelled."""

    def __init__(
        self,
        bus: Bus,
        subscription: Subscription,
        *,
        service: str,
        group: str,
        uow: Callable[[], UnitOfWork],
        dead_letter_topic: str,
        max_attempts: int = 5,
        backoff: float = 0.2,
        # A backlog is drained in batches this large (bench.stipend_load: 500 → 2,000 took 9,300 → 12,400
        # events/s; 5,000 gained nothing); with no backlog a fetch returns what has arrived, so latency is unchanged.
        max_records: int = 2000,
        tracer: Tracer | None = None,
        clock: Clock | None = None,
    ) -> None:
        self._bus, self._subscription, self.service, self.group = bus, subscription, service, group
        self._uow, self._dead_letter_topic = uow, dead_letter_topic
        self._max_attempts, self._backoff, self._max_records = max_attempts, backoff, max_records
        self._consumer: BusConsumer | None = None
        self._tracer = tracer
        self._clock = clock or SystemClock()
        self.ready = asyncio.Event()

    async def run(self) -> None:
        """Join the group and handle records until cancelled."""
        consumer = self._bus.consumer(self.group, self._subscription.topics)
        await consumer.start()
        self._consumer = consumer
        self.ready.set()
        try:
            while True:
                try:
                    batch = await consumer.getmany(timeout=1.0, max_records=self._max_records)
                    if batch:
                        await self.handle_batch(consumer, batch)
                    self._report_lag(consumer)
                except asyncio.CancelledError:
                    raise
                except Exception:
                    log.exception("consumer loop error; resuming after a pause")
                    await asyncio.sleep(self._backoff)
        finally:
            await consumer.stop()

    async def handle_batch(self, consumer: BusConsumer, batch: Mapping[Partition, Sequence[Record]]) -> None:
        """Handle the batch topic by topic (each topic's partitions concurrently) and commit what committed."""
        offsets: dict[Partition, int] = {}
        for topic in self._subscription.topics:
            parts = [part for part in batch if part.topic == topic]
            done = await asyncio.gather(*(self._handle_partition(consumer, batch[part]) for part in parts))
            offsets.update({part: offset for part, offset in zip(parts, done, strict=True) if offset is not None})
        if not offsets:
            return
        try:
            await consumer.commit(offsets)
        except CommitFailed as error:
            # The partition moved to another member; it resumes from the last commit and our effects are
            # already in the inbox, so the redelivery is a no-op.
            log.warning("offset commit refused; records will be redelivered", extra={"error": str(error)})

    async def _handle_partition(self, consumer: BusConsumer, records: Sequence[Record]) -> int | None:
        """Returns the offset to commit next, or None when nothing of this batch may be committed."""
        try:
            handled = await self._apply_in_one_transaction(records)
        except Exception:
            log.info("batch failed; retrying its records one by one", exc_info=True)
            for record in records:
                try:
                    await self._handle_with_retries(record)
                except Exception:
                    # Not handled and not parked (the database is unreachable, or the bus refused the dead letter
                    # too): read it again later.
                    log.exception("could not handle nor dead-letter a record; it will be redelivered")
                    consumer.seek(record.where, record.offset)
                    return record.offset if record.offset > records[0].offset else None
        else:
            self._count(handled)
        return records[-1].offset + 1

    async def _apply_in_one_transaction(self, records: Sequence[Record]) -> list[_Handled]:
        """Claim the records' events in one statement, then apply the newly claimed ones in order, then commit.

        The inbox rows and every effect share the transaction, so a crash before the commit leaves neither and
        the redelivered batch is applied whole; an event already in the inbox (or earlier in this batch) is
        skipped.
        """
        routed = [self._route(record) for record in records]
        needs_inbox = self._subscription.needs_inbox
        async with self._processing(records[0].topic, [env for env, _ in routed]), self._uow() as uow:
            handled_ids = {env.id: needs_inbox(env.type) for env, handler in routed if handler is not None}
            fresh = await uow.claim_many(self.group, [i for i, claim in handled_ids.items() if claim])
            fresh.update(i for i, claim in handled_ids.items() if not claim)
            steps: list[tuple[Envelope, Handler, Event] | Envelope] = []
            for envelope, handler in routed:
                if handler is None or envelope.id not in fresh:
                    steps.append(envelope)
                    continue
                fresh.discard(envelope.id)  # the same event again later in the batch is a duplicate
                try:
                    event = envelope.data if isinstance(envelope.data, Event) else decode(envelope)
                except (ValidationError, UnknownEventType) as error:
                    raise PoisonMessage(f"data does not match {envelope.type}: {error}") from error
                steps.append((envelope, handler, event))
            prefetch = self._subscription.prefetch
            if prefetch is not None:
                await prefetch(uow, [step[2] for step in steps if isinstance(step, tuple)])
            handled = []
            for step in steps:
                if not isinstance(step, tuple):
                    handled.append(_Handled(step, applied=False))
                    continue
                envelope, handler, event = step
                trace_id_var.set(trace_id_of(envelope.traceparent))
                await handler(uow, event, envelope)
                handled.append(_Handled(envelope, applied=True))
            await uow.commit()
        return handled

    @contextlib.asynccontextmanager
    async def _processing(self, topic: str, envelopes: Sequence[Envelope]) -> AsyncIterator[None]:
        """The batch's consumer span (OpenTelemetry messaging): linked to each event's trace, and a child of it when
        the batch is that one event, so a lone check-in's trace runs on through the alert stored and pushed."""
        if self._tracer is None:
            yield
            return
        contexts = [c for c in (parent_of(e.traceparent) for e in envelopes) if c is not None]
        links = [Link(trace.get_current_span(c).get_span_context()) for c in contexts]
        parent = contexts[0] if len(envelopes) == 1 and contexts else None
        attributes = {"messaging.destination.name": topic, "messaging.batch.message_count": len(envelopes)}
        with span(
            self._tracer, f"process {topic}", kind=SpanKind.CONSUMER, parent=parent, attributes=attributes, links=links
        ):
            yield

    async def _handle_with_retries(self, record: Record) -> None:
        for attempt in range(1, self._max_attempts + 1):
            try:
                handled = await self._apply_in_one_transaction([record])
            except PoisonMessage as error:
                await self._dead_letter(record, error, attempt)
                return
            except Exception as error:
                if is_database_unreachable(error):
                    # Not the event's fault (issue 14): it waits for the database, never in the dead letters. Raised
                    # after a pause, so the partition is read again from this record.
                    await asyncio.sleep(self._backoff)
                    raise
                EVENTS_FAILED.labels(self.service, _type_of(record)).inc()
                if attempt == self._max_attempts:
                    await self._dead_letter(record, error, attempt)
                    return
                log.warning("event handling failed; backing off", extra={"attempt": attempt, "error": repr(error)})
                await asyncio.sleep(self._backoff * 2 ** (attempt - 1))
            else:
                self._count(handled)
                return

    def _route(self, record: Record) -> tuple[Envelope, Handler | None]:
        # A handled type's envelope and event are validated in one pass over the bytes (issue 9: not the envelope,
        # then its data again as the event); its `data` is then the event itself. The type is read off the bytes
        # only as a guess: the typed model checks it, and anything it refuses takes the general path below.
        typed = self._subscription.typed_envelope(_type_guess(record.value))
        if typed is not None:
            try:
                envelope = typed.model_validate_json(record.value)
            except ValidationError:
                pass
            else:
                return envelope, self._subscription.handler_for(envelope.type)
        try:
            envelope = Envelope.from_bytes(record.value)
        except ValidationError as error:
            raise PoisonMessage(f"not a valid CloudEvents envelope: {error}") from error
        return envelope, self._subscription.handler_for(envelope.type)

    def _count(self, handled: Sequence[_Handled]) -> None:
        now = self._clock.now()
        ages: dict[str, list[float]] = {}
        for item in handled:
            if item.applied and item.envelope is not None:
                # A replayed dead letter is as old as its replay: its first attempt's wait is the dead letter's
                # story (DeadLettersAppearing), not a slow path to guardians (SlowGuardianAlerts).
                since = item.envelope.replayedat or item.envelope.time
                ages.setdefault(item.envelope.type, []).append(max(0.0, (now - since).total_seconds()))
        for event_type, seconds in ages.items():  # a metric's labels resolved once per type and batch
            EVENTS_CONSUMED.labels(self.service, event_type).inc(len(seconds))
            observe_all(EVENT_AGE.labels(self.service, event_type), seconds)

    async def _dead_letter(self, record: Record, error: BaseException, attempts: int) -> None:
        """Park the record with its error; if even that fails, raise so the offset is not committed."""
        letter = {
            "consumer": self.group,
            "topic": record.topic,
            "partition": record.partition,
            "offset": record.offset,
            "key": record.key,
            "error": repr(error),
            "attempts": attempts,
            "failed_at": datetime.now(UTC).isoformat(),
            "value": record.value.decode(errors="replace"),
        }
        await self._bus.publish(self._dead_letter_topic, record.key or "", orjson.dumps(letter))
        DEAD_LETTERS.labels(self.service, _type_of(record)).inc()
        log.error("event sent to dead letters", extra={"topic": record.topic, "offset": record.offset})

    def _report_lag(self, consumer: BusConsumer) -> None:
        for part, lag in consumer.lag().items():
            CONSUMER_LAG.labels(self.service, self.group, part.topic, str(part.partition)).set(lag)


def _type_guess(value: bytes) -> str:
    """The first `"type":"…"` in the bytes (compact JSON, as `Envelope.to_bytes` writes it), or ''."""
    start = value.find(b'"type":"')
    if start < 0:
        return ""
    start += 8
    return value[start : value.find(b'"', start)].decode(errors="replace")


def _type_of(record: Record) -> str:
    try:
        return str(orjson.loads(record.value).get("type", "unknown"))
    except (orjson.JSONDecodeError, AttributeError):
        return "unreadable"
