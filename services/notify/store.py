"""Notify's declarative base, and the rows several slices write: a notification (the alerts and staff slices
put it in an inbox, the inbox marks it read), a delivery (queued by the alerts' handlers and the open stream,
sent by the dispatcher, replayed from the dead letters) and a webhook endpoint (a school's, or a district's
subscription; the dispatcher keeps its circuit). Each slice keeps its own tables in its own `store.py`."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, DateTime, Index, Integer, String, Text, UniqueConstraint, false
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from chassis.tables import ChassisTables


class Base(DeclarativeBase):
    """Notify's own tables."""


TABLES = ChassisTables(Base.metadata)


class Notification(Base):
    """One notification to one guardian about one event (NT-3: never two for the same pair)."""

    __tablename__ = "notifications"
    __table_args__ = (
        UniqueConstraint("event_id", "guardian_id", name="uq_notification_per_event_and_guardian"),
        Index("ix_notifications_guardian_created", "guardian_id", "created_at"),
    )

    notification_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    guardian_id: Mapped[str] = mapped_column(String(64))
    school_id: Mapped[str] = mapped_column(String(64))
    student_id: Mapped[str] = mapped_column(String(64))
    event_id: Mapped[str] = mapped_column(String(64))
    event_type: Mapped[str] = mapped_column(String(128))
    channel: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16))
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    urgent: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    read_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    # "guardian", or "staff" for a staff member's inbox (then `guardian_id` holds the staff id).
    audience: Mapped[str] = mapped_column(String(8), default="guardian", server_default="guardian")


class Delivery(Base):
    """One notification on one channel to one recipient: never two for the same event, recipient and channel
    (NT-3), whatever redelivers the event or replays the dead letter."""

    __tablename__ = "deliveries"
    __table_args__ = (
        UniqueConstraint("event_id", "recipient_id", "channel", name="uq_delivery_per_event_recipient_channel"),
        Index("ix_deliveries_due", "channel", "state", "next_attempt_at"),
        Index("ix_deliveries_notification", "notification_id"),
        Index("ix_deliveries_provider", "channel", "provider_id"),  # a provider's receipt names its own id
        Index("ix_deliveries_subject", "subject"),  # an erasure finds a subscriber's copies of a child's events
    )

    delivery_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    event_id: Mapped[str] = mapped_column(String(64))
    recipient_id: Mapped[str] = mapped_column(String(64))
    channel: Mapped[str] = mapped_column(String(16))
    school_id: Mapped[str] = mapped_column(String(64))
    notification_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    event_type: Mapped[str] = mapped_column(String(128))
    address: Mapped[str] = mapped_column(String(500))
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    language: Mapped[str] = mapped_column(String(2))
    urgent: Mapped[bool] = mapped_column(Boolean, default=False)
    state: Mapped[str] = mapped_column(String(16))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    replays: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    fallback: Mapped[list[list[str]]] = mapped_column(JSON)
    escalated: Mapped[bool] = mapped_column(Boolean, default=False)
    last_error: Mapped[str | None] = mapped_column(String(500), nullable=True)
    provider_id: Mapped[str | None] = mapped_column(String(128), nullable=True)
    subject: Mapped[str | None] = mapped_column(String(64), nullable=True, default=None)
    """A district subscriber's delivery: the entity its event is about (the envelope's `subject`)."""
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    delivered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    failed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    read_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class WebhookEndpoint(Base):
    """A school's own system that receives its notifications as signed webhooks (NT-2), or a district system
    subscribed to event types of some schools (BX-8: `district_id` set, `school_id` empty, `school_ids` chosen,
    all the district's if empty)."""

    __tablename__ = "webhook_endpoints"

    endpoint_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    school_id: Mapped[str] = mapped_column(String(64), index=True)
    url: Mapped[str] = mapped_column(String(500))
    secret: Mapped[str] = mapped_column(String(100))
    event_types: Mapped[list[str]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    district_id: Mapped[str | None] = mapped_column(String(64), nullable=True, index=True)
    school_ids: Mapped[list[str]] = mapped_column(JSON, default=list)
    # The circuit breaker: failures in a row, and until when nothing is sent to the endpoint.
    failures_in_a_row: Mapped[int] = mapped_column(Integer, default=0)
    open_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
