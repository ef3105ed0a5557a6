"""The staff slice's timer: one per session at its end, judging absent every teacher not signed in (AT-9)."""

from __future__ import annotations

from datetime import date

from chassis.uow import UnitOfWork
from services.attendance.sessions.store import session_of, sessions_of_day
from services.attendance.staff.handlers import DEADLINE, judge_absent
from services.attendance.timers.store import DueTimer, schedule
from services.attendance.timers.timers import on_day_open, on_timer

SIGN_IN_DEADLINE = "teacher_sign_in_deadline"


@on_day_open
async def schedule_sign_in_deadlines(uow: UnitOfWork, school_id: str, day: date) -> None:
    """One timer per session with teachers, due at its end (never one per teacher or per student)."""
    for view in await sessions_of_day(uow.session, school_id=school_id, day=day):
        if view.teacher_ids:
            await schedule(uow, kind=SIGN_IN_DEADLINE, key=view.session_id, due_at=view.ends_at, school_id=school_id)


@on_timer(SIGN_IN_DEADLINE)
async def judge_unsigned_teachers_absent(uow: UnitOfWork, timer: DueTimer) -> None:
    """AT-9: at the session end, each teacher of the session without a sign-in is absent (idempotent)."""
    view = await session_of(uow.session, session_id=timer.key, school_id=timer.school_id)
    if view is None:  # the program was cancelled or the day became a holiday since the timer was set
        return
    for staff_id in view.teacher_ids:
        await judge_absent(uow, view, staff_id, decided_by=DEADLINE)
