"""Finding the delivery a provider's receipt speaks of, locked for the change."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.notify.domain.channels import Channel
from services.notify.store import Delivery


async def sms_delivery(session: AsyncSession, *, delivery_id: str) -> Delivery | None:
    """The SMS delivery whose id the report carries back as `out_id`."""
    query = select(Delivery).where(Delivery.delivery_id == delivery_id, Delivery.channel == Channel.SMS)
    return (await session.execute(query.with_for_update())).scalar_one_or_none()


async def wechat_delivery(session: AsyncSession, *, msg_id: str) -> Delivery | None:
    """The WeChat delivery whose template message WeChat numbered `msg_id`."""
    query = select(Delivery).where(Delivery.channel == Channel.WECHAT, Delivery.provider_id == msg_id)
    return (await session.execute(query.with_for_update())).scalars().first()
