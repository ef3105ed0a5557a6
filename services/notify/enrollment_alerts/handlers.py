"""Enrollment events → guardians' alerts (EN-1, NT-1): each step of an application, a withdrawal, a club place."""

from __future__ import annotations

from chassis.consumer import Handler
from contracts import enrollment
from contracts.envelope import Event
from services.notify.alerts.handlers import StudentHandler, alert_guardians
from services.notify.domain.messages import ENROLLMENT_STEP_TYPES, Language, Message, enrollment_step_message


def enrollment_alerts() -> dict[type[Event], Handler]:
    """The handlers of the enrollment events a guardian is told about: one per step type."""
    steps = alert_guardians_of_enrollment_step()
    return {event: steps for event in enrollment.EVENTS if event.type in ENROLLMENT_STEP_TYPES}


def alert_guardians_of_enrollment_step() -> StudentHandler:
    """EN-1/NT-1: the guardian is told at each step of the application, withdrawal and club places."""

    def compose(event: Event, name: str, language: Language) -> Message:
        return enrollment_step_message(event.type, name, getattr(event, "reason", None), language)

    return alert_guardians(compose)
