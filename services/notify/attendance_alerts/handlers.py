"""Attendance events → guardians' alerts (NT-1): which event, which guardians, which message."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from chassis.consumer import Handler
from chassis.uow import UnitOfWork
from contracts.attendance import StudentCheckedIn
from contracts.attendance.absence import LeaveApproved, LeaveRefused, UnexcusedAbsence
from contracts.attendance.common import TOPIC as ATTENDANCE
from contracts.attendance.dismissal import (
    EscalationStep,
    LatePickupCharged,
    PickupRefused,
    StudentCheckedOut,
    StudentMovedToReception,
    StudentNotCollected,
)
from contracts.attendance.emergency import EmergencyAllClear, EmergencyBroadcast
from contracts.attendance.reconciliation import StudentMissingFromSession
from contracts.envelope import Envelope, Event
from services.notify.alerts.handlers import StudentHandler, alert_guardians, alert_school_guardians
from services.notify.deliveries import handlers as queueing
from services.notify.domain import attendance_messages as text
from services.notify.domain.messages import Language, Message, check_in_message
from services.notify.preferences.store import preferences_in
from services.notify.reference import store as ref

_GUARDIAN_STEPS = {EscalationStep.GUARDIAN_1, EscalationStep.GUARDIAN_2}


def _the_called_guardian(event: StudentNotCollected, guardian_id: str) -> bool:
    """AT-6: each guardian step calls one guardian (the staff steps reach staff only: `staff/handlers.py`)."""
    return event.escalation not in _GUARDIAN_STEPS or event.recipient_id in (None, guardian_id)


def attendance_alerts() -> dict[type[Event], Handler]:
    """The handlers of the attendance events a guardian is told about."""

    def of(compose: Any, only: Any = None) -> Handler:
        return alert_guardians(compose, only)

    def school(compose: Any) -> Handler:
        return alert_school_guardians(compose)

    def refused(e: PickupRefused, name: str, lang: Language) -> Message:
        return text.pickup_refused_message(name, e.restricted, lang)

    def not_collected(e: StudentNotCollected, name: str, lang: Language) -> Message:
        return text.not_collected_message(name, e.step, lang)

    def late_fee(e: LatePickupCharged, name: str, lang: Language) -> Message:
        return text.late_pickup_message(name, e.fee_fen, lang)

    def broadcast(e: EmergencyBroadcast, lang: Language) -> Message:
        return text.emergency_message(e.reason, e.dismiss_at, e.drill, e.note, lang)

    return {
        StudentCheckedIn: alert_guardians_of_check_in(),
        StudentCheckedOut: alert_guardians_of_check_out(),
        PickupRefused: of(refused),
        StudentMovedToReception: of(lambda e, name, lang: text.reception_message(name, lang)),
        StudentNotCollected: of(not_collected, _the_called_guardian),
        LatePickupCharged: of(late_fee),
        UnexcusedAbsence: of(lambda e, name, lang: text.absence_message(name, lang)),
        StudentMissingFromSession: of(lambda e, name, lang: text.missing_from_session_message(name, lang)),
        LeaveApproved: of(lambda e, name, lang: text.leave_message(name, True, lang)),
        LeaveRefused: of(lambda e, name, lang: text.leave_message(name, False, lang)),
        EmergencyBroadcast: school(broadcast),
        EmergencyAllClear: school(lambda e, lang: text.all_clear_message(e.drill, lang)),
    }


async def read_ahead(uow: UnitOfWork, events: Sequence[Event]) -> None:
    """`Subscription.prefetch`: a fetched batch's children, their guardians' links and preferences, the adults who
    collected them and their schools' webhook endpoints, each read in one statement, so each alert's handler then
    reads none of them (issue 13: a dismissal burst read them one event at a time). Only for attendance's events: no
    handler of that topic writes those rows (the rosters come on enrollment's, endpoints through the API)."""
    about = [event for event in events if event.topic == ATTENDANCE and isinstance(event, _ABOUT_A_CHILD)]
    if len(about) < 2:  # a lone event reads what it needs itself, as cheaply
        return
    children = list(dict.fromkeys(event.student_id for event in about))
    await ref.students_in(uow, children)
    links = await ref.links_of(uow, children)
    await preferences_in(uow, [link.guardian_id for found in links.values() for link in found])
    collected = [(e.person_id, e.student_id) for e in about if isinstance(e, StudentCheckedOut) and e.person_id]
    if collected:
        await ref.collectors_in(uow, collected)
    await queueing.webhooks_of(uow, {event.school_id for event in about})


_ABOUT_A_CHILD = (
    StudentCheckedIn,
    StudentCheckedOut,
    PickupRefused,
    StudentMovedToReception,
    StudentNotCollected,
    LatePickupCharged,
    UnexcusedAbsence,
    StudentMissingFromSession,
    LeaveApproved,
    LeaveRefused,
)


def alert_guardians_of_check_in() -> StudentHandler:
    """NT-1: child checked in, at the device's time."""

    def compose(event: StudentCheckedIn, name: str, language: Language) -> Message:
        return check_in_message(name, event.occurred_at, language)

    return alert_guardians(compose)


def alert_guardians_of_check_out() -> Handler:
    """NT-1: child checked out, when, and by whom (the relation the school recorded for that person, and their
    name)."""

    async def handle(uow: UnitOfWork, event: StudentCheckedOut, envelope: Envelope) -> None:
        relation = collector = None
        if event.person_id is not None:
            person = (await ref.collectors_in(uow, [(event.person_id, event.student_id)]))[
                (event.person_id, event.student_id)
            ]
            if person is not None:
                relation, collector = person.relation, person.name

        def compose(e: StudentCheckedOut, name: str, language: Language) -> Message:
            return text.checked_out_message(
                name, e.occurred_at, e.release, language, collected_by=relation, collector_name=collector
            )

        await alert_guardians(compose)(uow, event, envelope)

    return handle
