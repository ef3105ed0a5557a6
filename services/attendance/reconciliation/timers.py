"""The reconciliation timer: one per session, `absence_after_minutes` after its start (BX-4), never per child.

Checks are scheduled only for a day whose registers came in (`handlers.record_register`): most schools never
upload one, and their afternoons cost nothing here. A re-opened day (its schedule or policy changed) moves them.
"""

from __future__ import annotations

from datetime import date

from chassis.uow import UnitOfWork
from services.attendance.reconciliation import store
from services.attendance.reconciliation.handlers import ROSTER_CHECK, check_or_schedule, plan_day
from services.attendance.reference.store import policy_on
from services.attendance.sessions.store import session_of
from services.attendance.timers.store import DueTimer
from services.attendance.timers.timers import on_day_open, on_timer


@on_day_open
async def schedule_roster_checks(uow: UnitOfWork, school_id: str, day: date) -> None:
    """Plan the day's checks again, if any register of the day is in."""
    if await store.has_marks(uow.session, school_id=school_id, day=day):
        await plan_day(uow, school_id=school_id, day=day)


@on_timer(ROSTER_CHECK)
async def check_session_roster(uow: UnitOfWork, timer: DueTimer) -> None:
    """BX-4: alert every child present at school but missing from the session (idempotent per child)."""
    view = await session_of(uow.session, session_id=timer.payload["session_id"], school_id=timer.school_id)
    if view is not None:
        policy = await policy_on(uow.session, school_id=view.school_id, day=view.day)
        await check_or_schedule(uow, view, policy.absence_after_minutes)
