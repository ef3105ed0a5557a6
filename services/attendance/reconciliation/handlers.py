"""Register commands and session reconciliation (BX-4) → store + alert events, inside one unit of work."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

from chassis.clock import SCHOOL_TZ
from chassis.problems import Unprocessable
from chassis.uow import UnitOfWork
from contracts.attendance.reconciliation import StudentMissingFromSession
from services.attendance.board.store import day_presence
from services.attendance.domain import reconciliation as rules
from services.attendance.domain.sessions import SessionView
from services.attendance.reconciliation import store
from services.attendance.reference import store as ref
from services.attendance.sessions.store import sessions_of_day
from services.attendance.timers.store import schedule

ROSTER_CHECK = "roster_reconciliation"


def today(now: datetime) -> date:
    """The school-local date of a moment."""
    return now.astimezone(SCHOOL_TZ).date()


async def check_register(
    uow: UnitOfWork, *, school_id: str, day: date, marks: Sequence[rules.DayMark]
) -> list[rules.RowError]:
    """Each child must be on this school's roster that day, in the class the register names."""
    roster = await ref.roster_of(uow.session, student_ids=[m.student_id for m in marks])
    errors = []
    for number, mark in enumerate(marks, start=1):
        row = roster.get(mark.student_id)
        if row is None or row.school_id != school_id or not ref.on_roster(row, day):
            errors.append(rules.RowError(number, f"no student '{mark.student_id}' in this school on {day}"))
        elif row.class_id != mark.class_id:
            errors.append(rules.RowError(number, f"student '{mark.student_id}' is not in class '{mark.class_id}'"))
    return errors


async def record_register(
    uow: UnitOfWork, *, school_id: str, day: date, marks: Sequence[rules.DayMark], recorded_by: str
) -> int:
    """BX-4: store a register (all rows or none); today's sessions already due are reconciled at once, the others
    get their check scheduled; the alerts raised."""
    if day > today(uow.clock.now()):
        raise Unprocessable(f"{day} has not come yet: a register records a day that has begun", rule="BX-4")
    errors = await check_register(uow, school_id=school_id, day=day, marks=marks)
    if errors:
        raise Unprocessable("the register has errors; nothing was saved", rule="BX-4", errors=_errors(errors))
    for mark in marks:
        values = {
            "student_id": mark.student_id,
            "day": day,
            "school_id": school_id,
            "class_id": mark.class_id,
            "status": mark.status.value,
            "recorded_by": recorded_by,
            "recorded_at": uow.clock.now(),
        }
        await store.save_mark(uow.session, values)
    if day != today(uow.clock.now()):
        return 0  # a past day's register is kept for the record; its sessions are long over
    return await plan_day(uow, school_id=school_id, day=day)


async def plan_day(uow: UnitOfWork, *, school_id: str, day: date) -> int:
    """BX-4: each session of the day whose check is due is reconciled now, the others get their one timer;
    the number of alerts raised."""
    policy = await ref.policy_on(uow.session, school_id=school_id, day=day)
    alerted = 0
    for view in await sessions_of_day(uow.session, school_id=school_id, day=day):
        if view.expected_student_ids:
            alerted += len(await check_or_schedule(uow, view, policy.absence_after_minutes))
    return alerted


async def check_or_schedule(uow: UnitOfWork, view: SessionView, absence_after_minutes: int) -> list[str]:
    """Reconcile the session if its check is due, else schedule the check. The timer's key carries its due time,
    so a policy change that moves the check schedules a new timer rather than losing the firing one."""
    due_at = rules.check_due(view.starts_at, absence_after_minutes)
    if uow.clock.now() >= due_at:
        return await reconcile_session(uow, view, due_at)
    key = f"{view.session_id}@{due_at.isoformat()}"
    payload = {"session_id": view.session_id}
    await schedule(uow, kind=ROSTER_CHECK, key=key, due_at=due_at, school_id=view.school_id, payload=payload)
    return []


def _errors(errors: Sequence[rules.RowError]) -> list[dict[str, object]]:
    return [{"row": e.row, "error": e.error} for e in errors]


async def reconcile_session(uow: UnitOfWork, view: SessionView, due_at: datetime) -> list[str]:
    """BX-4: alert each child present at school but missing from the session (not checked in for it, no approved
    leave, not collected), each at most once per session; the children alerted."""
    expected = view.expected_student_ids
    at_school = await store.present_at_school(uow.session, school_id=view.school_id, day=view.day, student_ids=expected)
    if not at_school:
        return []
    day = await day_presence(uow.session, school_id=view.school_id, day=view.day, student_ids=at_school)
    seen = day.of(view)
    missing = rules.missing_from_session(
        expected=expected,
        present_at_school=at_school,
        checked_in=seen.checked_in,
        on_leave=seen.on_leave,
        checked_out=seen.checked_out,
    )
    roster = await ref.roster_of(uow.session, student_ids=missing)
    alerted = []
    for student_id in missing:
        class_id = roster[student_id].class_id if student_id in roster else None
        values = {
            "session_id": view.session_id,
            "student_id": student_id,
            "school_id": view.school_id,
            "day": view.day,
            "class_id": class_id,
            "alerted_at": uow.clock.now(),
        }
        if await store.insert_alert(uow.session, values):
            event = StudentMissingFromSession(
                student_id=student_id,
                school_id=view.school_id,
                class_id=class_id,
                class_teacher_id=await ref.class_teacher_of(uow.session, class_id=class_id) if class_id else None,
                session_id=view.session_id,
                session_date=view.day.isoformat(),
                due_at=due_at,
            )
            await uow.publish(event, school_id=view.school_id)
            alerted.append(student_id)
    return alerted
