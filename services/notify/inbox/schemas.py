"""A notification as the guardian's (or staff member's) app receives it, listed or live."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel

from services.notify.store import Notification


class NotificationPublic(BaseModel):
    """A notification as the guardian's app shows it."""

    notification_id: str
    student_id: str
    event_type: str
    channel: str
    status: str
    title: str
    body: str
    urgent: bool = False
    created_at: datetime


class NotificationPage(BaseModel):
    """Newest first; pass `next_before` as `before` for the next page."""

    items: list[NotificationPublic]
    next_before: datetime | None


def public_view(notification: Notification) -> dict[str, str | bool]:
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
