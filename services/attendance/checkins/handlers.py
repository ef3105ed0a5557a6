"""Check-in commands → rules → store + events, inside one unit of work."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta

from chassis.metrics import CHECK_INS
from chassis.problems import NotFound, Unprocessable
from chassis.uow import UnitOfWork
from contracts.attendance import CheckInMethod, StudentCheckedIn
from services.attendance.checkins import store
from services.attendance.domain.check_in import (
    DeviceClockAhead,
    DeviceEvent,
    accept_device_time,
    session_date_for,
)

SERVICE = "attendance"


@dataclass(frozen=True)
class CheckInStudent:
    """Command: record that a student arrived, as a device or a teacher reports it."""

    school_id: str
    recorded_by: str
    event: DeviceEvent


async def check_in_student(
    uow: UnitOfWork, command: CheckInStudent, *, max_skew: timedelta
) -> tuple[store.CheckIn, bool]:
    """Store the check-in and publish `StudentCheckedIn`; a repeated device event returns the first one."""
    event = command.event
    try:
        occurred_at = accept_device_time(event.occurred_at, uow.clock.now(), max_skew)
    except DeviceClockAhead as error:
        raise Unprocessable(str(error), rule="AT-8") from error
    row = store.CheckIn(
        check_in_id=str(uuid.uuid4()),
        school_id=command.school_id,
        student_id=event.student_id,
        device_id=event.device_id,
        method=event.method,
        occurred_at=occurred_at,
        recorded_at=uow.clock.now(),
        recorded_by=command.recorded_by,
        session_date=session_date_for(event),
    )
    values = {column.key: getattr(row, column.key) for column in store.CheckIn.__table__.columns}
    if not await store.insert_check_in_for_rostered_student(uow.session, values):
        existing = await store.find_check_in(
            uow.session,
            school_id=command.school_id,
            device_id=event.device_id,
            student_id=event.student_id,
            occurred_at=occurred_at,
        )
        if existing is None:
            raise NotFound(f"no student '{event.student_id}' in this school")
        return existing, False
    await uow.publish(
        StudentCheckedIn(
            check_in_id=row.check_in_id,
            student_id=row.student_id,
            school_id=row.school_id,
            device_id=row.device_id,
            method=CheckInMethod(row.method),
            occurred_at=row.occurred_at,
            session_date=row.session_date,
        ),
        school_id=row.school_id,
    )
    uow.after_commit(lambda: CHECK_INS.labels(SERVICE, event.method).inc())
    return row, True
