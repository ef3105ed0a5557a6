"""Incoming events → notifications, each inside the consumer's unit of work."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Protocol

import orjson

from chassis.metrics import NOTIFICATIONS
from chassis.sql import upsert
from chassis.uow import UnitOfWork
from contracts.attendance import StudentCheckedIn
from contracts.enrollment import GuardianLinked, GuardianUnlinked, StudentEnrolled, StudentTransferred
from contracts.envelope import Envelope, Event
from contracts.homework import HomeworkAssigned, HomeworkChanged, HomeworkWithdrawn, WeeklyPlanPublished
from services.notify import queueing, store
from services.notify.domain.messages import (
    PLAN_CHANGES,
    Language,
    Message,
    check_in_message,
    enrollment_step_message,
    plan_change_message,
    weekly_plan_message,
)

SERVICE = "notify"
IN_APP = "in_app"

Push = Callable[[str, bytes], Awaitable[None]]


async def remember_student(uow: UnitOfWork, event: StudentEnrolled, _envelope: Envelope) -> None:
    """Keep the child's given name for the alerts."""
    values = {"student_id": event.student_id, "school_id": event.school_id, "name": event.name, "grade": event.grade}
    await uow.session.execute(upsert(uow.session, store.KnownStudent, values, ["student_id"]))


async def move_student(uow: UnitOfWork, event: StudentTransferred, _envelope: Envelope) -> None:
    """Keep the child's grade, so a broadcast to some grades reaches the right guardians (AT-7)."""
    student = await uow.session.get(store.KnownStudent, event.student_id)
    if student is not None:
        student.grade = event.grade
        await uow.session.flush()


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


class AboutAStudent(Protocol):
    """An event about one child of a school (check-ins, application steps, club places)."""

    @property
    def student_id(self) -> str: ...

    @property
    def school_id(self) -> str: ...


Compose = Callable[[Any, str, Language], Message]
Recipient = Callable[[Any, str], bool]
StudentHandler = Callable[[UnitOfWork, Any, Envelope], Awaitable[None]]


def alert_guardians(push: Push, compose: Compose, only: Recipient | None = None) -> StudentHandler:
    """NT-1/NT-3: each linked guardian (or those `only` picks) gets one in-app notification per event, pushed
    live after commit."""

    async def handle(uow: UnitOfWork, event: AboutAStudent, envelope: Envelope) -> None:
        student = await uow.session.get(store.KnownStudent, event.student_id)
        name = student.name if student is not None else event.student_id
        links = await store.guardians_of(uow.session, student_id=event.student_id)
        chosen = [link for link in links if only is None or only(event, link.guardian_id)] or links
        preferences = await queueing.preferences_of(uow.session, (link.guardian_id for link in chosen))
        for link in chosen:
            preference = preferences.get(link.guardian_id)
            language = queueing.language_of(preference, link.language)
            message = compose(event, name, language)
            _notify(
                uow, push, link.guardian_id, event.school_id, event.student_id, envelope, message, preference, language
            )
        if chosen:
            school_message = compose(event, name, "zh")
            await queueing.queue_webhooks(
                uow, school_id=event.school_id, student_id=event.student_id, envelope=envelope, message=school_message
            )
        await uow.session.flush()

    return handle


def _notify(
    uow: UnitOfWork,
    push: Push,
    guardian_id: str,
    school_id: str,
    student_id: str,
    envelope: Envelope,
    message: Message,
    preference: store.GuardianPreference | None,
    language: Language,
) -> None:
    notification = store.Notification(
        notification_id=str(uuid.uuid4()),
        guardian_id=guardian_id,
        school_id=school_id,
        student_id=student_id,
        event_id=envelope.id,
        event_type=envelope.type,
        channel=IN_APP,
        status="delivered",
        title=message.title,
        body=message.body,
        urgent=message.urgent,
        created_at=uow.clock.now(),
    )
    uow.session.add(notification)
    queueing.queue_for_guardian(uow, notification, preference, message, language)
    live = orjson.dumps(public_view(notification))
    uow.after_commit(_push_later(push, f"guardian:{guardian_id}", live))
    uow.after_commit(lambda: NOTIFICATIONS.labels(SERVICE, IN_APP, "delivered").inc())


def alert_school_guardians(push: Push, compose: Callable[[Any, Language], Message]) -> StudentHandler:
    """AT-7/BX-7: a school-wide (or some grades') broadcast: one notification per guardian, however many of
    their children it concerns (NT-3)."""

    async def handle(uow: UnitOfWork, event: Any, envelope: Envelope) -> None:
        grades = list(getattr(event, "grades", []))
        recipients = await store.guardians_of_school(uow.session, school_id=event.school_id, grades=grades)
        preferences = await queueing.preferences_of(uow.session, (guardian_id for guardian_id, _, _ in recipients))
        for guardian_id, linked_language, student_id in recipients:
            preference = preferences.get(guardian_id)
            language = queueing.language_of(preference, linked_language)
            message = compose(event, language)
            _notify(uow, push, guardian_id, event.school_id, student_id, envelope, message, preference, language)
        if recipients:
            await queueing.queue_webhooks(
                uow, school_id=event.school_id, student_id="", envelope=envelope, message=compose(event, "zh")
            )
        await uow.session.flush()

    return handle


def alert_guardians_of_check_in(push: Push) -> StudentHandler:
    """NT-1: child checked in, at the device's time."""

    def compose(event: StudentCheckedIn, name: str, language: Language) -> Message:
        return check_in_message(name, event.occurred_at, language)

    return alert_guardians(push, compose)


def alert_guardians_of_enrollment_step(push: Push) -> StudentHandler:
    """EN-1/NT-1: the guardian is told at each step of the application, withdrawal and club places."""

    def compose(event: Event, name: str, language: Language) -> Message:
        return enrollment_step_message(event.type, name, getattr(event, "reason", None), language)

    return alert_guardians(push, compose)


@dataclass(frozen=True)
class _ForChild:
    """A class-wide homework event (HW-8), as it concerns one child of the class."""

    student_id: str
    school_id: str
    event: Any


def alert_guardians_of_each_child(push: Push, compose: Compose) -> StudentHandler:
    """NT-1 for class-wide events naming the class's children in `student_ids`: one notification per child.

    Each child's notification has its own stable id derived from the event's, so the per-event uniqueness (NT-3)
    holds for a guardian of two children in the class, and a redelivery still adds nothing.
    """
    per_child = alert_guardians(push, lambda child, name, language: compose(child.event, name, language))

    async def handle(uow: UnitOfWork, event: Any, envelope: Envelope) -> None:
        for student_id in event.student_ids:
            child_id = str(uuid.uuid5(uuid.NAMESPACE_URL, f"{envelope.id}/{student_id}"))
            child = _ForChild(student_id, event.school_id, event)
            await per_child(uow, child, envelope.model_copy(update={"id": child_id}))

    return handle


def alert_guardians_of_weekly_plan(push: Push) -> StudentHandler:
    """HW-8/NT-1: the guardians of the class's children are told the week's homework plan was published."""

    def compose(event: WeeklyPlanPublished, name: str, language: Language) -> Message:
        return weekly_plan_message(name, event.week_start, event.version, language)

    return alert_guardians_of_each_child(push, compose)


def alert_guardians_of_plan_change(push: Push) -> StudentHandler:
    """HW-8: homework set, changed or withdrawn after the week's plan was published is announced to the class."""

    def compose(
        event: HomeworkAssigned | HomeworkChanged | HomeworkWithdrawn, name: str, language: Language
    ) -> Message:
        change = PLAN_CHANGES[event.type]
        return plan_change_message(name, event.school_subject, event.on, change, language)

    return alert_guardians_of_each_child(push, compose)


async def unlink_guardian(uow: UnitOfWork, event: GuardianUnlinked, _envelope: Envelope) -> None:
    """A guardian no longer linked to the child is told nothing more about them."""
    link = await uow.session.get(store.GuardianLink, (event.student_id, event.guardian_id))
    if link is not None:
        await uow.session.delete(link)
        await uow.session.flush()


def public_view(notification: store.Notification) -> dict[str, str | bool]:
    """A notification as the guardian's app receives it."""
    return {
        "notification_id": notification.notification_id,
        "student_id": notification.student_id,
        "event_type": notification.event_type,
        "channel": notification.channel,
        "status": notification.status,
        "title": notification.title,
        "body": notification.body,
        "urgent": notification.urgent,
        "created_at": notification.created_at.isoformat(),
    }


def _push_later(push: Push, channel: str, message: bytes) -> Callable[[], Awaitable[None]]:
    return lambda: push(channel, message)
