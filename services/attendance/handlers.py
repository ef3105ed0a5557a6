"""Incoming roster events → attendance's own copy of the roster, inside the consumer's unit of work."""

from __future__ import annotations

from chassis.sql import upsert
from chassis.uow import UnitOfWork
from contracts.enrollment import StudentEnrolled
from contracts.envelope import Envelope
from services.attendance import store


async def record_enrolled_student(uow: UnitOfWork, event: StudentEnrolled, _envelope: Envelope) -> None:
    """Keep attendance's own copy of the roster (ids, class and grade only)."""
    values = {
        "student_id": event.student_id,
        "school_id": event.school_id,
        "class_id": event.class_id,
        "grade": event.grade,
    }
    await uow.session.execute(upsert(uow.session, store.RosterStudent, values, ["student_id"]))
