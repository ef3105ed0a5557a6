"""AT-3 timers: one absence check per session, `absence_after_minutes` (policy of the day) after its start."""

from __future__ import annotations

from datetime import date

from chassis.uow import UnitOfWork
from services.attendance.absence.handlers import open_absence_cases
from services.attendance.domain import absence as rules
from services.attendance.reference import store as ref
from services.attendance.sessions.store import session_of, sessions_of_day
from services.attendance.timers import store as timers
from services.attendance.timers.store import DueTimer
from services.attendance.timers.timers import on_day_open, on_timer

ABSENCE_CHECK = "absence_check"


@on_day_open
async def schedule_absence_checks(uow: UnitOfWork, school_id: str, day: date) -> None:
    """Schedule the absence check of each of the day's sessions (one timer per session, never per student)."""
    policy = await ref.policy_on(uow.session, school_id=school_id, day=day)
    for view in await sessions_of_day(uow.session, school_id=school_id, day=day):
        await timers.schedule(
            uow,
            kind=ABSENCE_CHECK,
            key=view.session_id,
            due_at=rules.absence_due(view.starts_at, policy.absence_after_minutes),
            school_id=school_id,
            payload={"session_id": view.session_id},
        )


@on_timer(ABSENCE_CHECK)
async def check_session(uow: UnitOfWork, timer: DueTimer) -> None:
    """AT-3: open a case for every expected child not checked in and without approved leave."""
    view = await session_of(uow.session, session_id=str(timer.payload["session_id"]), school_id=timer.school_id)
    if view is not None:
        await open_absence_cases(uow, view)
