"""Channels, categories and the states of one delivery (NT-2, NT-3)."""

from __future__ import annotations

from enum import StrEnum


class Channel(StrEnum):
    """Where a notification can go (NT-2)."""

    IN_APP = "in_app"
    EMAIL = "email"
    SMS = "sms"
    WECHAT = "wechat"
    WEBHOOK = "webhook"


EXTERNAL_CHANNELS = (Channel.WECHAT, Channel.SMS, Channel.EMAIL)
"""The channels a guardian may put in their order; in-app is always there (the inbox), webhooks are a school's."""


class Category(StrEnum):
    """What a notification is about; a guardian orders channels per category."""

    URGENT = "urgent"
    ATTENDANCE = "attendance"
    HOMEWORK = "homework"
    ENROLLMENT = "enrollment"
    FEES = "fees"


_FEE_TYPES = frozenset({"attendance.late_pickup_charged.v1", "stipend.family_statement_issued.v1"})


def category_of(event_type: str, *, urgent: bool) -> Category:
    """The category a guardian's preferences are looked up by: urgent first, then fees, then the producer."""
    if urgent:
        return Category.URGENT
    if event_type in _FEE_TYPES or ".fee" in event_type:
        return Category.FEES
    producer = event_type.split(".", 1)[0]
    if producer == "homework":
        return Category.HOMEWORK
    if producer == "enrollment":
        return Category.ENROLLMENT
    return Category.ATTENDANCE


class DeliveryState(StrEnum):
    """queued → sent → delivered | failed → read (NT-3). A failed delivery is a dead letter until replayed."""

    QUEUED = "queued"
    SENT = "sent"
    DELIVERED = "delivered"
    FAILED = "failed"
    READ = "read"


_NEXT: dict[DeliveryState, frozenset[DeliveryState]] = {
    DeliveryState.QUEUED: frozenset({DeliveryState.SENT, DeliveryState.DELIVERED, DeliveryState.FAILED}),
    DeliveryState.SENT: frozenset({DeliveryState.DELIVERED, DeliveryState.FAILED, DeliveryState.READ}),
    DeliveryState.DELIVERED: frozenset({DeliveryState.READ}),
    DeliveryState.FAILED: frozenset({DeliveryState.QUEUED}),  # an operator's replay
    DeliveryState.READ: frozenset(),
}


def can_move(current: DeliveryState, to: DeliveryState) -> bool:
    """Whether a delivery may go from `current` to `to`; nothing ever goes back to sending once it got through."""
    return to in _NEXT[current]
