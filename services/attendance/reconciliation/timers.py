"""The reconciliation timer: one per session, `absence_after_minutes` after its start (BX-4), never per child."""

from __future__ import annotations

from datetime import date

from chassis.uow import UnitOfWork
from services.attendance.domain.reconciliation import check_due
from services.attendance.reconciliation.handlers import reconcile_session
from services.attendance.reference.store import policy_on
from services.attendance.sessions.store import session_of, sessions_of_day
from services.attendance.timers.registry import on_day_open, on_timer
from services.attendance.timers.store import DueTimer, schedule

ROSTER_CHECK = "roster_reconciliation"


@on_day_open
async def schedule_roster_checks(uow: UnitOfWork, school_id: str, day: date) -> None:
    """One roster check per session of the day with anyone expected, due N minutes after its start."""
    policy = await policy_on(uow.session, school_id=school_id, day=day)
    for view in await sessions_of_day(uow.session, school_id=school_id, day=day):
        if view.expected_student_ids:
            due_at = check_due(view.starts_at, policy.absence_after_minutes)
            await schedule(uow, kind=ROSTER_CHECK, key=view.session_id, due_at=due_at, school_id=school_id)


@on_timer(ROSTER_CHECK)
async def check_session_roster(uow: UnitOfWork, timer: DueTimer) -> None:
    """BX-4: alert every child present at school but missing from the session (idempotent per child)."""
    view = await session_of(uow.session, session_id=timer.key, school_id=timer.school_id)
    if view is not None:
        await reconcile_session(uow, view)
