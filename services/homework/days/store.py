"""The class teacher's day and week (HW-4), read from the class-day's assignments, the caps of the day and who
teaches the class."""

from __future__ import annotations

from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from services.homework.assignments import store as assignments
from services.homework.assignments.store import load_of
from services.homework.days.schemas import CapRoom, DayView, SubjectLoad, TeacherToAssign, WeekView
from services.homework.domain import caps
from services.homework.domain.calendar import week_of
from services.homework.reference import store as ref


async def day_view(session: AsyncSession, school_class: ref.SchoolClass, on: date) -> DayView:
    """HW-4: each subject's minutes, the room left under every cap, and who has not assigned yet."""
    rows = await assignments.day_assignments(session, class_id=school_class.class_id, on=on)
    day = await ref.class_day(session, school_id=school_class.school_id, grade=school_class.grade, on=on)
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
        for t in await ref.teachings_of(session, class_id=school_class.class_id)
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


async def week_view(session: AsyncSession, school_class: ref.SchoolClass, monday: date) -> WeekView:
    """HW-4: the day view of each day of a week."""
    days = [await day_view(session, school_class, day) for day in week_of(monday)]
    return WeekView(class_id=school_class.class_id, week_start=monday, days=days)
