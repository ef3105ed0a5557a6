"""A notification as the guardian's (or staff member's) app receives it, listed or live."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from functools import partial
from typing import Any

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


def public_view(notification: Notification | Mapping[str, Any]) -> dict[str, str | bool]:
    """A notification (stored, or its row about to be) as the guardian's app receives it."""
    field: Callable[[str], Any] = (
        notification.__getitem__ if isinstance(notification, Mapping) else partial(getattr, notification)
    )
    return {
        "notification_id": field("notification_id"),
        "student_id": field("student_id"),
        "event_type": field("event_type"),
        "channel": field("channel"),
        "status": field("status"),
        "title": field("title"),
        "body": field("body"),
        "urgent": field("urgent"),
        "created_at": field("created_at").isoformat(),
    }
