"""The queries of an inbox: a guardian's (or a staff member's) own notifications, newest first."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

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
