"""Applying a provider's receipt to its delivery, in one transaction each."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from chassis.uow import UnitOfWork
from services.notify.deliveries import handlers as deliveries
from services.notify.dispatch.handlers import SERVICE, fall_back
from services.notify.domain.channels import DeliveryState
from services.notify.domain.receipts import after_receipt
from services.notify.store import Delivery


class Applied(StrEnum):
    """What became of one receipt."""

    MOVED = "moved"  # the delivery is now delivered or failed
    UNCHANGED = "unchanged"  # already delivered, read or failed: a repeat or a late receipt
    IN_FLIGHT = "in_flight"  # the send is not recorded yet: the provider should push again later
    UNKNOWN = "unknown"  # no such delivery (erased, or not ours)


def apply(delivery: Delivery | None, *, delivered: bool, error: str, now: datetime) -> Applied:
    """Move the (locked) delivery as the receipt says; an urgent alert that failed falls back (NT-2)."""
    if delivery is None:
        return Applied.UNKNOWN
    current = DeliveryState(delivery.state)
    if current is DeliveryState.QUEUED:
        return Applied.IN_FLIGHT
    target = after_receipt(current, delivered=delivered)
    if target is None:
        return Applied.UNCHANGED
    delivery.state = target
    if target is DeliveryState.DELIVERED:
        delivery.delivered_at = now
    else:
        delivery.failed_at, delivery.last_error = now, f"receipt: {error}"[:500]
    return Applied.MOVED


async def record(uow: UnitOfWork, delivery: Delivery | None, *, delivered: bool, error: str) -> Applied:
    """Apply one receipt and count it; the caller commits."""
    now = uow.clock.now()
    applied = apply(delivery, delivered=delivered, error=error, now=now)
    if applied is Applied.MOVED and delivery is not None:
        if delivery.state == DeliveryState.FAILED:
            fall_back(uow.session, delivery, now)
        deliveries.NOTIFICATIONS.labels(SERVICE, delivery.channel, delivery.state).inc()
    return applied
