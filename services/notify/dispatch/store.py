"""Queries of the dispatcher: claim due deliveries, record outcomes, keep the webhook endpoints' circuits."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.notify import store
from services.notify.domain.channels import DeliveryState

Delivery = store.Delivery


async def any_due(session: AsyncSession, *, channel: str, now: datetime) -> bool:
    """Whether anything of `channel` is due by `now`: an idle tick's one indexed read, no transaction held."""
    query = select(Delivery.delivery_id).where(
        Delivery.channel == channel, Delivery.state == DeliveryState.QUEUED, Delivery.next_attempt_at <= now
    )
    return (await session.execute(query.limit(1))).first() is not None


async def lock_due(session: AsyncSession, *, channel: str, now: datetime, limit: int) -> list[Delivery]:
    """Lock up to `limit` queued deliveries of `channel` due by `now`; rows another replica holds are skipped."""
    rows = await session.execute(
        select(Delivery)
        .where(Delivery.channel == channel, Delivery.state == DeliveryState.QUEUED, Delivery.next_attempt_at <= now)
        .order_by(Delivery.next_attempt_at, Delivery.delivery_id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    return list(rows.scalars())


def claim(deliveries: list[Delivery], *, now: datetime, lease: timedelta) -> None:
    """Count the attempt and push the due time out by the lease, so a crashed sender's claim lapses. The last
    error is cleared while the attempt is in flight, so a queued row with an error is one waiting to retry."""
    for delivery in deliveries:
        delivery.attempts += 1
        delivery.next_attempt_at = now + lease
        delivery.last_error = None


async def endpoints(session: AsyncSession, endpoint_ids: set[str], *, lock: bool) -> dict[str, store.WebhookEndpoint]:
    """Webhook endpoints by id (locked for update if `lock`: their circuit is about to change)."""
    if not endpoint_ids:
        return {}
    query = select(store.WebhookEndpoint).where(store.WebhookEndpoint.endpoint_id.in_(sorted(endpoint_ids)))
    if lock:
        query = query.with_for_update()
    return {e.endpoint_id: e for e in (await session.execute(query)).scalars()}


async def resume_endpoint(session: AsyncSession, *, endpoint_id: str, now: datetime) -> None:
    """An endpoint back in service: what waited out its open circuit is due now."""
    await session.execute(
        update(Delivery)
        .where(
            Delivery.channel == "webhook",
            Delivery.recipient_id == endpoint_id,
            Delivery.state == DeliveryState.QUEUED,
            Delivery.next_attempt_at > now,
        )
        .values(next_attempt_at=now)
    )


async def lock_claimed(session: AsyncSession, *, delivery_id: str, attempts: int) -> Delivery | None:
    """The delivery as this sender claimed it, locked; None if a replay or another sender moved it on since."""
    row = await session.execute(
        select(Delivery)
        .where(
            Delivery.delivery_id == delivery_id,
            Delivery.state == DeliveryState.QUEUED,
            Delivery.attempts == attempts,
        )
        .with_for_update()
    )
    return row.scalar_one_or_none()


async def unanswered_urgent(session: AsyncSession, *, sent_before: datetime, limit: int) -> list[Delivery]:
    """Urgent deliveries sent but neither delivered nor read by `sent_before`, not escalated yet (NT-2)."""
    rows = await session.execute(
        select(Delivery)
        .where(
            Delivery.urgent.is_(True),
            Delivery.state == DeliveryState.SENT,
            Delivery.escalated.is_(False),
            Delivery.sent_at <= sent_before,
        )
        .order_by(Delivery.sent_at)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    return [d for d in rows.scalars() if d.fallback]
