"""How long the chassis keeps its own rows, and their purge: in small batches, oldest first, each batch its own
short transaction (a long DELETE would hold locks while kiosks write), counted in `afterschool_rows_purged`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Table, delete, select, tuple_

from chassis.db import Database
from chassis.metrics import ROWS_PURGED
from chassis.settings import ServiceSettings

PURGE_BATCH = 5000


@dataclass(frozen=True)
class Retention:
    """Periods the chassis' tables keep a row (the service's settings set them)."""

    sent_events: timedelta = timedelta(hours=24)
    """An outbox row once sent: kept a day, for tracing a figure back to its event."""
    answers: timedelta = timedelta(days=7)
    """A stored answer is replayed to a retry for a week: as long as a kiosk's offline upload may come (AT-8's
    window). After that it goes, with the personal data its body may hold (PIPL)."""
    handled_events: timedelta = timedelta(days=14)
    """An inbox row: longer than the topics keep an event (7 days), so a redelivered or replayed one is still
    recognised and skipped."""

    @classmethod
    def of(cls, settings: ServiceSettings) -> Retention:
        """The periods a service's settings give (`<P>OUTBOX_SENT_KEPT_HOURS`, `…ANSWERS_KEPT_DAYS`, …)."""
        return cls(
            sent_events=timedelta(hours=settings.outbox_sent_kept_hours),
            answers=timedelta(days=settings.answers_kept_days),
            handled_events=timedelta(days=settings.inbox_kept_days),
        )


async def purge(
    db: Database, table: Table, *conditions: ColumnElement[bool], service: str, batch: int = PURGE_BATCH
) -> int:
    """Delete `table`'s rows matching `conditions`, `batch` at a time until none is left; how many."""
    key: list[Any] = list(table.primary_key.columns)
    chosen = select(*key).where(*conditions).limit(batch)
    matching = key[0].in_(chosen) if len(key) == 1 else tuple_(*key).in_(chosen)
    total = 0
    while True:
        async with db.sessions() as session, session.begin():
            deleted = int(getattr(await session.execute(delete(table).where(matching)), "rowcount", 0) or 0)
        total += deleted
        ROWS_PURGED.labels(service, table.name).inc(deleted)
        if deleted < batch:
            return total


async def purge_chassis_tables(
    db: Database, outbox: Table, inbox: Table, answers: Table, retention: Retention, *, now: datetime, service: str
) -> dict[str, int]:
    """Every chassis table's rows older than their period; how many of each."""
    sent_before = now - retention.sent_events
    return {
        # created_at first: the BRIN index narrows the scan, and a row is never sent before it is created.
        "outbox": await purge(
            db, outbox, outbox.c.created_at < sent_before, outbox.c.published_at < sent_before, service=service
        ),
        "idempotency_keys": await purge(db, answers, answers.c.created_at < now - retention.answers, service=service),
        "inbox": await purge(db, inbox, inbox.c.processed_at < now - retention.handled_events, service=service),
    }
