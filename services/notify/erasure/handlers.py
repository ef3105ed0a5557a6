"""`enrollment.student_erased.v1` → notify forgets the child (PIPL, issue 11): the name it keeps for alerts, who
may collect them, every alert and delivery about them (a district subscriber's copies of their events too), and,
for the guardians erased with them, their preferences (addresses) and anything else sent to them. The erasure
itself then goes to every district subscription of the school (`subscriptions.handlers.to_subscribers`)."""

from __future__ import annotations

from sqlalchemy import delete, or_, select

from chassis.consumer import Handler
from chassis.uow import UnitOfWork
from contracts.enrollment import StudentErased
from contracts.envelope import Envelope, Event
from services.notify import store as shared
from services.notify.alerts.handlers import pending_rows
from services.notify.preferences import store as preferences
from services.notify.reference import store as reference


async def erase_student(uow: UnitOfWork, event: StudentErased, _envelope: Envelope) -> None:
    """Delete what notify holds of the child and of the guardians erased with them."""
    session, child, guardians = uow.session, event.student_id, event.guardian_ids
    await (await pending_rows(uow)).write()  # this batch's alerts about them are erased too
    about = or_(shared.Notification.student_id == child, shared.Notification.guardian_id.in_(guardians))
    notifications = select(shared.Notification.notification_id).where(about)
    await session.execute(
        delete(shared.Delivery).where(
            or_(shared.Delivery.notification_id.in_(notifications), shared.Delivery.recipient_id.in_(guardians))
        )
    )
    await session.execute(delete(shared.Notification).where(about))
    # A district subscriber's copies of events about the child or those guardians (BX-8): their bodies carry names.
    await session.execute(delete(shared.Delivery).where(shared.Delivery.subject.in_([child, *guardians])))
    chosen = preferences.GuardianPreference
    await session.execute(delete(chosen).where(chosen.guardian_id.in_(guardians)))
    for table in (reference.PickupPerson, reference.GuardianLink, reference.KnownStudent):
        await session.execute(delete(table).where(table.student_id == child))
    for kind in (reference.LINKS, reference.STUDENTS, reference.COLLECTORS, preferences.PREFERENCES):
        uow.forget(kind)


HANDLERS: dict[type[Event], Handler] = {StudentErased: erase_student}
