"""The outbox relay: publishes committed outbox rows in id order, marks them sent, never loses one.

A row is marked sent only after the bus acknowledged it, so a crash at any point re-sends rather than loses;
consumers drop the duplicate by event id. A key's rows are sent one after another and a key stops at its
first failure, so a key's events never overtake each other; different keys are sent concurrently.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
from opentelemetry.trace import SpanKind, Tracer
from sqlalchemy import select, text, update
from sqlalchemy.ext.asyncio import AsyncConnection

from chassis.bus import Bus
from chassis.clock import Clock
from chassis.db import Database
from chassis.metrics import EVENTS_PUBLISHED, OUTBOX_BACKLOG, OUTBOX_SEND_FAILURES
from chassis.retention import Retention, purge_chassis_tables
from chassis.tables import ChassisTables
from chassis.tracing import parent_of, span
from chassis.uow import outbox_channel

log = logging.getLogger(__name__)

IDLE_POLL_SECONDS = 1.0  # only a safety net: commits wake the relay at once (in-process event, LISTEN/NOTIFY)
# After a pass that sent something, gather for a moment before the next one: under load this turns one pass
# (a SELECT, a send, an UPDATE) per commit into one per batch, while the first event after a quiet spell
# still goes at once.
COALESCE_SECONDS = 0.01
PURGE_EVERY = timedelta(minutes=5)


class OutboxRelay:
    """Moves one service's outbox to the bus; one replica at a time holds the relay lock (PostgreSQL)."""

    def __init__(
        self,
        db: Database,
        tables: ChassisTables,
        bus: Bus,
        *,
        service: str,
        clock: Clock,
        send_timeout: float = 10.0,
        batch_size: int = 500,
        tracer: Tracer | None = None,
        retention: Retention | None = None,
    ) -> None:
        self._db, self._outbox, self._answers, self._bus = db, tables.outbox, tables.idempotency, bus
        self.service, self._clock = service, clock
        self._send_timeout, self._batch_size = send_timeout, batch_size
        self._wake = asyncio.Event()
        self._failures = 0
        self._last_purge = datetime.min.replace(tzinfo=UTC)
        self._tracer = tracer
        self._inbox, self._retention = tables.inbox, retention or Retention()

    def wake(self) -> None:
        """Something was committed to the outbox: look now."""
        self._wake.set()

    async def run(self) -> None:
        """Relay until cancelled; on PostgreSQL, only while this replica holds the relay lock."""
        if self._db.is_sqlite:
            await self._relay_forever()
            return
        while True:
            try:
                async with self._db.engine.connect() as leader:
                    if await self._lead(leader):
                        await self._relay_forever()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("outbox relay lost its database connection; retrying")
            await asyncio.sleep(IDLE_POLL_SECONDS)

    async def _lead(self, conn: AsyncConnection) -> bool:
        """Take the relay lock and LISTEN on the held connection (released when it closes)."""
        got = (
            await conn.execute(
                text("SELECT pg_try_advisory_lock(hashtextextended(:n, 0))"), {"n": f"relay:{self.service}"}
            )
        ).scalar_one()
        await conn.commit()
        if not got:
            return False
        raw: Any = (await conn.get_raw_connection()).driver_connection
        await raw.add_listener(outbox_channel(self.service), lambda *_: self._wake.set())
        return True

    async def _relay_forever(self) -> None:
        last_housekeeping = 0.0
        loop = asyncio.get_running_loop()
        while True:
            self._wake.clear()
            try:
                sent, complete = await self.relay_once()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("outbox relay pass failed")
                sent, complete = 0, False
            if loop.time() - last_housekeeping > IDLE_POLL_SECONDS:
                await self._housekeeping()
                last_housekeeping = loop.time()
            if not complete:
                self._failures += 1
                await asyncio.sleep(min(0.1 * 2**self._failures, 5.0))
                continue
            self._failures = 0
            if sent < self._batch_size:
                if sent:
                    await asyncio.sleep(COALESCE_SECONDS)
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(IDLE_POLL_SECONDS):
                        await self._wake.wait()

    async def relay_once(self) -> tuple[int, bool]:
        """Send one batch; returns (rows sent, whether every row of the batch went)."""
        outbox = self._outbox
        # Each statement alone, outside a transaction: a pass is then two round trips to the database, with no BEGIN or
        # COMMIT around them, and under load every round trip waits its turn on the service's event loop (issue 13).
        async with self._db.autocommit() as connection:
            rows = (
                await connection.execute(
                    select(outbox.c.id, outbox.c.topic, outbox.c.key, outbox.c.type, outbox.c.payload)
                    .where(outbox.c.published_at.is_(None))
                    .order_by(outbox.c.id)
                    .limit(self._batch_size)
                )
            ).all()
        if not rows:
            return 0, True
        by_key: dict[str, list[Any]] = defaultdict(list)
        for row in rows:
            by_key[row.key].append(row)
        results = await asyncio.gather(*(self._send_in_order(key_rows) for key_rows in by_key.values()))
        sent = [row for done in results for row in done]
        if sent:
            async with self._db.autocommit() as connection:
                await connection.execute(
                    update(outbox).where(outbox.c.id.in_([r.id for r in sent])).values(published_at=self._clock.now())
                )
            for row in sent:
                EVENTS_PUBLISHED.labels(self.service, row.type).inc()
        return len(sent), len(sent) == len(rows)

    async def _send_in_order(self, rows: list[Any]) -> list[Any]:
        sent = []
        for row in rows:
            try:
                with self._sending(row):
                    async with asyncio.timeout(self._send_timeout):
                        await self._bus.publish(row.topic, row.key, row.payload)
            except asyncio.CancelledError:
                raise
            except Exception as error:
                OUTBOX_SEND_FAILURES.labels(self.service).inc()
                log.warning("outbox send failed; will retry", extra={"event_type": row.type, "error": repr(error)})
                break
            sent.append(row)
        return sent

    def _sending(self, row: Any) -> contextlib.AbstractContextManager[object]:
        """The send's producer span, continuing the trace of the request that wrote the event."""
        if self._tracer is None:
            return contextlib.nullcontext()
        parent = parent_of(orjson.loads(row.payload).get("traceparent"))
        return span(self._tracer, f"send {row.topic}", kind=SpanKind.PRODUCER, parent=parent)

    async def _housekeeping(self) -> None:
        """Report the backlog (an index-only count of unsent rows) and, now and then, purge the chassis tables' rows
        kept long enough (chassis/retention.py)."""
        outbox = self._outbox
        now = self._clock.now()
        if now - self._last_purge > PURGE_EVERY:
            await purge_chassis_tables(
                self._db, outbox, self._inbox, self._answers, self._retention, now=now, service=self.service
            )
            self._last_purge = now
        async with self._db.autocommit() as connection:
            backlog = (
                await connection.execute(
                    select(text("count(*)")).select_from(outbox).where(outbox.c.published_at.is_(None))
                )
            ).scalar_one()
        OUTBOX_BACKLOG.labels(self.service).set(backlog)
