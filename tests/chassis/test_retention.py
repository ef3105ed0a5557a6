"""The chassis' tables are bounded (issue 14): sent outbox rows, stored answers and inbox rows go once kept their
period, in small batches, counted; on PostgreSQL a BRIN index finds them by age."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, insert, select, text

from chassis.db import Database
from chassis.metrics import ROWS_PURGED
from chassis.retention import Retention, purge, purge_chassis_tables
from services.homework.app import DEFINITION

pytestmark = [pytest.mark.service, pytest.mark.timeout(120)]

NOW = datetime(2026, 11, 25, 7, 0, tzinfo=UTC)


@pytest.fixture
async def db(pg_url: str) -> AsyncIterator[Database]:
    """A service's database with no relay of its own purging it meanwhile."""
    database = Database(pg_url)
    await database.migrate(DEFINITION.migrations)
    yield database
    await database.dispose()


async def count(db: Database, table: str) -> int:
    async with db.sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(text(table))) or 0)


async def fill(db: Database, ages: dict[str, list[timedelta]]) -> None:
    """Rows of each chassis table, one per age (an outbox row sent as soon as written)."""
    tables = DEFINITION.tables
    async with db.sessions() as session, session.begin():
        for n, age in enumerate(ages.get("inbox", [])):
            await session.execute(insert(tables.inbox).values(consumer="c", event_id=f"e{n}", processed_at=NOW - age))
        for n, age in enumerate(ages.get("idempotency_keys", [])):
            row = {"scope": "s", "key": f"k{n}", "request_hash": "h", "status_code": 201, "body": {}}
            await session.execute(insert(tables.idempotency).values(**row, created_at=NOW - age))
        for n, age in enumerate(ages.get("outbox", [])):
            row = {"event_id": f"o{n}", "topic": "t", "key": "k", "type": "x", "payload": b"{}"}
            await session.execute(insert(tables.outbox).values(**row, created_at=NOW - age, published_at=NOW - age))


async def test_each_table_keeps_its_rows_their_period_and_no_longer(db: Database) -> None:
    await fill(
        db,
        {
            "inbox": [timedelta(days=13, hours=23), timedelta(days=14, minutes=1), timedelta(days=30)],
            "idempotency_keys": [timedelta(days=6), timedelta(days=7, minutes=1)],
            "outbox": [timedelta(hours=23), timedelta(hours=25)],
        },
    )
    tables = DEFINITION.tables
    before = ROWS_PURGED.labels("homework", "inbox")._value.get()
    purged = await purge_chassis_tables(
        db, tables.outbox, tables.inbox, tables.idempotency, Retention(), now=NOW, service="homework"
    )
    assert purged == {"outbox": 1, "idempotency_keys": 1, "inbox": 2}
    assert [await count(db, t) for t in ("outbox", "idempotency_keys", "inbox")] == [1, 1, 1]
    assert ROWS_PURGED.labels("homework", "inbox")._value.get() - before == 2


async def test_a_large_purge_goes_in_batches_until_none_is_left(db: Database) -> None:
    await fill(db, {"inbox": [timedelta(days=20)] * 23 + [timedelta(days=1)] * 2})
    inbox = DEFINITION.tables.inbox
    old = inbox.c.processed_at < NOW - timedelta(days=14)
    assert await purge(db, inbox, old, service="homework", batch=5) == 23
    assert await count(db, "inbox") == 2


async def test_postgresql_finds_old_rows_by_a_brin_index(db: Database) -> None:
    async with db.sessions() as session:
        found = await session.execute(text("SELECT indexname, indexdef FROM pg_indexes WHERE indexdef LIKE '%brin%'"))
        names = {row.indexname for row in found}
    assert names == {"ix_outbox_created_at", "ix_inbox_processed_at", "ix_idempotency_keys_created_at"}
