"""Handovers and their discrepancies (AT-1, BX-3): tables and keyword-only queries."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Date, Index, Integer, String, Text, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column
from sqlalchemy.sql.elements import ColumnElement

from chassis.figures import count_by_school
from chassis.pagination import rows_after
from services.attendance.store import Base, UtcDateTime, open_or_resolved


class Handover(Base):
    """One class's children handed over to a session: both confirmations, who and when (BX-3)."""

    __tablename__ = "handovers"
    __table_args__ = (Index("ix_handovers_school_session", "school_id", "session_id"),)

    handover_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    school_id: Mapped[str] = mapped_column(String(64))
    session_id: Mapped[str] = mapped_column(String(120))
    class_id: Mapped[str] = mapped_column(String(64))
    day: Mapped[date] = mapped_column(Date)
    teacher_ids: Mapped[list[str]] = mapped_column(JSON)
    given_by: Mapped[str] = mapped_column(String(64))
    given_at: Mapped[datetime] = mapped_column(UtcDateTime)
    count: Mapped[int] = mapped_column(Integer)
    expected_count: Mapped[int] = mapped_column(Integer)
    on_leave_student_ids: Mapped[list[str]] = mapped_column(JSON)
    student_ids: Mapped[list[str] | None] = mapped_column(JSON, nullable=True)
    acknowledged_by: Mapped[str | None] = mapped_column(String(64), nullable=True)
    acknowledged_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    acknowledged_count: Mapped[int | None] = mapped_column(Integer, nullable=True)
    escalation_step: Mapped[int] = mapped_column(Integer, default=0)


class HandoverDiscrepancy(Base):
    """AT-1: two counts that differ; open until someone resolves it with a note."""

    __tablename__ = "handover_discrepancies"
    __table_args__ = (Index("ix_handover_discrepancies_school_open", "school_id", "resolved_at"),)

    discrepancy_id: Mapped[str] = mapped_column(String(220), primary_key=True)
    handover_id: Mapped[str] = mapped_column(String(200), index=True)
    school_id: Mapped[str] = mapped_column(String(64))
    session_id: Mapped[str] = mapped_column(String(120))
    class_id: Mapped[str] = mapped_column(String(64))
    day: Mapped[date] = mapped_column(Date)
    stage: Mapped[str] = mapped_column(String(16))
    expected: Mapped[int] = mapped_column(Integer)
    counted: Mapped[int] = mapped_column(Integer)
    missing_student_ids: Mapped[list[str]] = mapped_column(JSON)
    opened_at: Mapped[datetime] = mapped_column(UtcDateTime)
    resolved_by: Mapped[str | None] = mapped_column(String(64), nullable=True)
    resolved_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    note: Mapped[str | None] = mapped_column(Text, nullable=True)


async def handover(session: AsyncSession, *, school_id: str, handover_id: str) -> Handover | None:
    """A handover of this school, or None."""
    row = await session.get(Handover, handover_id)
    return row if row is not None and row.school_id == school_id else None


async def list_handovers(
    session: AsyncSession,
    *,
    school_id: str,
    session_id: str,
    class_ids: list[str] | None,
    after: str | None,
    limit: int,
) -> list[Handover]:
    """A page (`limit + 1` rows) of a session's handovers by id."""
    where: list[ColumnElement[bool]] = [Handover.school_id == school_id, Handover.session_id == session_id]
    if class_ids is not None:
        where.append(Handover.class_id.in_(class_ids))
    return await rows_after(session, select(Handover).where(*where), [Handover.handover_id], after, limit + 1)


async def discrepancies_of(session: AsyncSession, *, handover_id: str) -> list[HandoverDiscrepancy]:
    """A handover's discrepancies, by id."""
    query = select(HandoverDiscrepancy).where(HandoverDiscrepancy.handover_id == handover_id)
    return list((await session.execute(query.order_by(HandoverDiscrepancy.discrepancy_id))).scalars())


async def open_discrepancies_by_school(session: AsyncSession, *, day: date) -> list[tuple[str, int]]:
    """AT-1: per school, the discrepancies opened on or before `day` and not yet resolved (a dashboard figure)."""
    return await count_by_school(
        session,
        HandoverDiscrepancy.school_id,
        HandoverDiscrepancy.day <= day,
        HandoverDiscrepancy.resolved_at.is_(None),
    )


async def list_discrepancies(
    session: AsyncSession,
    *,
    school_id: str,
    open_only: bool | None,
    class_ids: list[str] | None,
    session_id: str | None,
    after: str | None,
    limit: int,
) -> list[HandoverDiscrepancy]:
    """A page (`limit + 1` rows) of a school's discrepancies by id; `open_only` None = all."""
    where: list[ColumnElement[bool]] = [HandoverDiscrepancy.school_id == school_id]
    where += open_or_resolved(HandoverDiscrepancy.resolved_at, open_only)
    if class_ids is not None:
        where.append(HandoverDiscrepancy.class_id.in_(class_ids))
    if session_id is not None:
        where.append(HandoverDiscrepancy.session_id == session_id)
    if after is not None:
        where.append(HandoverDiscrepancy.discrepancy_id > after)
    query = select(HandoverDiscrepancy).where(*where).order_by(HandoverDiscrepancy.discrepancy_id)
    return list((await session.execute(query.limit(limit + 1))).scalars())
