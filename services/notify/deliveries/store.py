"""Queries of deliveries outside the dispatcher: the dead letters and their replay (NT-3), and a notification
read in the app, which stops its urgent fall-back (NT-2)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.notify import store
from services.notify.domain.channels import DeliveryState

Delivery = store.Delivery


async def dead_letters(
    session: AsyncSession, *, school_id: str | None, channel: str | None, limit: int
) -> list[Delivery]:
    """Failed deliveries, newest first (a school's own, or every school's for a district operator)."""
    query = select(Delivery).where(Delivery.state == DeliveryState.FAILED)
    if school_id is not None:
        query = query.where(Delivery.school_id == school_id)
    if channel is not None:
        query = query.where(Delivery.channel == channel)
    rows = await session.execute(query.order_by(Delivery.failed_at.desc(), Delivery.delivery_id).limit(limit))
    return list(rows.scalars())


async def replay(
    session: AsyncSession, *, now: datetime, school_id: str | None, delivery_ids: list[str] | None, channel: str | None
) -> list[str]:
    """Queue failed deliveries again, once: only a delivery still failed moves, so a replay repeated (or raced
    by another operator) finds nothing to do, and a delivery that got through is never sent again (NT-3)."""
    statement = (
        update(Delivery)
        .where(Delivery.state == DeliveryState.FAILED)
        .values(
            state=DeliveryState.QUEUED,
            attempts=0,
            replays=Delivery.replays + 1,
            next_attempt_at=now,
            failed_at=None,
        )
        .returning(Delivery.delivery_id)
    )
    if school_id is not None:
        statement = statement.where(Delivery.school_id == school_id)
    if delivery_ids is not None:
        statement = statement.where(Delivery.delivery_id.in_(delivery_ids))
    if channel is not None:
        statement = statement.where(Delivery.channel == channel)
    return sorted(row[0] for row in await session.execute(statement))


async def mark_read(session: AsyncSession, *, notification_id: str, now: datetime) -> None:
    """A notification read in the app: every delivery of it that got out is read, which also stops the urgent
    fall-back (NT-2)."""
    await session.execute(
        update(Delivery)
        .where(
            Delivery.notification_id == notification_id,
            Delivery.state.in_([DeliveryState.SENT, DeliveryState.DELIVERED]),
        )
        .values(state=DeliveryState.READ, read_at=now)
    )
