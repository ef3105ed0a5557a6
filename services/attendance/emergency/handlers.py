"""Emergency commands (AT-7, BX-7) → rules → store + events, inside one unit of work."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from chassis.clock import SCHOOL_TZ
from chassis.problems import Conflict, NotFound, Unprocessable
from chassis.records import from_fields
from chassis.uow import UnitOfWork
from contracts.attendance.emergency import EmergencyAllClear, EmergencyBroadcast, EmergencyReason
from services.attendance.dismissal import store as dismissal_store
from services.attendance.dismissal.timers import schedule_band
from services.attendance.domain.dismissal import dismissal_at
from services.attendance.domain.emergency import BroadcastRefused, check_all_clear, check_dismiss_at, check_grades
from services.attendance.emergency import store
from services.attendance.reference import store as ref


@dataclass(frozen=True)
class Broadcast:
    """Command: dismiss a school (or some grades) early, for real or as a drill."""

    school_id: str
    issued_by: str
    grades: list[int]
    drill: bool
    reason: EmergencyReason
    dismiss_at: datetime
    note: str | None = None


async def broadcast(uow: UnitOfWork, command: Broadcast) -> store.Broadcast:
    """AT-7/BX-7: record and publish the broadcast; a real one moves the covered children's not-collected timer
    to the early dismissal time (a drill changes nothing but is announced as a drill)."""
    now = uow.clock.now()
    day = command.dismiss_at.astimezone(SCHOOL_TZ).date()
    school_grades = await dismissal_store.grades_of_school(uow.session, school_id=command.school_id)
    policy = await ref.policy_on(uow.session, school_id=command.school_id, day=day)
    try:
        grades = check_grades(command.grades, school_grades)
        covered = grades or school_grades or list(policy.dismissal_times)
        check_dismiss_at(command.dismiss_at, now, max(dismissal_at(day, g, policy) for g in covered))
    except BroadcastRefused as error:
        raise Unprocessable(str(error), rule="AT-7") from error
    row = from_fields(
        store.Broadcast,
        command,
        broadcast_id=str(uuid.uuid4()),
        day=day,
        grades=grades,
        reason=command.reason.value,
        issued_at=now,
    )
    uow.session.add(row)
    await uow.publish(
        from_fields(EmergencyBroadcast, row, grades=grades, reason=command.reason),
        school_id=row.school_id,
    )
    if not command.drill:
        await schedule_band(
            uow,
            school_id=command.school_id,
            day=day,
            band_key=f"{command.school_id}:{day}:emergency:{row.broadcast_id}",
            grades=grades or None,
            dismissal_at=command.dismiss_at,
        )
    return row


async def all_clear(uow: UnitOfWork, *, school_id: str, broadcast_id: str, by: str) -> store.Broadcast:
    """BX-7: end a broadcast (or drill) once, with an event."""
    row = await store.broadcast(uow.session, school_id=school_id, broadcast_id=broadcast_id)
    if row is None:
        raise NotFound(f"no broadcast '{broadcast_id}' here")
    try:
        check_all_clear(row.cleared_at is not None)
    except BroadcastRefused as error:
        raise Conflict(str(error), rule="BX-7") from error
    row.cleared_by, row.cleared_at = by, uow.clock.now()
    await uow.publish(
        EmergencyAllClear(
            broadcast_id=row.broadcast_id, school_id=school_id, grades=row.grades, drill=row.drill, cleared_by=by
        ),
        school_id=school_id,
    )
    return row
