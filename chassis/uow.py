"""Unit of work: one transaction holds the state change, its outbox rows and (for consumers) the inbox row."""

from __future__ import annotations

import inspect
import logging
from collections.abc import Awaitable, Callable, Collection, Hashable, Iterable, Mapping, Sequence
from datetime import datetime
from types import TracebackType
from typing import Any, Self, TypeVar

import orjson
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from chassis.broadcast import Broadcaster, MemoryBroadcaster
from chassis.clock import Clock
from chassis.db import Database
from chassis.logs import current_traceparent
from chassis.sql import Target, dialect_insert, insert_json_rows_ignoring_duplicates
from chassis.tables import ChassisTables
from contracts.envelope import Envelope, Event

log = logging.getLogger(__name__)


def outbox_lock_id(key: str) -> str:
    """The SQL of a key's outbox lock id (`key`: an SQL expression), one formula for every writer of the outbox."""
    return f"hashtextextended('outbox:' || CAST({key} AS text), 0)"


# One round trip. Writers of one key queue on the advisory lock until the previous writer commits, and the
# lock is taken (in the materialised CTE) before the row, and so its id, is formed: outbox ids follow commit
# order per key, and the relay, reading in id order, never reorders a key's events. NOTIFY is delivered at
# commit, so a relay on another replica wakes only for committed rows.
_PUBLISH_ON_POSTGRESQL = text(
    f"""
    WITH key_lock AS MATERIALIZED (
        SELECT pg_advisory_xact_lock({outbox_lock_id(":key")}), pg_notify(:channel, '')
    )
    INSERT INTO outbox (event_id, topic, key, type, payload, created_at)
    SELECT :event_id, :topic, :key, :type, CAST(:payload AS bytea), CAST(:created_at AS timestamptz) FROM key_lock
    """
)
# Many keys at once (bulk writers such as imports): every key's lock in key order, so two bulk writers cannot
# deadlock, then one multi-row INSERT.
_LOCK_KEYS_ON_POSTGRESQL = text(
    f"""
    SELECT count(pg_advisory_xact_lock({outbox_lock_id("k")})), pg_notify(:channel, '')
    FROM (SELECT unnest(CAST(:keys AS text[])) AS k ORDER BY 1) AS sorted_keys
    """
)
_LOCK_NAME_ON_POSTGRESQL = text("SELECT pg_advisory_xact_lock(hashtextextended(:name, 0))")
# A batch's event ids in one statement (one array parameter, so one prepared statement whatever the batch size).
# Ids go in sorted: two consumers claiming overlapping ids take the rows' locks in one order and cannot deadlock.
_CLAIM_ON_POSTGRESQL = text(
    """
    INSERT INTO inbox (consumer, event_id, processed_at)
    SELECT :consumer, ids.event_id, CAST(:processed_at AS timestamptz)
    FROM unnest(CAST(:event_ids AS text[])) WITH ORDINALITY AS ids(event_id, n) ORDER BY ids.n
    ON CONFLICT DO NOTHING
    RETURNING event_id
    """
)
_BULK_CHUNK = 1000
# SQLite binds at most 32,766 parameters a statement; three a claimed id.
_SQLITE_CLAIM_CHUNK = 5000


T = TypeVar("T")
K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


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
        self._before_commit: list[Callable[[], Awaitable[None]]] = []
        self._kept: dict[tuple[Any, frozenset[str]], list[dict[str, Any]]] = {}
        self._read: dict[Hashable, Any] = {}  # read_once's answers, by key
        self._read_kinds: dict[Hashable, dict[Any, Any]] = {}  # read_many's answers, by kind then key
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
        """Run the before-commit hooks, write the kept rows, commit everything at once, then run the after-commit
        hooks."""
        for write in self._before_commit:
            await write()
        await self._write_kept()
        await self.session.commit()
        if self._published:
            self._on_publish()
        await run_after_effect(self._after_commit)

    async def read_once(self, key: Hashable, read: Callable[[], Awaitable[T]]) -> T:
        """`read()` the first time `key` is asked in this transaction, and its answer every later time: for reference
        rows that every event of a consumer's batch reads alike (a school's webhook endpoints)."""
        if key not in self._read:
            self._read[key] = await read()
        answer: T = self._read[key]
        return answer

    async def read_many(
        self, kind: Hashable, keys: Iterable[K], read: Callable[[list[K]], Awaitable[Mapping[K, V]]]
    ) -> dict[K, V | None]:
        """The answer for each key: `read(keys)` once for the keys of `kind` not yet asked in this transaction, then
        remembered (None for a key it did not find). A consumer's prefetch asks for a whole batch's keys, so each
        handler's own ask then reads nothing (`Subscription.prefetch`)."""
        wanted = list(dict.fromkeys(keys))
        known = self._read_kinds.setdefault(kind, {})
        missing = [key for key in wanted if key not in known]
        if missing:
            found = await read(missing)
            known.update({key: found.get(key) for key in missing})
        return {key: known[key] for key in wanted}

    def forget(self, kind: Hashable) -> None:
        """Drop what `read_many` remembers of `kind`: for a handler that has just written those rows."""
        self._read_kinds.pop(kind, None)

    def before_commit(self, write: Callable[[], Awaitable[None]]) -> None:
        """Run `write` at commit, before the kept rows: for rows a consumer's handlers gather across its batch and
        write in one go (in the transaction, so they are committed with the inbox rows or not at all)."""
        self._before_commit.append(write)

    def after_commit(self, hook: Callable[[], object]) -> None:
        """Run `hook` (sync, or returning an awaitable) once the transaction has committed."""
        self._after_commit.append(hook)

    async def publish(self, event: Event, *, school_id: str, time: datetime | None = None) -> Envelope:
        """Add an event to the outbox in this transaction; the relay publishes it after commit."""
        now = self.clock.now()
        envelope, row = outbox_row(self.service, event, school_id=school_id, time=time or now, now=now)
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
        made = [outbox_row(self.service, e, school_id=school_id, time=now, now=now, traceparent=trace) for e in events]
        envelopes, rows = [envelope for envelope, _ in made], [row for _, row in made]
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

    async def claim_many(self, consumer: str, event_ids: Collection[str]) -> set[str]:
        """Record that `consumer` handles these events, in one statement; returns the ids it had not handled yet.

        `INSERT … ON CONFLICT DO NOTHING RETURNING`: an id seen before (or twice in `event_ids`) is returned at
        most once, so the caller applies each event's effect once, in this same transaction.
        """
        ids = sorted(set(event_ids))
        if not ids:
            return set()
        now = self.clock.now()
        if not self._db.is_sqlite:
            params = {"consumer": consumer, "event_ids": ids, "processed_at": now}
            return set((await self.session.execute(_CLAIM_ON_POSTGRESQL, params)).scalars())
        inbox, fresh = self._tables.inbox, set[str]()
        for start in range(0, len(ids), _SQLITE_CLAIM_CHUNK):
            chunk = ids[start : start + _SQLITE_CLAIM_CHUNK]
            rows = [{"consumer": consumer, "event_id": i, "processed_at": now} for i in chunk]
            statement = dialect_insert(self.session, inbox).values(rows).on_conflict_do_nothing()
            fresh.update((await self.session.execute(statement.returning(inbox.c.event_id))).scalars())
        return fresh

    async def flush(self) -> None:
        """Send what the session holds to the database now, and skip the trip through SQLAlchemy when it holds
        nothing: a handler that may have added rows flushes on every event of a backlog (issue 13)."""
        if self.session.new or self.session.dirty or self.session.deleted:
            await self.session.flush()

    def keep(self, table: Target, values: Mapping[str, Any]) -> None:
        """Insert `values` into `table` at commit, ignoring a row whose key is already there.

        A consumer's batch of facts becomes one multi-row INSERT … ON CONFLICT DO NOTHING per table instead of a
        round trip per event; rows keep their order, so the first of two rows with one key wins as it would one
        by one. Only for rows nothing reads back before the commit (the write happens at `commit`).
        """
        self._kept.setdefault((table, frozenset(values)), []).append(dict(values))

    async def _write_kept(self) -> None:
        kept, self._kept = self._kept, {}
        for (table, columns), rows in kept.items():
            target = getattr(table, "__table__", table)  # Core, not the ORM's bulk path: plain rows
            names = tuple(sorted(columns))
            as_json = None if self._db.is_sqlite else insert_json_rows_ignoring_duplicates(target, names)
            if as_json is not None:
                await self.session.execute(as_json, {"rows": orjson.dumps(rows, option=orjson.OPT_NAIVE_UTC).decode()})
                continue
            statement = dialect_insert(self.session, target).on_conflict_do_nothing()
            for start in range(0, len(rows), _BULK_CHUNK):
                await self.session.execute(statement, rows[start : start + _BULK_CHUNK])


async def run_after_effect(hooks: Iterable[Callable[[], object]]) -> None:
    """Run each hook (sync, or returning an awaitable) once an effect is committed; a failure is logged, not raised."""
    for hook in hooks:
        try:
            result = hook()
            if inspect.isawaitable(result):
                await result
        except Exception:
            # The effect is committed; a failed side notice (a live push) must not undo or repeat it.
            log.warning("after-commit hook failed", exc_info=True)


def outbox_row(
    service: str, event: Event, *, school_id: str, time: datetime, now: datetime, traceparent: str | None = None
) -> tuple[Envelope, dict[str, Any]]:
    """The event's envelope and the outbox row that carries it (`traceparent`: the current one unless given)."""
    envelope = Envelope.wrap(
        event,
        source=f"/afterschool/{service}",
        school_id=school_id,
        time=time,
        traceparent=traceparent if traceparent is not None else current_traceparent(),
    )
    row = {
        "event_id": envelope.id,
        "topic": event.topic,
        "key": event.key(),
        "type": event.type,
        "payload": envelope.to_bytes(),
        "created_at": now,
    }
    return envelope, row


def outbox_channel(service: str) -> str:
    """The PostgreSQL NOTIFY channel a service's relay listens on."""
    return f"outbox_{service}"
