"""Staff attendance tables (AT-9, AT-10) and keyword-only queries: sign-ins, activity records, patrols, incidents."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Date, DateTime, Index, Integer, String, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from chassis.pagination import rows_after
from chassis.sql import insert_ignoring_duplicates
from services.attendance.store import Base


class TeacherSignIn(Base):
    """A teacher's sign-in for a session, judged once (AT-9): on time, late or absent."""

    __tablename__ = "teacher_sign_ins"
    __table_args__ = (Index("ix_teacher_sign_ins_school_day", "school_id", "day"),)

    session_id: Mapped[str] = mapped_column(String(160), primary_key=True)
    staff_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    school_id: Mapped[str] = mapped_column(String(64))
    day: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16))
    signed_in_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    minutes_late: Mapped[int] = mapped_column(Integer, default=0)
    decided_by: Mapped[str] = mapped_column(String(64))
    decided_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class ActivityRecordRow(Base):
    """The latest revision of a teacher's activity record for a session (AT-9: place, content, students, effect)."""

    __tablename__ = "activity_records"

    session_id: Mapped[str] = mapped_column(String(160), primary_key=True)
    staff_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    record_id: Mapped[str] = mapped_column(String(64), unique=True)
    school_id: Mapped[str] = mapped_column(String(64), index=True)
    day: Mapped[date] = mapped_column(Date)
    place: Mapped[str] = mapped_column(String(200))
    content: Mapped[str] = mapped_column(String(2000))
    student_ids: Mapped[list[str]] = mapped_column(JSON)
    effect: Mapped[str] = mapped_column(String(2000))
    complete: Mapped[bool] = mapped_column(Boolean)
    missing: Mapped[list[str]] = mapped_column(JSON)
    revision: Mapped[int] = mapped_column(Integer)
    filed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class PatrolRow(Base):
    """One duty leader's patrol of a session (AT-10) with its findings and deduction (QA-1)."""

    __tablename__ = "patrols"
    __table_args__ = (Index("ix_patrols_session", "session_id"),)

    patrol_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    session_id: Mapped[str] = mapped_column(String(160))
    staff_id: Mapped[str] = mapped_column(String(64))
    school_id: Mapped[str] = mapped_column(String(64), index=True)
    day: Mapped[date] = mapped_column(Date)
    duty_leader_id: Mapped[str] = mapped_column(String(64))
    teacher_present: Mapped[bool] = mapped_column(Boolean)
    activity_running: Mapped[bool] = mapped_column(Boolean)
    rules_followed: Mapped[bool] = mapped_column(Boolean)
    findings: Mapped[list[str]] = mapped_column(JSON)
    deduction: Mapped[int] = mapped_column(Integer)
    note: Mapped[str | None] = mapped_column(String(2000), nullable=True)
    recorded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class StaffIncident(Base):
    """A safety incident or dereliction of duty in a session (AT-10, ST-3)."""

    __tablename__ = "staff_incidents"
    __table_args__ = (Index("ix_staff_incidents_session", "session_id"),)

    incident_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    session_id: Mapped[str] = mapped_column(String(160))
    staff_id: Mapped[str] = mapped_column(String(64))
    school_id: Mapped[str] = mapped_column(String(64), index=True)
    day: Mapped[date] = mapped_column(Date)
    kind: Mapped[str] = mapped_column(String(32))
    reported_by: Mapped[str] = mapped_column(String(64))
    note: Mapped[str | None] = mapped_column(String(2000), nullable=True)
    reported_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


async def insert_sign_in(session: AsyncSession, values: dict[str, Any]) -> bool:
    """Store the judgement unless one exists for this teacher and session (it is never judged twice)."""
    statement = insert_ignoring_duplicates(session, TeacherSignIn, values).returning(TeacherSignIn.staff_id)
    return (await session.execute(statement)).first() is not None


async def sign_in_of(session: AsyncSession, *, session_id: str, staff_id: str) -> TeacherSignIn | None:
    """The teacher's judged sign-in for the session, or None."""
    return await session.get(TeacherSignIn, (session_id, staff_id))


async def sign_ins_of_session(session: AsyncSession, *, session_id: str) -> list[TeacherSignIn]:
    """Every judged sign-in of a session, by teacher."""
    query = select(TeacherSignIn).where(TeacherSignIn.session_id == session_id).order_by(TeacherSignIn.staff_id)
    return list((await session.execute(query)).scalars())


async def sign_ins_of_day(
    session: AsyncSession, *, school_id: str, day: date, after: tuple[str, str] | None, limit: int
) -> list[TeacherSignIn]:
    """A school's judged sign-ins of a day (the roll sheet, 点名表), keyset-ordered by session then teacher."""
    query = select(TeacherSignIn).where(TeacherSignIn.school_id == school_id, TeacherSignIn.day == day)
    return await rows_after(session, query, [TeacherSignIn.session_id, TeacherSignIn.staff_id], after, limit)


async def absent_teachers(session: AsyncSession, *, session_ids: list[str]) -> dict[str, set[str]]:
    """The teachers judged absent, by session (the board does not count them on duty)."""
    if not session_ids:
        return {}
    query = select(TeacherSignIn.session_id, TeacherSignIn.staff_id).where(
        TeacherSignIn.session_id.in_(session_ids), TeacherSignIn.status == "absent"
    )
    found: dict[str, set[str]] = {}
    for session_id, staff_id in (await session.execute(query)).all():
        found.setdefault(session_id, set()).add(staff_id)
    return found


async def lock_record(
    session: AsyncSession, *, session_id: str, staff_id: str, school_id: str, day: date, now: datetime
) -> ActivityRecordRow:
    """The teacher's record of the session, locked for this transaction; created empty (revision 0) if there is
    none yet, so two first filings at once queue on the row instead of colliding on its key."""
    blank = {
        "session_id": session_id,
        "staff_id": staff_id,
        "record_id": str(uuid.uuid4()),
        "school_id": school_id,
        "day": day,
        "place": "",
        "content": "",
        "student_ids": [],
        "effect": "",
        "complete": False,
        "missing": [],
        "revision": 0,
        "filed_at": now,
    }
    await session.execute(insert_ignoring_duplicates(session, ActivityRecordRow, blank))
    query = select(ActivityRecordRow).where(
        ActivityRecordRow.session_id == session_id, ActivityRecordRow.staff_id == staff_id
    )
    return (await session.execute(query.with_for_update().execution_options(populate_existing=True))).scalar_one()


async def records_of_session(session: AsyncSession, *, session_id: str) -> list[ActivityRecordRow]:
    """The activity records of a session, by teacher."""
    query = select(ActivityRecordRow).where(ActivityRecordRow.session_id == session_id, ActivityRecordRow.revision > 0)
    return list((await session.execute(query.order_by(ActivityRecordRow.staff_id))).scalars())


async def patrols_of_session(session: AsyncSession, *, session_id: str) -> list[PatrolRow]:
    """The patrols of a session, in the order they were recorded."""
    query = select(PatrolRow).where(PatrolRow.session_id == session_id)
    return list((await session.execute(query.order_by(PatrolRow.recorded_at, PatrolRow.patrol_id))).scalars())


async def incidents_of_session(session: AsyncSession, *, session_id: str) -> list[StaffIncident]:
    """The incidents of a session, in the order they were reported."""
    query = select(StaffIncident).where(StaffIncident.session_id == session_id)
    return list((await session.execute(query.order_by(StaffIncident.reported_at, StaffIncident.incident_id))).scalars())
