"""Staff inboxes: which staff member an attendance event reaches is `domain/staff.py`'s; this puts it in their inbox
and pushes it live (issue 10, "staff recipients").

The class teacher on an unexcused absence (AT-3) and on "missing from session" (BX-4); the class teacher and the
day's duty leaders at the not-collected ladder's staff rungs, where the guardians are not told again (AT-6); the
session's service teachers, then the duty leaders, then the school office on an unaccepted handover (BX-3); the school
office on a refused pickup (AT-5, BX-2). A staff notification is keyed by an id derived from the event's and the
staff member's, so it never clashes with a guardian's notification of the same event, and a redelivery adds nothing
(NT-3).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from datetime import date
from typing import Any

from starlette.types import Receive, Send

from chassis.clock import SCHOOL_TZ
from chassis.consumer import Handler
from chassis.lean import LeanRequest
from chassis.uow import UnitOfWork
from contracts.attendance.absence import UnexcusedAbsence
from contracts.attendance.dismissal import PickupRefused, StudentNotCollected
from contracts.attendance.handover import HandoverUnacceptedEscalated
from contracts.attendance.reconciliation import StudentMissingFromSession
from contracts.envelope import Envelope, Event
from services.notify import store
from services.notify.deliveries import handlers as queueing
from services.notify.domain import staff as who
from services.notify.domain.messages import Message
from services.notify.inbox.handlers import live_frame, serve_stream
from services.notify.reference import store as ref


def staff_channel(staff_id: str) -> str:
    """The live-stream channel of a staff member."""
    return f"staff:{staff_id}"


async def staff_stream(request: LeanRequest, receive: Receive, send: Send) -> None:
    """The calling staff member's live stream."""
    channel = staff_channel(request.principal.subject)
    await serve_stream(request, receive, send, channel=channel, audience="staff")


async def tell_staff(
    uow: UnitOfWork, *, staff_id: str, school_id: str, student_id: str, envelope: Envelope, message: Message
) -> None:
    """One notification in the staff member's inbox, pushed live after commit."""
    event_id = str(uuid.uuid5(uuid.NAMESPACE_URL, f"{envelope.id}/staff/{staff_id}"))
    notification = store.Notification(
        notification_id=str(uuid.uuid4()),
        guardian_id=staff_id,
        audience="staff",
        school_id=school_id,
        student_id=student_id,
        event_id=event_id,
        event_type=envelope.type,
        channel="in_app",
        status="delivered",
        title=message.title,
        body=message.body,
        urgent=message.urgent,
        created_at=uow.clock.now(),
    )
    uow.session.add(notification)
    queueing.queue_for_guardian(uow, notification, None, message, "zh")
    live = live_frame(notification)
    uow.after_commit(lambda: uow.broadcaster.publish(staff_channel(staff_id), live))
    await uow.session.flush()


async def _tell_each(
    uow: UnitOfWork, staff_ids: list[str], *, school_id: str, student_id: str, envelope: Envelope, message: Message
) -> None:
    for staff_id in staff_ids:
        await tell_staff(
            uow, staff_id=staff_id, school_id=school_id, student_id=student_id, envelope=envelope, message=message
        )


async def _child(uow: UnitOfWork, student_id: str) -> str:
    student = await uow.session.get(ref.KnownStudent, student_id)
    return student.name if student is not None else student_id


async def _school_staff(uow: UnitOfWork, school_id: str, day: date | None) -> who.SchoolStaff:
    leaders = await ref.duty_leaders_on(uow.session, school_id=school_id, day=day) if day is not None else []
    return who.SchoolStaff(leaders, await ref.school_admins(uow.session, school_id=school_id))


def _with_class_teacher(
    guardians: Handler,
    day_of: Callable[[Any], date],
    recipients: Callable[[str | None, who.SchoolStaff], list[str]],
    compose: Callable[[str], Message],
) -> Handler:
    async def handle(uow: UnitOfWork, event: Any, envelope: Envelope) -> None:
        await guardians(uow, event, envelope)
        staff = await _school_staff(uow, event.school_id, day_of(event))
        message = compose(await _child(uow, event.student_id))
        ids = recipients(event.class_teacher_id, staff)
        await _tell_each(
            uow, ids, school_id=event.school_id, student_id=event.student_id, envelope=envelope, message=message
        )

    return handle


def with_class_teacher_of_absence(guardians: Handler) -> Handler:
    """AT-3: the guardians, and the class teacher."""

    def day_of(event: UnexcusedAbsence) -> date:
        return event.day

    return _with_class_teacher(guardians, day_of, who.unexcused_absence, who.absence_message)


def with_class_teacher_of_missing(guardians: Handler) -> Handler:
    """BX-4: the guardians, and the class teacher of the child present in class but missing from the session."""

    def day_of(event: StudentMissingFromSession) -> date:
        return date.fromisoformat(event.session_date)

    return _with_class_teacher(guardians, day_of, who.missing_from_session, who.missing_message)


def with_staff_of_not_collected(guardians: Handler) -> Handler:
    """AT-6: the guardian rungs call the guardians; the staff rungs call the class teacher and the day's duty
    leaders instead (the school's webhooks still hear of every rung)."""

    async def handle(uow: UnitOfWork, event: StudentNotCollected, envelope: Envelope) -> None:
        if who.guardians_told_of_not_collected(event.escalation):
            await guardians(uow, event, envelope)
            return
        staff = await _school_staff(uow, event.school_id, event.day)
        message = who.not_collected_message(await _child(uow, event.student_id), event.step)
        ids = who.not_collected(event.escalation, event.class_teacher_id, event.recipient_id, staff)
        await _tell_each(
            uow, ids, school_id=event.school_id, student_id=event.student_id, envelope=envelope, message=message
        )
        await queueing.queue_webhooks(
            uow, school_id=event.school_id, student_id=event.student_id, envelope=envelope, message=message
        )

    return handle


def with_school_office_of_refusal(guardians: Handler) -> Handler:
    """AT-5/BX-2: the guardians, and the school office (urgent when a restricted person tried)."""

    async def handle(uow: UnitOfWork, event: PickupRefused, envelope: Envelope) -> None:
        await guardians(uow, event, envelope)
        day = event.occurred_at.astimezone(SCHOOL_TZ).date()
        staff = await _school_staff(uow, event.school_id, day)
        message = who.refused_message(await _child(uow, event.student_id), event.restricted)
        ids = who.pickup_refused(staff)
        await _tell_each(
            uow, ids, school_id=event.school_id, student_id=event.student_id, envelope=envelope, message=message
        )

    return handle


async def tell_of_unaccepted_handover(uow: UnitOfWork, event: HandoverUnacceptedEscalated, envelope: Envelope) -> None:
    """BX-3: each step of an unaccepted handover calls its staff (no guardian is told: the children are at school)."""
    staff = await _school_staff(uow, event.school_id, event.day)
    ids = who.unaccepted_handover(event.escalate_to, event.service_teacher_ids, staff)
    message = who.unaccepted_message(event.count, event.step)
    await _tell_each(uow, ids, school_id=event.school_id, student_id="", envelope=envelope, message=message)


def with_staff(handlers: Mapping[type[Event], Handler]) -> dict[type[Event], Handler]:
    """The alert slices' handlers with the staff told too, and the events only staff hear of."""
    wrapped = dict(handlers)
    wrapped[UnexcusedAbsence] = with_class_teacher_of_absence(handlers[UnexcusedAbsence])
    wrapped[StudentMissingFromSession] = with_class_teacher_of_missing(handlers[StudentMissingFromSession])
    wrapped[StudentNotCollected] = with_staff_of_not_collected(handlers[StudentNotCollected])
    wrapped[PickupRefused] = with_school_office_of_refusal(handlers[PickupRefused])
    wrapped[HandoverUnacceptedEscalated] = tell_of_unaccepted_handover
    return wrapped
