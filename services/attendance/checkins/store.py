"""Check-in tables and keyword-only queries."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import DateTime, Index, String, UniqueConstraint, exists, func, literal, select, text, tuple_
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from chassis.pagination import rows_after
from chassis.sql import dialect_insert
from services.attendance.store import Base, RosterStudent


class CheckIn(Base):
    """A stored check-in; one per device event (AT-8)."""

    __tablename__ = "check_ins"
    __table_args__ = (
        UniqueConstraint("school_id", "device_id", "student_id", "occurred_at", name="uq_check_in_device_event"),
        Index("ix_check_ins_school_date", "school_id", "session_date"),
    )

    check_in_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    school_id: Mapped[str] = mapped_column(String(64))
    student_id: Mapped[str] = mapped_column(String(64))
    device_id: Mapped[str] = mapped_column(String(128))
    method: Mapped[str] = mapped_column(String(16))
    occurred_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    recorded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    recorded_by: Mapped[str] = mapped_column(String(128))
    session_date: Mapped[str] = mapped_column(String(10))


def _columns(row: CheckIn) -> dict[str, Any]:
    return {column.key: getattr(row, column.key) for column in CheckIn.__table__.columns}


async def insert_check_in_for_rostered_student(session: AsyncSession, row: CheckIn) -> bool:
    """Insert the check-in in one statement, only if the student is on that school's roster and the device event
    is new (AT-8); False otherwise (tell the two apart with `find_check_in`)."""
    table, values = CheckIn.__table__, _columns(row)
    on_roster = exists().where(RosterStudent.student_id == row.student_id, RosterStudent.school_id == row.school_id)
    source = select(*(literal(value, table.c[name].type) for name, value in values.items())).where(on_roster)
    statement = (
        dialect_insert(session, CheckIn)
        .from_select(list(values), source)
        .on_conflict_do_nothing()
        .returning(CheckIn.check_in_id)
    )
    return (await session.execute(statement)).first() is not None


# The check-in alone, for `chassis.shortcut` to store with its event and answer in one statement (PostgreSQL): the
# same condition as `insert_check_in_for_rostered_student`, a row back only if it was inserted.
INSERT_IF_ROSTERED_ON_POSTGRESQL = """
    INSERT INTO check_ins (check_in_id, school_id, student_id, device_id, method, occurred_at, recorded_at,
                           recorded_by, session_date)
    SELECT CAST($1 AS text), CAST($2 AS text), CAST($3 AS text), CAST($4 AS text), CAST($5 AS text),
           CAST($6 AS timestamptz), CAST($7 AS timestamptz), CAST($8 AS text), CAST($9 AS text)
    WHERE EXISTS (SELECT 1 FROM roster_students WHERE student_id = CAST($3 AS text) AND school_id = CAST($2 AS text))
    ON CONFLICT DO NOTHING
    RETURNING check_in_id
"""


def insert_args(row: CheckIn) -> tuple[Any, ...]:
    """`INSERT_IF_ROSTERED_ON_POSTGRESQL`'s arguments for this row, in its placeholders' order."""
    return (
        row.check_in_id,
        row.school_id,
        row.student_id,
        row.device_id,
        row.method,
        row.occurred_at,
        row.recorded_at,
        row.recorded_by,
        row.session_date,
    )


async def find_check_in(
    session: AsyncSession, *, school_id: str, device_id: str, student_id: str, occurred_at: datetime
) -> CheckIn | None:
    """The check-in stored for this device event, if any."""
    query = select(CheckIn).where(
        CheckIn.school_id == school_id,
        CheckIn.device_id == device_id,
        CheckIn.student_id == student_id,
        CheckIn.occurred_at == occurred_at,
    )
    return (await session.execute(query)).scalar_one_or_none()


async def list_check_ins(
    session: AsyncSession, *, school_id: str, session_date: str, limit: int, offset: int
) -> tuple[list[CheckIn], int]:
    """A page of a school's check-ins of one day in device-time order, and the total count."""
    where = (CheckIn.school_id == school_id, CheckIn.session_date == session_date)
    total = (await session.execute(select(func.count()).select_from(CheckIn).where(*where))).scalar_one()
    page = await session.execute(
        select(CheckIn).where(*where).order_by(CheckIn.occurred_at, CheckIn.check_in_id).limit(limit).offset(offset)
    )
    return list(page.scalars()), int(total)


async def check_ins_page(
    session: AsyncSession, *, school_id: str, session_date: str, after: tuple[datetime, str] | None, limit: int
) -> list[CheckIn]:
    """Up to `limit` of a school's check-ins of one day after the (device time, id) key, in that order."""
    query = select(CheckIn).where(CheckIn.school_id == school_id, CheckIn.session_date == session_date)
    return await rows_after(session, query, [CheckIn.occurred_at, CheckIn.check_in_id], after, limit)


async def rostered(session: AsyncSession, *, school_id: str, student_ids: Collection[str]) -> dict[str, RosterStudent]:
    """The students among `student_ids` on this school's roster, by id."""
    if not student_ids:
        return {}
    query = select(RosterStudent).where(
        RosterStudent.school_id == school_id, RosterStudent.student_id.in_(list(student_ids))
    )
    return {row.student_id: row for row in (await session.execute(query)).scalars()}


# One array a column: one prepared statement whatever the batch's size, nothing compiled per request.
_INSERT_MANY_ON_POSTGRESQL = text(
    """
    INSERT INTO check_ins (check_in_id, school_id, student_id, device_id, method, occurred_at, recorded_at,
                           recorded_by, session_date)
    SELECT * FROM unnest(CAST(:check_in_id AS text[]), CAST(:school_id AS text[]), CAST(:student_id AS text[]),
                         CAST(:device_id AS text[]), CAST(:method AS text[]), CAST(:occurred_at AS timestamptz[]),
                         CAST(:recorded_at AS timestamptz[]), CAST(:recorded_by AS text[]),
                         CAST(:session_date AS text[]))
    ON CONFLICT DO NOTHING
    RETURNING check_in_id
    """
)


async def insert_new_check_ins(session: AsyncSession, rows: Sequence[CheckIn]) -> set[str]:
    """Insert many check-ins in one statement, skipping device events already stored (AT-8); the ids inserted."""
    if not rows:
        return set()
    if session.get_bind().dialect.name == "postgresql":
        columns = {c.key: [getattr(row, c.key) for row in rows] for c in CheckIn.__table__.columns}
        return set((await session.execute(_INSERT_MANY_ON_POSTGRESQL, columns)).scalars())
    values = [_columns(row) for row in rows]
    statement = dialect_insert(session, CheckIn).values(values).on_conflict_do_nothing().returning(CheckIn.check_in_id)
    return {row.check_in_id for row in await session.execute(statement)}


async def stored_events(
    session: AsyncSession, *, school_id: str, device_id: str, keys: Collection[tuple[str, datetime]]
) -> dict[tuple[str, datetime], CheckIn]:
    """The check-ins already stored for these (student, device time) events of one device."""
    if not keys:
        return {}
    query = select(CheckIn).where(
        CheckIn.school_id == school_id,
        CheckIn.device_id == device_id,
        tuple_(CheckIn.student_id, CheckIn.occurred_at).in_(list(keys)),
    )
    return {(row.student_id, row.occurred_at): row for row in (await session.execute(query)).scalars()}
