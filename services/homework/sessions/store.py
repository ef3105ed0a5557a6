"""Completions recorded in session or reported at home, their grading (HW-7), the children listed for help (HW-9),
and the read models built on them: a child's homework as their guardian sees it, and a class's burden."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any, Literal

from sqlalchemy import Boolean, Date, DateTime, Index, Integer, Select, String, Text, and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute, Mapped, mapped_column

from chassis.figures import count_by_school
from chassis.records import from_fields
from contracts.homework import HomeworkKind
from services.homework.assignments.store import Assignment, day_assignments, load_of
from services.homework.domain.burden import Actual, breach
from services.homework.reference import store as ref
from services.homework.sessions.schemas import BurdenDay, ChildHomework
from services.homework.store import Base, ClassDay


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


def estimated_for(row: Assignment, student_id: str) -> int:
    """HW-5: the child's tier's minutes (the tier naming them, else the heaviest tier naming nobody)."""
    for tier in row.tiers:
        if student_id in tier.get("student_ids", []):
            return int(tier["estimated_minutes"])
    open_tiers = [int(t["estimated_minutes"]) for t in row.tiers if not t.get("student_ids")]
    return max(open_tiers, default=row.counted_minutes)


async def actuals_of_day(session: AsyncSession, *, class_id: str, on: date) -> tuple[list[Assignment], list[Actual]]:
    """HW-9: the class-day's counted assignments, and for those with results the mean actual minutes recorded."""
    assignments = await day_assignments(session, class_id=class_id, on=on)
    recorded: dict[str, list[int]] = {}
    for completion in await completions_of_day(session, class_id=class_id, on=on):
        recorded.setdefault(completion.assignment_id, []).append(completion.actual_minutes)
    actuals = [
        Actual(load_of(a), round(sum(recorded[a.assignment_id]) / len(recorded[a.assignment_id])))
        for a in assignments
        if a.assignment_id in recorded
    ]
    return assignments, actuals


async def burden_days(session: AsyncSession, school_class: ref.SchoolClass, first: date, last: date) -> list[BurdenDay]:
    """HW-9: per day, the estimate and the mean actual minutes recorded, and the cap they went over."""
    days = []
    on = first
    while on <= last:
        rows, actuals = await actuals_of_day(session, class_id=school_class.class_id, on=on)
        day = await ref.class_day(session, school_id=school_class.school_id, grade=school_class.grade, on=on)
        found = breach(day, actuals)
        days.append(
            BurdenDay(
                on=on,
                day_kind=day.kind,
                estimated_minutes=sum(r.counted_minutes for r in rows),
                actual_minutes=sum(a.mean_actual_minutes for a in actuals) if actuals else None,
                over_cap_rule=found.rule if found else None,
                cap=found.cap if found else None,
            )
        )
        on += timedelta(days=1)
    return days


async def child_homework(
    session: AsyncSession, *, student: ref.Student, after: tuple[date, str] | None, limit: int
) -> list[ChildHomework]:
    """HW-7: the child's class's homework (newest day first) with the child's own status and feedback."""
    query = select(Assignment, Completion).outerjoin(
        Completion,
        and_(
            Completion.assignment_id == Assignment.assignment_id,
            Completion.student_id == student.student_id,
        ),
    )
    query = query.where(Assignment.class_id == student.class_id, Assignment.withdrawn.is_(False))
    if after is not None:
        on, assignment_id = after
        query = query.where(
            or_(
                Assignment.on < on,
                and_(Assignment.on == on, Assignment.assignment_id > assignment_id),
            )
        )
    query = query.order_by(Assignment.on.desc(), Assignment.assignment_id).limit(limit)
    found = []
    for row, completion in await session.execute(query):
        status: Literal["not_recorded", "done", "not_done"] = (
            "not_recorded" if completion is None else ("done" if completion.done else "not_done")
        )
        found.append(
            from_fields(
                ChildHomework,
                row,
                kind=HomeworkKind(row.kind),
                estimated_minutes=estimated_for(row, student.student_id),
                status=status,
                actual_minutes=completion.actual_minutes if completion else None,
                grade=completion.grade if completion else None,
                feedback=completion.feedback if completion else None,
            )
        )
    return found


async def classes_over_cap_by_school(session: AsyncSession, *, day: date) -> list[tuple[str, int]]:
    """HW-9: per school, the classes whose actual homework minutes of `day` went over a cap (a dashboard figure)."""
    return await count_by_school(session, ClassDay.school_id, ClassDay.on == day, ClassDay.over_cap_rule.is_not(None))
