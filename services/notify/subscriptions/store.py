"""The queries of the open event stream's subscriptions (BX-8)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.notify.store import WebhookEndpoint


async def district_subscriptions(session: AsyncSession) -> list[WebhookEndpoint]:
    """Every district's subscriptions (a school's own endpoints are not subscriptions)."""
    rows = await session.execute(select(WebhookEndpoint).where(WebhookEndpoint.district_id.is_not(None)))
    return list(rows.scalars())


async def subscriptions_of_district(session: AsyncSession, *, district_id: str) -> list[WebhookEndpoint]:
    """One district's subscriptions."""
    rows = await session.execute(select(WebhookEndpoint).where(WebhookEndpoint.district_id == district_id))
    return list(rows.scalars())
