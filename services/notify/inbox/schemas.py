"""A notification as the guardian's (or staff member's) app receives it, listed or live."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from chassis.openapi import examples, model_examples
from contracts.fields import StudentId
from services.notify.fields import EventType
from services.notify.store import Notification


class NotificationPublic(BaseModel):
    """A notification as the guardian's app shows it."""

    model_config = examples(
        {
            "notification_id": "nt-20261125-0193",
            "student_id": "xiaoming",
            "event_type": "attendance.student_checked_out.v1",
            "channel": "in_app",
            "status": "delivered",
            "title": "小明已离校",
            "body": "小明 17:30 由妈妈在南门接走。",
            "urgent": False,
            "created_at": "2026-11-25T09:30:05Z",
        }
    )

    notification_id: str = Field(description="the notification's id")
    student_id: StudentId
    event_type: EventType
    channel: str = Field(description="NT-2: the channel it is shown on; `in_app` for the inbox")
    status: str = Field(description="where its delivery stands, e.g. `delivered`")
    title: str = Field(description="the title, in the recipient's language (NT-2)")
    body: str = Field(description="the text, in the recipient's language (NT-2)")
    urgent: bool = Field(default=False, description="NT-1/NT-2: an urgent alert (ignores quiet hours, falls back)")
    created_at: datetime = Field(description="when it was created (UTC)")


class NotificationPage(BaseModel):
    """Newest first; pass `next_before` as `before` for the next page."""

    model_config = examples(
        {
            "items": model_examples(NotificationPublic),
            "next_before": "2026-11-25T09:30:05Z",
        }
    )

    items: list[NotificationPublic] = Field(description="the page's notifications, newest first")
    next_before: datetime | None = Field(
        description="pass it as `before` for the next page (UTC); null on the last page"
    )


VIEW_FIELDS = ("notification_id", "student_id", "event_type", "channel", "status", "title", "body", "urgent")
"""A notification's columns as the app receives them, besides its instant."""


def public_view(notification: Notification | Mapping[str, Any]) -> dict[str, str | bool]:
    """A notification (stored, or its row about to be) as the guardian's app receives it."""
    if isinstance(notification, Mapping):  # a broadcast makes 10,000 of these from rows before any stream is told
        view = {name: notification[name] for name in VIEW_FIELDS}
        view["created_at"] = notification["created_at"].isoformat()
        return view
    view = {name: getattr(notification, name) for name in VIEW_FIELDS}
    view["created_at"] = notification.created_at.isoformat()
    return view
