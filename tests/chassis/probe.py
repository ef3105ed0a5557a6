"""A minimal service-shaped fixture for chassis tests: chassis tables plus one `effects` table."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import AsyncIterator

from sqlalchemy import Column, Integer, MetaData, String, Table, func, select

from chassis.db import Database
from chassis.tables import ChassisTables
from chassis.uow import UnitOfWork
from contracts.attendance import CheckInMethod, StudentCheckedIn
from contracts.envelope import Envelope
from tests.conftest import SCHOOL_AFTERNOON, school_clock
from tests.events import check_in

METADATA = MetaData()
TABLES = ChassisTables(METADATA)
EFFECTS = Table(
    "effects", METADATA, Column("id", Integer, primary_key=True, autoincrement=True), Column("event_id", String(64))
)
FACTS = Table(  # a fact kept under its own natural key, as the stipend keeps check-ins
    "facts", METADATA, Column("check_in_id", String(64), primary_key=True), Column("event_id", String(64))
)


@contextlib.asynccontextmanager
async def probe_database(url: str) -> AsyncIterator[Database]:
    """A database with the probe tables created."""
    db = Database(url)
    async with db.engine.begin() as conn:
        await conn.run_sync(METADATA.create_all)
    try:
        yield db
    finally:
        await db.dispose()


def unit_of_work(db: Database, on_publish: object = None) -> UnitOfWork:
    """A unit of work of the probe service."""
    return UnitOfWork(
        db,
        TABLES,
        service="probe",
        clock=school_clock(),
        on_publish=on_publish if callable(on_publish) else (lambda: None),
    )


def checked_in(student_id: str, n: int = 0) -> StudentCheckedIn:
    """A check-in event for `student_id`."""
    return check_in(
        f"c-{uuid.uuid4().hex[:8]}-{n}", student_id, SCHOOL_AFTERNOON, device_id="k", method=CheckInMethod.CARD
    )


def envelope_of(event: StudentCheckedIn) -> bytes:
    """The event as it travels."""
    return Envelope.wrap(event, source="/test", school_id="s1").to_bytes()


async def effect_count(db: Database) -> dict[str, int]:
    """How many times each event's effect was applied."""
    async with db.sessions() as session:
        rows = await session.execute(select(EFFECTS.c.event_id, func.count()).group_by(EFFECTS.c.event_id))
    return {r[0]: int(r[1]) for r in rows}
