"""Notify tables and keyword-only queries."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, DateTime, Index, Integer, String, Text, UniqueConstraint, false, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from chassis.tables import ChassisTables


class Base(DeclarativeBase):
    """Notify's own tables."""


TABLES = ChassisTables(Base.metadata)


class KnownStudent(Base):
    """A student's given name, so alerts can address the child (from `enrollment.student_enrolled`)."""

    __tablename__ = "known_students"

    student_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    school_id: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(100))
    grade: Mapped[int | None] = mapped_column(Integer, nullable=True)


class GuardianLink(Base):
    """Who is told about a child, and in which language (from `enrollment.guardian_linked`)."""

    __tablename__ = "guardian_links"

    student_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    guardian_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    school_id: Mapped[str] = mapped_column(String(64))
    relation: Mapped[str] = mapped_column(String(32))
    language: Mapped[str] = mapped_column(String(2))


class PickupPerson(Base):
    """An adult authorised to collect a child, with the relation the school recorded (from
    `enrollment.pickup_person_added`), so a check-out alert can say who collected the child (NT-1)."""

    __tablename__ = "pickup_persons"

    person_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    student_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    school_id: Mapped[str] = mapped_column(String(64))
    relation: Mapped[str] = mapped_column(String(32))


class RecentBroadcast(Base):
    """The last time each distinct emergency message was sent to a school, to merge repeats."""

    __tablename__ = "recent_broadcasts"

    school_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    key: Mapped[str] = mapped_column(String(32), primary_key=True)
    broadcast_id: Mapped[str] = mapped_column(String(64))
    sent_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    merged: Mapped[int] = mapped_column(Integer, default=0)


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


class GuardianPreference(Base):
    """A guardian's own channel order per category, language, addresses and quiet hours (NT-2)."""

    __tablename__ = "guardian_preferences"

    guardian_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    school_id: Mapped[str] = mapped_column(String(64))
    language: Mapped[str] = mapped_column(String(2))
    channels: Mapped[dict[str, list[str]]] = mapped_column(JSON)
    email: Mapped[str | None] = mapped_column(String(254), nullable=True)
    phone: Mapped[str | None] = mapped_column(String(32), nullable=True)
    wechat_openid: Mapped[str | None] = mapped_column(String(64), nullable=True)
    quiet_start: Mapped[str | None] = mapped_column(String(5), nullable=True)
    quiet_end: Mapped[str | None] = mapped_column(String(5), nullable=True)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class Delivery(Base):
    """One notification on one channel to one recipient: never two for the same event, recipient and channel
    (NT-3), whatever redelivers the event or replays the dead letter."""

    __tablename__ = "deliveries"
    __table_args__ = (
        UniqueConstraint("event_id", "recipient_id", "channel", name="uq_delivery_per_event_recipient_channel"),
        Index("ix_deliveries_due", "channel", "state", "next_attempt_at"),
        Index("ix_deliveries_notification", "notification_id"),
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


async def guardians_of(session: AsyncSession, *, student_id: str) -> list[GuardianLink]:
    """Everyone linked to the child."""
    rows = await session.execute(select(GuardianLink).where(GuardianLink.student_id == student_id))
    return list(rows.scalars())


async def notifications_for(
    session: AsyncSession,
    *,
    guardian_id: str,
    school_id: str,
    limit: int,
    before: datetime | None,
    audience: str = "guardian",
) -> list[Notification]:
    """A guardian's (or staff member's) newest notifications in their school, newest first, older than `before`."""
    query = select(Notification).where(
        Notification.guardian_id == guardian_id,
        Notification.school_id == school_id,
        Notification.audience == audience,
    )
    if before is not None:
        query = query.where(Notification.created_at < before)
    rows = await session.execute(
        query.order_by(Notification.created_at.desc(), Notification.notification_id).limit(limit)
    )
    return list(rows.scalars())


async def guardians_of_school(
    session: AsyncSession, *, school_id: str, grades: list[int]
) -> list[tuple[str, str, str]]:
    """(guardian id, language, one child's id) for every guardian of the school's children in `grades` (all if
    empty): one row per guardian, for school-wide broadcasts."""
    query = (
        select(GuardianLink.guardian_id, GuardianLink.language, GuardianLink.student_id)
        .join(KnownStudent, KnownStudent.student_id == GuardianLink.student_id)
        .where(GuardianLink.school_id == school_id)
    )
    if grades:
        query = query.where(KnownStudent.grade.in_(grades))
    first: dict[str, tuple[str, str, str]] = {}
    for guardian_id, language, student_id in await session.execute(query.order_by(GuardianLink.student_id)):
        first.setdefault(guardian_id, (guardian_id, language, student_id))
    return list(first.values())
