"""Read models: the class teacher's day and week (HW-4), the published plan and its changes (HW-8), the burden
of a class (HW-9), and a child's homework as their guardian sees it (HW-7)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Literal

from pydantic import BaseModel
from sqlalchemy import and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from contracts.enrollment import DayKind
from contracts.homework import HomeworkKind, Tier, WrittenLayer
from services.homework import store
from services.homework.domain import caps
from services.homework.domain.burden import breach
from services.homework.domain.calendar import week_of
from services.homework.handlers import class_day, load_of
from services.homework.sessions import actuals_of_day, estimated_for


class AssignmentPublic(BaseModel):
    """An assignment as teachers see it."""

    assignment_id: str
    class_id: str
    teacher_id: str
    school_subject: str
    kind: HomeworkKind
    layer: WrittenLayer | None
    tiers: list[Tier]
    counted_minutes: int
    on: date
    due_on: date
    instructions: str
    withdrawn: bool
    version: int
    after_plan_published: bool
    updated_at: datetime


class SubjectLoad(BaseModel):
    """One subject's homework on the day."""

    school_subject: str
    minutes: int
    written_minutes: int
    assignment_ids: list[str]


class TeacherToAssign(BaseModel):
    """A subject teacher of the class who has set nothing for the day yet."""

    staff_id: str
    school_subject: str


class CapRoom(BaseModel):
    """What is left under each cap (null: the cap does not apply that day)."""

    written_cap: int
    written_left: int
    subjects_cap: int
    subjects_left: int
    total_cap: int | None
    total_left: int | None


class DayView(BaseModel):
    """HW-4: the class teacher's view of one day."""

    class_id: str
    on: date
    day_kind: DayKind
    subjects: list[SubjectLoad]
    room: CapRoom
    not_yet_assigned: list[TeacherToAssign]


class WeekView(BaseModel):
    """HW-4: the seven days of a week."""

    class_id: str
    week_start: date
    days: list[DayView]


class PlanChange(BaseModel):
    """HW-8: an assignment of the week that changed since the plan was published."""

    assignment_id: str
    change: Literal["added", "changed", "withdrawn"]


class PlannedHomework(BaseModel):
    """HW-8: one piece of the week's homework as the school publishes it (公示), in its current version."""

    assignment_id: str
    school_subject: str
    kind: HomeworkKind
    layer: WrittenLayer | None
    on: date
    due_on: date
    counted_minutes: int
    instructions: str
    version: int


class PlanView(BaseModel):
    """HW-8: the latest published plan of a week, and what changed since."""

    plan_id: str
    class_id: str
    week_start: date
    version: int
    published_by: str
    published_at: datetime
    late: bool
    assignment_ids: list[str]
    homework: list[PlannedHomework]
    changed_since_publication: list[PlanChange]


class BurdenDay(BaseModel):
    """HW-9: estimated against actual minutes of a class's day, and the cap it went over."""

    on: date
    day_kind: DayKind
    estimated_minutes: int
    actual_minutes: int | None
    over_cap_rule: str | None
    cap: int | None


class ChildHomework(BaseModel):
    """HW-7: one piece of homework as the child's guardian sees it."""

    assignment_id: str
    school_subject: str
    kind: HomeworkKind
    on: date
    due_on: date
    instructions: str
    estimated_minutes: int
    status: Literal["not_recorded", "done", "not_done"]
    actual_minutes: int | None
    grade: str | None
    feedback: str | None


async def day_view(session: AsyncSession, school_class: store.SchoolClass, on: date) -> DayView:
    """HW-4: each subject's minutes, the room left under every cap, and who has not assigned yet."""
    rows = await store.day_assignments(session, class_id=school_class.class_id, on=on)
    day = await class_day(session, school_id=school_class.school_id, grade=school_class.grade, on=on)
    loads = [load_of(row) for row in rows]
    written = caps.minutes_by_subject(loads, written_only=True)
    subjects = [
        SubjectLoad(
            school_subject=subject,
            minutes=minutes,
            written_minutes=written.get(subject, 0),
            assignment_ids=[row.assignment_id for row in rows if row.school_subject == subject],
        )
        for subject, minutes in caps.minutes_by_subject(loads).items()
    ]
    room = caps.room(day, loads)
    waiting = [
        TeacherToAssign(staff_id=t.staff_id, school_subject=t.school_subject)
        for t in await store.teachings_of(session, class_id=school_class.class_id)
        if not any(row.school_subject == t.school_subject for row in rows)
    ]
    return DayView(
        class_id=school_class.class_id,
        on=on,
        day_kind=day.kind,
        subjects=subjects,
        room=CapRoom.model_validate(room, from_attributes=True),
        not_yet_assigned=waiting,
    )


async def week_view(session: AsyncSession, school_class: store.SchoolClass, monday: date) -> WeekView:
    """HW-4: the day view of each day of a week."""
    days = [await day_view(session, school_class, day) for day in week_of(monday)]
    return WeekView(class_id=school_class.class_id, week_start=monday, days=days)


async def plan_view(session: AsyncSession, *, class_id: str, monday: date) -> PlanView | None:
    """HW-8: the latest published version, with what was added, changed or withdrawn after it."""
    plan = await store.latest_plan(session, class_id=class_id, week_start=monday)
    if plan is None:
        return None
    query = select(store.Assignment).where(
        store.Assignment.class_id == class_id,
        store.Assignment.on >= monday,
        store.Assignment.on <= monday + timedelta(days=6),
    )
    changes, current = [], []
    for row in (await session.execute(query.order_by(store.Assignment.on, store.Assignment.assignment_id))).scalars():
        if not row.withdrawn:
            current.append(PlannedHomework.model_validate(row, from_attributes=True))
        planned = row.assignment_id in plan.assignment_ids
        if row.withdrawn and planned:
            changes.append(PlanChange(assignment_id=row.assignment_id, change="withdrawn"))
        elif not row.withdrawn and not planned:
            changes.append(PlanChange(assignment_id=row.assignment_id, change="added"))
        elif not row.withdrawn and row.version != plan.versions.get(row.assignment_id):
            changes.append(PlanChange(assignment_id=row.assignment_id, change="changed"))
    return PlanView(
        plan_id=plan.plan_id,
        class_id=class_id,
        week_start=monday,
        version=plan.version,
        published_by=plan.published_by,
        published_at=plan.published_at,
        late=plan.late,
        assignment_ids=plan.assignment_ids,
        homework=current,
        changed_since_publication=changes,
    )


async def burden_days(
    session: AsyncSession, school_class: store.SchoolClass, first: date, last: date
) -> list[BurdenDay]:
    """HW-9: per day, the estimate and the mean actual minutes recorded, and the cap they went over."""
    days = []
    on = first
    while on <= last:
        rows, actuals = await actuals_of_day(session, class_id=school_class.class_id, on=on)
        day = await class_day(session, school_id=school_class.school_id, grade=school_class.grade, on=on)
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
    session: AsyncSession, *, student: store.Student, after: tuple[date, str] | None, limit: int
) -> list[ChildHomework]:
    """HW-7: the child's class's homework (newest day first) with the child's own status and feedback."""
    query = select(store.Assignment, store.Completion).outerjoin(
        store.Completion,
        and_(
            store.Completion.assignment_id == store.Assignment.assignment_id,
            store.Completion.student_id == student.student_id,
        ),
    )
    query = query.where(store.Assignment.class_id == student.class_id, store.Assignment.withdrawn.is_(False))
    if after is not None:
        on, assignment_id = after
        query = query.where(
            or_(
                store.Assignment.on < on,
                and_(store.Assignment.on == on, store.Assignment.assignment_id > assignment_id),
            )
        )
    query = query.order_by(store.Assignment.on.desc(), store.Assignment.assignment_id).limit(limit)
    found = []
    for row, completion in await session.execute(query):
        status: Literal["not_recorded", "done", "not_done"] = (
            "not_recorded" if completion is None else ("done" if completion.done else "not_done")
        )
        found.append(
            ChildHomework(
                assignment_id=row.assignment_id,
                school_subject=row.school_subject,
                kind=HomeworkKind(row.kind),
                on=row.on,
                due_on=row.due_on,
                instructions=row.instructions,
                estimated_minutes=estimated_for(row, student.student_id),
                status=status,
                actual_minutes=completion.actual_minutes if completion else None,
                grade=completion.grade if completion else None,
                feedback=completion.feedback if completion else None,
            )
        )
    return found
