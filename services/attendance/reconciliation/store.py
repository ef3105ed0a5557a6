"""Regular-class attendance of a school day and the alerts raised from it (BX-4): tables and queries."""

from __future__ import annotations

from collections.abc import Collection
from datetime import date, datetime
from typing import Any

from sqlalchemy import Date, DateTime, Index, String, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from chassis.pagination import rows_after
from chassis.sql import insert_ignoring_duplicates, upsert
from services.attendance.store import Base


class SchoolDayMarkRow(Base):
    """A child's attendance in regular classes on a school day (BX-4), as the class register reports it."""

    __tablename__ = "school_day_marks"
    __table_args__ = (Index("ix_school_day_marks_class_day", "class_id", "day"),)

    student_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    school_id: Mapped[str] = mapped_column(String(64), index=True)
    class_id: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16))
    recorded_by: Mapped[str] = mapped_column(String(64))
    recorded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class MissingAlert(Base):
    """BX-4: a child alerted as missing from a session (one per child and session, whoever fires first)."""

    __tablename__ = "missing_from_session_alerts"
    __table_args__ = (Index("ix_missing_alerts_school_day", "school_id", "day"),)

    session_id: Mapped[str] = mapped_column(String(160), primary_key=True)
    student_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    school_id: Mapped[str] = mapped_column(String(64))
    day: Mapped[date] = mapped_column(Date)
    class_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    alerted_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


async def save_mark(session: AsyncSession, values: dict[str, Any]) -> None:
    """Store a child's mark of the day; a corrected register replaces the earlier mark."""
    await session.execute(upsert(session, SchoolDayMarkRow, values, ["student_id", "day"]))


async def has_marks(session: AsyncSession, *, school_id: str, day: date) -> bool:
    """Whether any register of the school's day is in."""
    query = select(SchoolDayMarkRow.student_id).where(
        SchoolDayMarkRow.school_id == school_id, SchoolDayMarkRow.day == day
    )
    return (await session.execute(query.limit(1))).first() is not None


async def present_at_school(
    session: AsyncSession, *, school_id: str, day: date, student_ids: Collection[str]
) -> frozenset[str]:
    """Of these children, those marked present in regular classes on `day`."""
    if not student_ids:
        return frozenset()
    query = select(SchoolDayMarkRow.student_id).where(
        SchoolDayMarkRow.school_id == school_id,
        SchoolDayMarkRow.day == day,
        SchoolDayMarkRow.status == "present",
        SchoolDayMarkRow.student_id.in_(list(student_ids)),
    )
    return frozenset((await session.execute(query)).scalars())


async def marks_of_class(
    session: AsyncSession, *, class_id: str, day: date, after: str | None, limit: int
) -> list[SchoolDayMarkRow]:
    """A page of a class's marks of the day, by student id."""
    query = select(SchoolDayMarkRow).where(SchoolDayMarkRow.class_id == class_id, SchoolDayMarkRow.day == day)
    return await rows_after(session, query, [SchoolDayMarkRow.student_id], after, limit)


async def insert_alert(session: AsyncSession, values: dict[str, Any]) -> bool:
    """Record the alert; False if this child was already alerted for this session."""
    statement = insert_ignoring_duplicates(session, MissingAlert, values).returning(MissingAlert.student_id)
    return (await session.execute(statement)).first() is not None


async def alerts_of_day(
    session: AsyncSession, *, school_id: str, day: date, after: tuple[str, str] | None, limit: int
) -> list[MissingAlert]:
    """A page of a school's alerts of a day, by session then student."""
    query = select(MissingAlert).where(MissingAlert.school_id == school_id, MissingAlert.day == day)
    return await rows_after(session, query, [MissingAlert.session_id, MissingAlert.student_id], after, limit)
