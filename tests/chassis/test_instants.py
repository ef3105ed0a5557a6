"""Instants carry their UTC offset in every mode (issue 11): SQLite, which keeps none, stores UTC and answers
aware datetimes, so the embedded mode compares and answers timestamps exactly as PostgreSQL does."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import Column, DateTime, Integer, MetaData, Table, insert, select

from chassis.db import Database
from tests.conftest import fresh_database

pytestmark = pytest.mark.service

SHANGHAI = timezone(timedelta(hours=8))
METADATA = MetaData()
MOMENTS = Table(
    "moments",
    METADATA,
    Column("id", Integer, primary_key=True),
    Column("at", DateTime(timezone=True), nullable=False),
)


@pytest.fixture(params=["postgresql", "sqlite"])
async def db(request: pytest.FixtureRequest, tmp_path: Path) -> object:
    """The same table on both databases."""
    if request.param == "sqlite":
        database = Database(f"sqlite+aiosqlite:///{tmp_path / 'moments.db'}")
        async with database.engine.begin() as conn:
            await conn.run_sync(METADATA.create_all)
        yield database
        await database.dispose()
        return
    async with fresh_database() as url:
        database = Database(url)
        async with database.engine.begin() as conn:
            await conn.run_sync(METADATA.create_all)
        yield database
        await database.dispose()


async def test_an_instant_written_with_any_offset_reads_back_aware_and_orders_by_the_instant(db: Database) -> None:
    afternoon = datetime(2026, 11, 25, 15, 0, tzinfo=SHANGHAI)  # 07:00 UTC
    morning_utc = datetime(2026, 11, 25, 8, 0, tzinfo=UTC)  # 16:00 in Shanghai: later, though "08" < "15"
    async with db.engine.begin() as conn:
        await conn.execute(insert(MOMENTS), [{"id": 1, "at": afternoon}, {"id": 2, "at": morning_utc}])
    async with db.engine.connect() as conn:
        rows = (await conn.execute(select(MOMENTS.c.id, MOMENTS.c.at).order_by(MOMENTS.c.at))).all()
        later = (await conn.execute(select(MOMENTS.c.id).where(MOMENTS.c.at > afternoon))).scalars().all()
    assert [row.id for row in rows] == [1, 2]
    assert [row.at for row in rows] == [afternoon, morning_utc]
    assert all(row.at.utcoffset() == timedelta(0) for row in rows)
    assert later == [2]
