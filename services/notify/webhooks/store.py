"""The queries of a school's webhook endpoints."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.notify.store import WebhookEndpoint


async def endpoints_of_school(session: AsyncSession, *, school_id: str) -> list[WebhookEndpoint]:
    """The school's own endpoints."""
    rows = await session.execute(select(WebhookEndpoint).where(WebhookEndpoint.school_id == school_id))
    return list(rows.scalars())
