"""The queries of an inbox: a guardian's (or a staff member's) own notifications, newest first."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from chassis.pagination import keyset_after
from services.notify.store import Notification


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


async def notifications_page(
    session: AsyncSession,
    *,
    recipient_id: str,
    school_id: str,
    after: tuple[datetime, str] | None,
    limit: int,
    audience: str = "guardian",
) -> list[Notification]:
    """Up to `limit` of a person's notifications in their school, newest first by (created_at, id), after the key;
    the id breaks ties, so notifications stored in the same instant are neither skipped nor repeated."""
    order = (Notification.created_at, Notification.notification_id)
    query = select(Notification).where(
        Notification.guardian_id == recipient_id,
        Notification.school_id == school_id,
        Notification.audience == audience,
        keyset_after(order, after, descending=True),
    )
    rows = await session.execute(query.order_by(*(column.desc() for column in order)).limit(limit))
    return list(rows.scalars())


async def notifications_since(
    session: AsyncSession, *, recipient_id: str, school_id: str, audience: str, after: tuple[datetime, str], limit: int
) -> list[Notification]:
    """Up to `limit` of a person's notifications in their school after the (created_at, id) key, oldest first: the
    backlog a resumed live stream sends before the live ones."""
    order = (Notification.created_at, Notification.notification_id)
    query = select(Notification).where(
        Notification.guardian_id == recipient_id,
        Notification.school_id == school_id,
        Notification.audience == audience,
        keyset_after(order, after),
    )
    rows = await session.execute(query.order_by(*order).limit(limit))
    return list(rows.scalars())
