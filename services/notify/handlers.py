"""Incoming events → notifications, each inside the consumer's unit of work."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable

import orjson

from chassis.metrics import NOTIFICATIONS
from chassis.sql import upsert
from chassis.uow import UnitOfWork
from contracts.attendance import StudentCheckedIn
from contracts.enrollment import GuardianLinked, StudentEnrolled
from contracts.envelope import Envelope
from services.notify import store
from services.notify.domain.messages import Language, check_in_message

SERVICE = "notify"
IN_APP = "in_app"

Push = Callable[[str, bytes], Awaitable[None]]


async def remember_student(uow: UnitOfWork, event: StudentEnrolled, _envelope: Envelope) -> None:
    """Keep the child's given name for the alerts."""
    values = {"student_id": event.student_id, "school_id": event.school_id, "name": event.name}
    await uow.session.execute(upsert(uow.session, store.KnownStudent, values, ["student_id"]))


async def link_guardian(uow: UnitOfWork, event: GuardianLinked, _envelope: Envelope) -> None:
    """Remember who is told about the child."""
    values = {
        "student_id": event.student_id,
        "guardian_id": event.guardian_id,
        "school_id": event.school_id,
        "relation": event.relation,
        "language": event.preferred_language,
    }
    await uow.session.execute(upsert(uow.session, store.GuardianLink, values, ["student_id", "guardian_id"]))


def alert_guardians_of_check_in(push: Push) -> Callable[[UnitOfWork, StudentCheckedIn, Envelope], Awaitable[None]]:
    """NT-1: each linked guardian gets one in-app notification per check-in, pushed live after commit."""

    async def handle(uow: UnitOfWork, event: StudentCheckedIn, envelope: Envelope) -> None:
        student = await uow.session.get(store.KnownStudent, event.student_id)
        name = student.name if student is not None else event.student_id
        for link in await store.guardians_of(uow.session, student_id=event.student_id):
            language: Language = "en" if link.language == "en" else "zh"
            message = check_in_message(name, event.occurred_at, language)
            notification = store.Notification(
                notification_id=str(uuid.uuid4()),
                guardian_id=link.guardian_id,
                school_id=event.school_id,
                student_id=event.student_id,
                event_id=envelope.id,
                event_type=envelope.type,
                channel=IN_APP,
                status="delivered",
                title=message.title,
                body=message.body,
                created_at=uow.clock.now(),
            )
            uow.session.add(notification)
            live = orjson.dumps(public_view(notification))
            uow.after_commit(_push_later(push, f"guardian:{link.guardian_id}", live))
            uow.after_commit(lambda: NOTIFICATIONS.labels(SERVICE, IN_APP, "delivered").inc())
        await uow.session.flush()

    return handle


def public_view(notification: store.Notification) -> dict[str, str]:
    """A notification as the guardian's app receives it."""
    return {
        "notification_id": notification.notification_id,
        "student_id": notification.student_id,
        "event_type": notification.event_type,
        "channel": notification.channel,
        "status": notification.status,
        "title": notification.title,
        "body": notification.body,
        "created_at": notification.created_at.isoformat(),
    }


def _push_later(push: Push, channel: str, message: bytes) -> Callable[[], Awaitable[None]]:
    return lambda: push(channel, message)
