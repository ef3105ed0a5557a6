"""Homework tables and keyword-only queries.

Copies of enrollment's facts (classes, teaching, roster, guardians, policy profiles, calendars) and attendance's
presence are kept from their events; homework never asks another service on the request path.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Date, DateTime, Index, Integer, Select, String, Text, and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import DeclarativeBase, InstrumentedAttribute, Mapped, mapped_column

from chassis.sql import insert_ignoring_duplicates
from chassis.tables import ChassisTables
from contracts.enrollment import TermCalendarSet
from contracts.policy import PolicySettings


class Base(DeclarativeBase):
    """Homework's own tables."""


TABLES = ChassisTables(Base.metadata)


class SchoolClass(Base):
    """A class as homework knows it: its grade (HW-1/HW-2) and class teacher (HW-4)."""

    __tablename__ = "classes"

    class_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    school_id: Mapped[str] = mapped_column(String(64), index=True)
    grade: Mapped[int] = mapped_column(Integer)
    class_teacher_id: Mapped[str | None] = mapped_column(String(64), nullable=True)


class Teaching(Base):
    """A subject teacher teaches a subject to a class, so may set its homework."""

    __tablename__ = "teachings"

    class_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    staff_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    school_subject: Mapped[str] = mapped_column(String(64), primary_key=True)
    school_id: Mapped[str] = mapped_column(String(64))


class Student(Base):
    """A child on the roster: their class (None once they left)."""

    __tablename__ = "students"

    student_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    school_id: Mapped[str] = mapped_column(String(64))
    class_id: Mapped[str | None] = mapped_column(String(64), index=True, nullable=True)


class GuardianLink(Base):
    """Who may see a child's homework."""

    __tablename__ = "guardian_links"

    student_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    guardian_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    school_id: Mapped[str] = mapped_column(String(64))


class PolicyProfile(Base):
    """PL-1: a school's resolved settings from `effective_from`; every one is kept."""

    __tablename__ = "policy_profiles"

    school_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    effective_from: Mapped[date] = mapped_column(Date, primary_key=True)
    version: Mapped[int] = mapped_column(Integer)
    settings: Mapped[dict[str, Any]] = mapped_column(JSON)


class TermCalendar(Base):
    """EN-5: a term's calendar (the event as published), for the kind of each day."""

    __tablename__ = "term_calendars"

    term_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    school_id: Mapped[str] = mapped_column(String(64), index=True)
    calendar: Mapped[dict[str, Any]] = mapped_column(JSON)


class Presence(Base):
    """A child checked in to the supervised session of a day (from attendance)."""

    __tablename__ = "presences"

    student_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    session_date: Mapped[date] = mapped_column(Date, primary_key=True)
    school_id: Mapped[str] = mapped_column(String(64))


class ClassDay(Base):
    """One row per class and day: locked FOR UPDATE by every writer of that day's homework (HW-4 race)."""

    __tablename__ = "class_days"

    class_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    on: Mapped[date] = mapped_column("day", Date, primary_key=True)
    school_id: Mapped[str] = mapped_column(String(64))
    over_cap_rule: Mapped[str | None] = mapped_column(String(8), nullable=True)


class Assignment(Base):
    """HW-5: homework set for a class (or tiers of it) for the day `on`."""

    __tablename__ = "assignments"
    __table_args__ = (Index("ix_assignments_class_on", "class_id", "day"),)

    assignment_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    school_id: Mapped[str] = mapped_column(String(64))
    class_id: Mapped[str] = mapped_column(String(64))
    teacher_id: Mapped[str] = mapped_column(String(64))
    school_subject: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(16))
    layer: Mapped[str | None] = mapped_column(String(16), nullable=True)
    tiers: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    counted_minutes: Mapped[int] = mapped_column(Integer)
    on: Mapped[date] = mapped_column("day", Date)
    due_on: Mapped[date] = mapped_column(Date)
    instructions: Mapped[str] = mapped_column(Text)
    withdrawn: Mapped[bool] = mapped_column(Boolean, default=False)
    version: Mapped[int] = mapped_column(Integer)
    after_plan_published: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class WeeklyPlan(Base):
    """HW-8: one published version of a class's plan for a week."""

    __tablename__ = "weekly_plans"

    class_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    week_start: Mapped[date] = mapped_column(Date, primary_key=True)
    version: Mapped[int] = mapped_column(Integer, primary_key=True)
    plan_id: Mapped[str] = mapped_column(String(64), unique=True)
    school_id: Mapped[str] = mapped_column(String(64))
    assignment_ids: Mapped[list[str]] = mapped_column(JSON)
    versions: Mapped[dict[str, int]] = mapped_column(JSON, doc="each planned assignment's version when published")
    published_by: Mapped[str] = mapped_column(String(64))
    published_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    late: Mapped[bool] = mapped_column(Boolean)


class Completion(Base):
    """HW-7: a child's result for an assignment, recorded in session, and its grading."""

    __tablename__ = "completions"
    __table_args__ = (Index("ix_completions_class_on", "class_id", "day"),)

    assignment_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    student_id: Mapped[str] = mapped_column(String(64), primary_key=True, index=True)
    school_id: Mapped[str] = mapped_column(String(64))
    class_id: Mapped[str] = mapped_column(String(64))
    on: Mapped[date] = mapped_column("day", Date)
    done: Mapped[bool] = mapped_column(Boolean)
    actual_minutes: Mapped[int] = mapped_column(Integer)
    estimated_minutes: Mapped[int] = mapped_column(Integer)
    recorded_by: Mapped[str] = mapped_column(String(64))
    recorded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    grade: Mapped[str | None] = mapped_column(String(20), nullable=True)
    feedback: Mapped[str | None] = mapped_column(Text, nullable=True)
    graded_by: Mapped[str | None] = mapped_column(String(64), nullable=True)
    graded_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class StrugglingStudent(Base):
    """HW-9: a child listed for the class teacher (flagged once; the numbers are refreshed)."""

    __tablename__ = "struggling_students"

    student_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    school_id: Mapped[str] = mapped_column(String(64))
    class_id: Mapped[str] = mapped_column(String(64), index=True)
    struggles: Mapped[int] = mapped_column(Integer)
    window: Mapped[int] = mapped_column(Integer)
    flagged_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


async def get_class(session: AsyncSession, *, school_id: str, class_id: str) -> SchoolClass | None:
    """A class of this school (None for another school's class, so it is never revealed)."""
    row = await session.get(SchoolClass, class_id)
    return row if row is not None and row.school_id == school_id else None


async def teaches(session: AsyncSession, *, class_id: str, staff_id: str, school_subject: str | None = None) -> bool:
    """Whether the teacher teaches the class (the subject, when given)."""
    query = select(Teaching.staff_id).where(Teaching.class_id == class_id, Teaching.staff_id == staff_id)
    if school_subject is not None:
        query = query.where(Teaching.school_subject == school_subject)
    return (await session.execute(query.limit(1))).first() is not None


async def teachings_of(session: AsyncSession, *, class_id: str) -> list[Teaching]:
    """Who teaches what to the class."""
    query = select(Teaching).where(Teaching.class_id == class_id).order_by(Teaching.school_subject, Teaching.staff_id)
    return list((await session.execute(query)).scalars())


async def lock_class_day(session: AsyncSession, *, school_id: str, class_id: str, on: date) -> ClassDay:
    """Create the class-day row if new, then lock it until commit: writers of one class-day go one at a time.

    Insert-ignore first, because FOR UPDATE cannot lock a row that does not exist yet (two first writers would
    both pass). SQLite has no row locks, but it runs one write transaction at a time anyway.
    """
    values = {"class_id": class_id, "on": on, "school_id": school_id}
    await session.execute(insert_ignoring_duplicates(session, ClassDay, values))
    query = select(ClassDay).where(ClassDay.class_id == class_id, ClassDay.on == on).with_for_update()
    return (await session.execute(query)).scalar_one()


async def day_assignments(session: AsyncSession, *, class_id: str, on: date) -> list[Assignment]:
    """The class's homework of a day that still counts (not withdrawn), oldest first."""
    query = (
        select(Assignment)
        .where(Assignment.class_id == class_id, Assignment.on == on, Assignment.withdrawn.is_(False))
        .order_by(Assignment.created_at, Assignment.assignment_id)
    )
    return list((await session.execute(query)).scalars())


async def range_assignments(session: AsyncSession, *, class_id: str, first: date, last: date) -> list[Assignment]:
    """The class's homework that counts, from `first` to `last` inclusive."""
    query = (
        select(Assignment)
        .where(
            Assignment.class_id == class_id,
            Assignment.on >= first,
            Assignment.on <= last,
            Assignment.withdrawn.is_(False),
        )
        .order_by(Assignment.on, Assignment.created_at, Assignment.assignment_id)
    )
    return list((await session.execute(query)).scalars())


async def policies(session: AsyncSession, *, school_id: str) -> list[tuple[date, PolicySettings]]:
    """Every policy profile of the school, by effective date."""
    rows = await session.execute(select(PolicyProfile).where(PolicyProfile.school_id == school_id))
    return [(row.effective_from, PolicySettings.model_validate(row.settings)) for row in rows.scalars()]


async def calendars(session: AsyncSession, *, school_id: str) -> list[TermCalendarSet]:
    """Every term calendar of the school."""
    rows = await session.execute(select(TermCalendar).where(TermCalendar.school_id == school_id))
    return [TermCalendarSet.model_validate(row.calendar) for row in rows.scalars()]


async def latest_plan(session: AsyncSession, *, class_id: str, week_start: date) -> WeeklyPlan | None:
    """The newest published version of a class's plan for a week."""
    query = (
        select(WeeklyPlan)
        .where(WeeklyPlan.class_id == class_id, WeeklyPlan.week_start == week_start)
        .order_by(WeeklyPlan.version.desc())
        .limit(1)
    )
    return (await session.execute(query)).scalar_one_or_none()


async def is_present(session: AsyncSession, *, school_id: str, student_id: str, on: date) -> bool:
    """Whether the child checked in to that day's supervised session."""
    row = await session.get(Presence, (student_id, on))
    return row is not None and row.school_id == school_id


async def recent_outcomes(session: AsyncSession, *, student_id: str, limit: int) -> list[Completion]:
    """The child's latest recorded completions, oldest first."""
    query = (
        select(Completion)
        .where(Completion.student_id == student_id)
        .order_by(Completion.on.desc(), Completion.recorded_at.desc())
        .limit(limit)
    )
    return list(reversed(list((await session.execute(query)).scalars())))


async def completions_of_day(session: AsyncSession, *, class_id: str, on: date) -> list[Completion]:
    """Every completion recorded for a class's homework of one day."""
    query = select(Completion).where(Completion.class_id == class_id, Completion.on == on)
    return list((await session.execute(query)).scalars())


async def is_guardian(session: AsyncSession, *, guardian_id: str, student_id: str, school_id: str) -> bool:
    """Whether the guardian is linked to the child in this school."""
    row = await session.get(GuardianLink, (student_id, guardian_id))
    return row is not None and row.school_id == school_id


async def guardian_in_class(session: AsyncSession, *, guardian_id: str, class_id: str) -> bool:
    """Whether the guardian has a child in the class (so may see its published plan)."""
    query = (
        select(GuardianLink.student_id)
        .join(Student, Student.student_id == GuardianLink.student_id)
        .where(GuardianLink.guardian_id == guardian_id, Student.class_id == class_id)
        .limit(1)
    )
    return (await session.execute(query)).first() is not None


async def assignments_page(
    session: AsyncSession, *, class_id: str, first: date, last: date, after: tuple[date, str] | None, limit: int
) -> list[Assignment]:
    """Up to `limit` of the class's assignments between two days (withdrawn too), after the cursor, by day and id."""
    query = select(Assignment).where(Assignment.class_id == class_id, Assignment.on >= first, Assignment.on <= last)
    if after is not None:
        on, assignment_id = after
        later = and_(Assignment.on == on, Assignment.assignment_id > assignment_id)
        query = query.where(or_(Assignment.on > on, later))
    query = query.order_by(Assignment.on, Assignment.assignment_id).limit(limit)
    return list((await session.execute(query)).scalars())


async def completions_page(
    session: AsyncSession, *, assignment_id: str, after: str | None, limit: int
) -> list[Completion]:
    """Up to `limit` of an assignment's recorded completions after the cursor (a student id), by student."""
    query = select(Completion).where(Completion.assignment_id == assignment_id)
    return await _by_student_after(session, query, Completion.student_id, after, limit)


async def struggling_page(
    session: AsyncSession, *, class_id: str, after: str | None, limit: int
) -> list[StrugglingStudent]:
    """Up to `limit` of the class's struggling students after the cursor (a student id), by student."""
    query = select(StrugglingStudent).where(StrugglingStudent.class_id == class_id)
    return await _by_student_after(session, query, StrugglingStudent.student_id, after, limit)


async def _by_student_after(
    session: AsyncSession,
    query: Select[Any],
    student_id: InstrumentedAttribute[str],
    after: str | None,
    limit: int,
) -> list[Any]:
    if after is not None:
        query = query.where(student_id > after)
    return list((await session.execute(query.order_by(student_id).limit(limit))).scalars())


async def students_of(session: AsyncSession, *, class_id: str) -> list[str]:
    """The ids of the children now in the class."""
    query = select(Student.student_id).where(Student.class_id == class_id).order_by(Student.student_id)
    return list((await session.execute(query)).scalars())
