"""Not-collected timers (AT-6): one per dismissal band and day (and per escalation step), never per student."""

from __future__ import annotations

from datetime import date, datetime

from chassis.records import from_fields
from chassis.uow import UnitOfWork
from contracts.attendance.dismissal import StudentMovedToReception, StudentNotCollected
from contracts.enrollment import DayKind
from services.attendance.dismissal import store
from services.attendance.domain.dismissal import dismissal_bands, local_moment
from services.attendance.domain.escalation import next_step, reception_due, recipient, step_due, step_kind
from services.attendance.domain.late_uploads import not_before
from services.attendance.reference import store as ref
from services.attendance.timers.store import DueTimer, schedule
from services.attendance.timers.timers import on_day_open, on_timer

KIND = "not_collected"


@on_day_open
async def schedule_not_collected(uow: UnitOfWork, school_id: str, day: date) -> None:
    """AT-4/AT-6: on a school day, one timer per dismissal band at its dismissal time + M minutes."""
    if await ref.day_kind(uow.session, school_id=school_id, day=day) is not DayKind.SCHOOL_DAY:
        return
    policy = await ref.policy_on(uow.session, school_id=school_id, day=day)
    grades = await store.grades_of_school(uow.session, school_id=school_id)
    for at, band in dismissal_bands(policy, grades).items():
        await schedule_band(
            uow,
            school_id=school_id,
            day=day,
            band_key=f"{school_id}:{day}:{at:%H%M}",
            grades=band,
            dismissal_at=local_moment(day, at),
        )


async def schedule_band(
    uow: UnitOfWork, *, school_id: str, day: date, band_key: str, grades: list[int] | None, dismissal_at: datetime
) -> None:
    """Schedule the first step of a band's not-collected timer (also used by an emergency early dismissal)."""
    policy = await ref.policy_on(uow.session, school_id=school_id, day=day)
    payload = {
        "day": day.isoformat(),
        "band_key": band_key,
        "grades": grades,
        "dismissal_at": dismissal_at.isoformat(),
        "step": 1,
    }
    await schedule(
        uow, kind=KIND, key=band_key, due_at=reception_due(dismissal_at, policy), school_id=school_id, payload=payload
    )


@on_timer(KIND)
async def escalate_not_collected(uow: UnitOfWork, timer: DueTimer) -> None:
    """AT-6: step 1 moves the band's uncollected children to reception and calls guardian 1; each later step
    calls the next rung (guardian 2, class teacher, duty leader) for those still not collected."""
    payload = timer.payload
    day, step = date.fromisoformat(payload["day"]), int(payload["step"])
    dismissal_at = datetime.fromisoformat(payload["dismissal_at"])
    if step == 1:
        cases = await _move_to_reception(
            uow, timer.school_id, day, payload["band_key"], payload["grades"], dismissal_at, known_by=timer.due_at
        )
    else:
        cases = await store.open_cases(uow.session, school_id=timer.school_id, day=day, band_key=payload["band_key"])
        cases = [c for c in cases if c.step < step]
    for case in cases:
        case.step = step
        await _call(uow, case, step, dismissal_at)
    following = next_step(step)
    if following is not None and cases:
        policy = await ref.policy_on(uow.session, school_id=timer.school_id, day=day)
        await schedule(
            uow,
            kind=KIND,
            key=f"{payload['band_key']}#{following}",
            due_at=not_before(step_due(dismissal_at, following, policy), uow.clock.now()),
            school_id=timer.school_id,
            payload={**payload, "step": following},
        )


async def _move_to_reception(
    uow: UnitOfWork,
    school_id: str,
    day: date,
    band_key: str,
    grades: list[int] | None,
    dismissal_at: datetime,
    *,
    known_by: datetime,
) -> list[store.NotCollectedCase]:
    """The band's children checked in by what was known at `known_by` (LATE-2) and not checked out: to reception."""
    room = await ref.reception_room(uow.session, school_id=school_id)
    moved = []
    here = await store.still_here(uow.session, school_id=school_id, day=day, grades=grades, known_by=known_by)
    for child in here:
        case = store.NotCollectedCase(
            student_id=child.student_id,
            day=day,
            school_id=school_id,
            band_key=band_key,
            dismissal_at=dismissal_at,
            moved_at=uow.clock.now(),
            room_id=room,
            step=1,
        )
        if not await store.open_case(uow.session, case=case):
            continue  # already in reception from an earlier (emergency) band
        await uow.publish(from_fields(StudentMovedToReception, case), school_id=school_id)
        moved.append(await store.case_of(uow.session, student_id=child.student_id, day=day))
    return [case for case in moved if case is not None]


async def _call(uow: UnitOfWork, case: store.NotCollectedCase, step: int, dismissal_at: datetime) -> None:
    guardians = await ref.guardian_ids_of(uow.session, student_id=case.student_id)
    child = await ref.student(uow.session, school_id=case.school_id, student_id=case.student_id)
    teacher = await ref.class_teacher_of(uow.session, class_id=child.class_id) if child is not None else None
    minutes = int((uow.clock.now() - dismissal_at).total_seconds() // 60)
    await uow.publish(
        StudentNotCollected(
            student_id=case.student_id,
            school_id=case.school_id,
            day=case.day,
            step=step,
            escalation=step_kind(step),
            recipient_id=recipient(step, guardians, teacher),
            class_teacher_id=teacher,
            dismissal_at=dismissal_at,
            minutes_after_dismissal=minutes,
        ),
        school_id=case.school_id,
    )
