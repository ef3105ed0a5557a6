"""What a provider's receipt does to a delivery (issue 10): sent → delivered, or sent → failed (and an urgent alert
falls back to its next channel, NT-2). Receipts come late, twice or out of order; one that would move a delivery
backwards, or again, changes nothing."""

from __future__ import annotations

from services.notify.domain.channels import DeliveryState, can_move


def after_receipt(current: DeliveryState, *, delivered: bool) -> DeliveryState | None:
    """The delivery's next state, or None when the receipt changes nothing (already read, delivered or failed)."""
    target = DeliveryState.DELIVERED if delivered else DeliveryState.FAILED
    if current is not DeliveryState.SENT or not can_move(current, target):
        return None
    return target
