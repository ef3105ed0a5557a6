"""Incoming attendance events → tallies, each inside the consumer's unit of work."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from chassis.sql import insert_ignoring_duplicates
from chassis.uow import UnitOfWork
from contracts.attendance import StudentCheckedIn
from contracts.envelope import Envelope
from services.stipend import store
from services.stipend.domain.tally import attendance_of


def tally_check_in(class_hours_per_session: int) -> Callable[[UnitOfWork, StudentCheckedIn, Envelope], Awaitable[None]]:
    """A check-in makes the child present at that day's session, once (ST-6, ST-7)."""

    async def handle(uow: UnitOfWork, event: StudentCheckedIn, envelope: Envelope) -> None:
        fact = attendance_of(event.student_id, event.school_id, event.session_date, class_hours_per_session)
        await uow.session.execute(
            insert_ignoring_duplicates(
                uow.session,
                store.AttendedSession,
                {
                    "student_id": fact.student_id,
                    "session_date": fact.session_date,
                    "school_id": fact.school_id,
                    "month": fact.month,
                    "class_hours": fact.class_hours,
                    "first_check_in_id": event.check_in_id,
                    "first_event_id": envelope.id,
                    "recorded_at": uow.clock.now(),
                },
            )
        )

    return handle
