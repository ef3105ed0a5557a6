"""Stipend tables and keyword-only queries."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, Index, Integer, String, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from chassis.tables import ChassisTables


class Base(DeclarativeBase):
    """Stipend's own tables."""


TABLES = ChassisTables(Base.metadata)


class AttendedSession(Base):
    """One child present at one session; the primary key makes a second report of it a no-op (ST-7)."""

    __tablename__ = "attended_sessions"
    __table_args__ = (Index("ix_attended_school_month", "school_id", "month"),)

    student_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    session_date: Mapped[str] = mapped_column(String(10), primary_key=True)
    school_id: Mapped[str] = mapped_column(String(64))
    month: Mapped[str] = mapped_column(String(7))
    class_hours: Mapped[int] = mapped_column(Integer)
    first_check_in_id: Mapped[str] = mapped_column(String(64))
    first_event_id: Mapped[str] = mapped_column(String(64))
    recorded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


async def student_tallies(session: AsyncSession, *, school_id: str, month: str) -> list[tuple[str, int, int]]:
    """(student, sessions, class-hours) for a school's month, by student."""
    rows = await session.execute(
        select(AttendedSession.student_id, func.count(), func.sum(AttendedSession.class_hours))
        .where(AttendedSession.school_id == school_id, AttendedSession.month == month)
        .group_by(AttendedSession.student_id)
        .order_by(AttendedSession.student_id)
    )
    return [(r[0], int(r[1]), int(r[2])) for r in rows]


async def session_tallies(session: AsyncSession, *, school_id: str, month: str) -> list[tuple[str, int, int]]:
    """(session date, students present, class-hours) for a school's month, by session."""
    rows = await session.execute(
        select(AttendedSession.session_date, func.count(), func.sum(AttendedSession.class_hours))
        .where(AttendedSession.school_id == school_id, AttendedSession.month == month)
        .group_by(AttendedSession.session_date)
        .order_by(AttendedSession.session_date)
    )
    return [(r[0], int(r[1]), int(r[2])) for r in rows]
