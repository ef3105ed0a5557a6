"""Leave requests and unexcused-absence cases (AT-3): tables and keyword-only queries."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Date, Index, String, Text, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column
from sqlalchemy.sql.elements import ColumnElement

from chassis.pagination import rows_after
from services.attendance.checkins.store import CheckIn
from services.attendance.domain import absence as rules
from services.attendance.store import Base, UtcDateTime, aware, open_or_resolved


class LeaveRequest(Base):
    """A guardian's leave request (请假) for a day or one session, and the class teacher's decision."""

    __tablename__ = "leave_requests"
    __table_args__ = (Index("ix_leave_requests_school_day", "school_id", "day"),)

    leave_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    school_id: Mapped[str] = mapped_column(String(64))
    student_id: Mapped[str] = mapped_column(String(64), index=True)
    class_id: Mapped[str] = mapped_column(String(64))
    day: Mapped[date] = mapped_column(Date)
    session_id: Mapped[str | None] = mapped_column(String(120), nullable=True)
    reason: Mapped[str] = mapped_column(Text)
    requested_by: Mapped[str] = mapped_column(String(64))
    requested_at: Mapped[datetime] = mapped_column(UtcDateTime)
    status: Mapped[str] = mapped_column(String(16))
    decided_by: Mapped[str | None] = mapped_column(String(64), nullable=True)
    decided_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    decision_note: Mapped[str | None] = mapped_column(Text, nullable=True)


class AbsenceCase(Base):
    """AT-3: an unexcused absence (无故脱管), open until someone resolves it with a note."""

    __tablename__ = "absence_cases"
    __table_args__ = (Index("ix_absence_cases_school_open", "school_id", "resolved_at"),)

    case_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    school_id: Mapped[str] = mapped_column(String(64))
    student_id: Mapped[str] = mapped_column(String(64))
    class_id: Mapped[str] = mapped_column(String(64))
    session_id: Mapped[str] = mapped_column(String(120))
    teacher_ids: Mapped[list[str]] = mapped_column(JSON)
    day: Mapped[date] = mapped_column(Date)
    session_starts_at: Mapped[datetime] = mapped_column(UtcDateTime)
    opened_at: Mapped[datetime] = mapped_column(UtcDateTime)
    resolved_by: Mapped[str | None] = mapped_column(String(64), nullable=True)
    resolved_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    note: Mapped[str | None] = mapped_column(Text, nullable=True)


def case_id_of(session_id: str, student_id: str) -> str:
    """One case per child per session (a repeated check never opens a second)."""
    return f"{session_id}:{student_id}"


async def leaves_of_day(
    session: AsyncSession, *, school_id: str, day: date, student_ids: list[str]
) -> list[rules.Leave]:
    """The leave requests of these children on `day`, as the rules see them."""
    if not student_ids:
        return []
    query = select(LeaveRequest).where(
        LeaveRequest.school_id == school_id, LeaveRequest.day == day, LeaveRequest.student_id.in_(student_ids)
    )
    return [rules.Leave(r.student_id, r.day, r.session_id, r.status) for r in (await session.execute(query)).scalars()]


async def on_leave(
    session: AsyncSession, *, school_id: str, day: date, session_id: str, student_ids: list[str]
) -> set[str]:
    """AT-3: of these children, those an approved leave excuses from the session (the board and handover use it)."""
    leaves = await leaves_of_day(session, school_id=school_id, day=day, student_ids=student_ids)
    return rules.on_leave(leaves, day=day, session_id=session_id)


async def checked_in(
    session: AsyncSession, *, school_id: str, day: date, starts_at: datetime, student_ids: list[str]
) -> set[str]:
    """Of these children, those with a check-in of the day that stands for a session starting at `starts_at`."""
    if not student_ids:
        return set()
    query = select(CheckIn.student_id, CheckIn.occurred_at).where(
        CheckIn.school_id == school_id,
        CheckIn.session_date == day.isoformat(),
        CheckIn.student_id.in_(student_ids),
    )
    rows = (await session.execute(query)).all()
    return {student for student, at in rows if rules.counts_for(aware(at), starts_at)}


async def list_leaves(
    session: AsyncSession,
    *,
    school_id: str,
    day: date | None,
    session_id: str | None,
    status: str | None,
    student_ids: list[str] | None,
    class_ids: list[str] | None,
    after: tuple[datetime, str] | None,
    limit: int,
) -> list[LeaveRequest]:
    """A page (`limit + 1` rows) of a school's leave requests by request time; None filters are not applied."""
    where: list[ColumnElement[bool]] = [LeaveRequest.school_id == school_id]
    if day is not None:
        where.append(LeaveRequest.day == day)
    if session_id is not None:
        where.append(or_(LeaveRequest.session_id.is_(None), LeaveRequest.session_id == session_id))
    if status is not None:
        where.append(LeaveRequest.status == status)
    if student_ids is not None:
        where.append(LeaveRequest.student_id.in_(student_ids))
    if class_ids is not None:
        where.append(LeaveRequest.class_id.in_(class_ids))
    order = [LeaveRequest.requested_at, LeaveRequest.leave_id]
    return await rows_after(session, select(LeaveRequest).where(*where), order, after, limit + 1)


async def list_cases(
    session: AsyncSession,
    *,
    school_id: str,
    open_only: bool | None,
    class_ids: list[str] | None,
    session_id: str | None,
    after: tuple[datetime, str] | None,
    limit: int,
) -> list[AbsenceCase]:
    """A page (`limit + 1` rows) of a school's absence cases by opening time; `open_only` None = all."""
    where: list[ColumnElement[bool]] = [AbsenceCase.school_id == school_id]
    where += open_or_resolved(AbsenceCase.resolved_at, open_only)
    if class_ids is not None:
        where.append(AbsenceCase.class_id.in_(class_ids))
    if session_id is not None:
        where.append(AbsenceCase.session_id == session_id)
    order = [AbsenceCase.opened_at, AbsenceCase.case_id]
    return await rows_after(session, select(AbsenceCase).where(*where), order, after, limit + 1)
