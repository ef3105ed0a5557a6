"""Who may collect a child, remembered from enrollment, so a check-out alert names who collected them (NT-1)."""

from __future__ import annotations

from chassis.consumer import Handler
from chassis.sql import upsert
from chassis.uow import UnitOfWork
from contracts.attendance.dismissal import StudentCheckedOut
from contracts.enrollment import PickupPersonAdded, PickupPersonRemoved
from contracts.envelope import Envelope
from services.notify import store
from services.notify.domain.attendance_messages import checked_out_message
from services.notify.domain.messages import Language, Message
from services.notify.handlers import Push, alert_guardians


async def remember_pickup_person(uow: UnitOfWork, event: PickupPersonAdded, _envelope: Envelope) -> None:
    """Keep the adult's relation to the child."""
    values = {
        "person_id": event.person_id,
        "student_id": event.student_id,
        "school_id": event.school_id,
        "relation": event.relation,
    }
    await uow.session.execute(upsert(uow.session, store.PickupPerson, values, ["person_id", "student_id"]))


async def forget_pickup_person(uow: UnitOfWork, event: PickupPersonRemoved, _envelope: Envelope) -> None:
    """The adult may no longer collect the child."""
    person = await uow.session.get(store.PickupPerson, (event.person_id, event.student_id))
    if person is not None:
        await uow.session.delete(person)
        await uow.session.flush()


def alert_guardians_of_check_out(push: Push) -> Handler:
    """NT-1: child checked out, when, and by whom (the relation the school recorded for that person)."""

    async def handle(uow: UnitOfWork, event: StudentCheckedOut, envelope: Envelope) -> None:
        relation = None
        if event.person_id is not None:
            person = await uow.session.get(store.PickupPerson, (event.person_id, event.student_id))
            relation = person.relation if person is not None else None

        def compose(e: StudentCheckedOut, name: str, language: Language) -> Message:
            return checked_out_message(name, e.occurred_at, e.release, language, collected_by=relation)

        await alert_guardians(push, compose)(uow, event, envelope)

    return handle
