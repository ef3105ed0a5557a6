"""Staff inboxes: the staff member an attendance event names is told too (issue 10, "staff recipients").

Built for the cases whose events already name a person: the class teacher of an unexcused absence (AT-3) and the
staff member called at a not-collected step (AT-6). A staff notification is keyed by an id derived from the
event's, so it never clashes with a guardian's notification of the same event, and a redelivery adds nothing
(NT-3)."""

from __future__ import annotations

import uuid

import orjson

from chassis.consumer import Handler
from chassis.uow import UnitOfWork
from contracts.attendance.absence import UnexcusedAbsence
from contracts.attendance.dismissal import EscalationStep, StudentNotCollected
from contracts.envelope import Envelope
from services.notify import store
from services.notify.deliveries import handlers as queueing
from services.notify.domain.messages import Message
from services.notify.inbox.schemas import public_view
from services.notify.reference import store as ref

_STAFF_STEPS = {EscalationStep.CLASS_TEACHER, EscalationStep.DUTY_LEADER}


def staff_channel(staff_id: str) -> str:
    """The live-stream channel of a staff member."""
    return f"staff:{staff_id}"


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
    live = orjson.dumps(public_view(notification))
    uow.after_commit(lambda: uow.broadcaster.publish(staff_channel(staff_id), live))
    await uow.session.flush()


async def _child(uow: UnitOfWork, student_id: str) -> str:
    student = await uow.session.get(ref.KnownStudent, student_id)
    return student.name if student is not None else student_id


def with_class_teacher_of_absence(guardians: Handler) -> Handler:
    """AT-3: the guardians, and the class teacher the event names."""

    async def handle(uow: UnitOfWork, event: UnexcusedAbsence, envelope: Envelope) -> None:
        await guardians(uow, event, envelope)
        if event.class_teacher_id:
            name = await _child(uow, event.student_id)
            message = Message("学生未到", f"{name}未到课后服务签到，且未请假，请联系家长。", True)
            await tell_staff(
                uow,
                staff_id=event.class_teacher_id,
                school_id=event.school_id,
                student_id=event.student_id,
                envelope=envelope,
                message=message,
            )

    return handle


def with_staff_of_not_collected(guardians: Handler) -> Handler:
    """AT-6: the guardians as before, and at a staff step the staff member the event names."""

    async def handle(uow: UnitOfWork, event: StudentNotCollected, envelope: Envelope) -> None:
        await guardians(uow, event, envelope)
        if event.escalation in _STAFF_STEPS and event.recipient_id:
            name = await _child(uow, event.student_id)
            message = Message("学生未被接走", f"{name}放学后仍未被接走（第{event.step}步），请处理。", True)
            await tell_staff(
                uow,
                staff_id=event.recipient_id,
                school_id=event.school_id,
                student_id=event.student_id,
                envelope=envelope,
                message=message,
            )

    return handle
