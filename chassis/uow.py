"""Unit of work: one transaction holds the state change, its outbox rows and (for consumers) the inbox row."""

from __future__ import annotations

import inspect
import logging
from collections.abc import Callable, Sequence
from datetime import datetime
from types import TracebackType
from typing import Self

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from chassis.broadcast import Broadcaster, MemoryBroadcaster
from chassis.clock import Clock
from chassis.db import Database
from chassis.logs import current_traceparent
from chassis.sql import insert_ignoring_duplicates
from chassis.tables import ChassisTables
from contracts.envelope import Envelope, Event

log = logging.getLogger(__name__)

# One round trip. Writers of one key queue on the advisory lock until the previous writer commits, and the
# lock is taken (in the materialised CTE) before the row, and so its id, is formed: outbox ids follow commit
# order per key, and the relay, reading in id order, never reorders a key's events. NOTIFY is delivered at
# commit, so a relay on another replica wakes only for committed rows.
_PUBLISH_ON_POSTGRESQL = text(
    """
    WITH key_lock AS MATERIALIZED (
        SELECT pg_advisory_xact_lock(hashtextextended('outbox:' || CAST(:key AS text), 0)), pg_notify(:channel, '')
    )
    INSERT INTO outbox (event_id, topic, key, type, payload, created_at)
    SELECT :event_id, :topic, :key, :type, CAST(:payload AS bytea), CAST(:created_at AS timestamptz) FROM key_lock
    """
)
# Many keys at once (bulk writers such as imports): every key's lock in key order, so two bulk writers cannot
# deadlock, then one multi-row INSERT.
_LOCK_KEYS_ON_POSTGRESQL = text(
    """
    SELECT count(pg_advisory_xact_lock(hashtextextended('outbox:' || k, 0))), pg_notify(:channel, '')
    FROM (SELECT unnest(CAST(:keys AS text[])) AS k ORDER BY 1) AS sorted_keys
    """
)
_LOCK_NAME_ON_POSTGRESQL = text("SELECT pg_advisory_xact_lock(hashtextextended(:name, 0))")
_BULK_CHUNK = 1000


class UnitOfWork:
    """`async with runtime.uow() as uow: ...; await uow.commit()`: nothing is kept unless committed."""

    def __init__(
        self,
        db: Database,
        tables: ChassisTables,
        *,
        service: str,
        clock: Clock,
        on_publish: Callable[[], None],
        broadcaster: Broadcaster | None = None,
    ) -> None:
        self._db, self._tables, self.service, self.clock = db, tables, service, clock
        # Live fan-out for after-commit pings; a unit of work outside a running service pings no one.
        self.broadcaster: Broadcaster = broadcaster if broadcaster is not None else MemoryBroadcaster()
        self._on_publish = on_publish
        self._published = 0
        self._after_commit: list[Callable[[], object]] = []
        self.session: AsyncSession

    async def __aenter__(self) -> Self:
        self.session = self._db.sessions()
        await self.session.begin()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self.session.in_transaction():
            await self.session.rollback()
        await self.session.close()

    async def commit(self) -> None:
        """Commit everything at once, then run the after-commit hooks."""
        await self.session.commit()
        if self._published:
            self._on_publish()
        for hook in self._after_commit:
            try:
                result = hook()
                if inspect.isawaitable(result):
                    await result
            except Exception:
                # The effect is committed; a failed side notice (a live push) must not undo or repeat it.
                log.warning("after-commit hook failed", exc_info=True)

    def after_commit(self, hook: Callable[[], object]) -> None:
        """Run `hook` (sync, or returning an awaitable) once the transaction has committed."""
        self._after_commit.append(hook)

    async def publish(self, event: Event, *, school_id: str, time: datetime | None = None) -> Envelope:
        """Add an event to the outbox in this transaction; the relay publishes it after commit."""
        envelope = Envelope.wrap(
            event,
            source=f"/afterschool/{self.service}",
            school_id=school_id,
            time=time or self.clock.now(),
            traceparent=current_traceparent(),
        )
        row = {
            "event_id": envelope.id,
            "topic": event.topic,
            "key": event.key(),
            "type": event.type,
            "payload": envelope.to_bytes(),
            "created_at": self.clock.now(),
        }
        if self._db.is_sqlite:
            await self.session.execute(self._tables.outbox.insert().values(**row))
        else:
            await self.session.execute(_PUBLISH_ON_POSTGRESQL, {**row, "channel": outbox_channel(self.service)})
        self._published += 1
        return envelope

    async def publish_many(self, events: Sequence[Event], *, school_id: str) -> list[Envelope]:
        """`publish` for many events in a few statements: each key's events keep their order and commit order."""
        if not events:
            return []
        now, trace = self.clock.now(), current_traceparent()
        source = f"/afterschool/{self.service}"
        envelopes = [Envelope.wrap(e, source=source, school_id=school_id, time=now, traceparent=trace) for e in events]
        rows = [
            {
                "event_id": envelope.id,
                "topic": event.topic,
                "key": event.key(),
                "type": event.type,
                "payload": envelope.to_bytes(),
                "created_at": now,
            }
            for event, envelope in zip(events, envelopes, strict=True)
        ]
        if not self._db.is_sqlite:
            channel = outbox_channel(self.service)
            await self.session.execute(
                _LOCK_KEYS_ON_POSTGRESQL, {"keys": sorted({e.key() for e in events}), "channel": channel}
            )
        for start in range(0, len(rows), _BULK_CHUNK):
            await self.session.execute(self._tables.outbox.insert(), rows[start : start + _BULK_CHUNK])
        self._published += len(rows)
        return envelopes

    async def lock(self, name: str) -> None:
        """Queue behind every other transaction that locks `name`, until this one ends.

        PostgreSQL takes a transaction-scoped advisory lock; SQLite (embedded mode) needs none, because its
        writers are serialised already.
        """
        if not self._db.is_sqlite:
            await self.session.execute(_LOCK_NAME_ON_POSTGRESQL, {"name": name})

    async def claim(self, consumer: str, event_id: str) -> bool:
        """Record that `consumer` handles `event_id`; False if it already did (the effect must be skipped)."""
        inbox = self._tables.inbox
        statement = insert_ignoring_duplicates(
            self.session, inbox, {"consumer": consumer, "event_id": event_id, "processed_at": self.clock.now()}
        ).returning(inbox.c.event_id)
        return (await self.session.execute(statement)).first() is not None


def outbox_channel(service: str) -> str:
    """The PostgreSQL NOTIFY channel a service's relay listens on."""
    return f"outbox_{service}"
