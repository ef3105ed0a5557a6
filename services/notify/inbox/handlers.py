"""The commands of an inbox: a guardian reads a notification."""

from __future__ import annotations

from chassis.auth import Principal
from chassis.problems import NotFound
from chassis.uow import UnitOfWork
from services.notify.deliveries.store import mark_read
from services.notify.store import Notification


async def read_notification(uow: UnitOfWork, principal: Principal, notification_id: str) -> None:
    """The guardian read it: its deliveries become read, and an urgent alert stops falling back (NT-2)."""
    notification = await uow.session.get(Notification, notification_id)
    if (
        notification is None
        or notification.audience != "guardian"
        or notification.guardian_id != principal.subject
        or notification.school_id != principal.school()
    ):
        raise NotFound("no such notification")
    now = uow.clock.now()
    notification.read_at = notification.read_at or now
    await mark_read(uow.session, notification_id=notification_id, now=now)
