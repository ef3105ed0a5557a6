"""Deliveries queued inside the consumer's unit of work, beside the notification they carry (NT-2, NT-3).

Nothing is sent here: the dispatcher sends after commit. The delivery id is derived from (event, recipient,
channel), and that triple is unique, so a redelivered event can never queue a second delivery.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

import orjson
from prometheus_client import Counter
from sqlalchemy import select

from chassis.uow import UnitOfWork
from contracts.envelope import Envelope
from services.notify import store
from services.notify.domain.channels import Channel, DeliveryState, category_of
from services.notify.domain.messages import Language, Message
from services.notify.domain.quiet_hours import send_at
from services.notify.domain.routing import route
from services.notify.preferences.store import GuardianPreference, as_preferences

NOTIFICATIONS = Counter(
    "afterschool_notifications", "Notifications created, by channel and status", ["service", "channel", "status"]
)


def delivery_id(event_id: str, recipient_id: str, channel: str) -> str:
    """The same id for the same event, recipient and channel, on every redelivery (and the webhook-id)."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"afterschool-notify/{event_id}/{recipient_id}/{channel}"))


def queue_for_guardian(
    uow: UnitOfWork,
    notification: store.Notification,
    preference: GuardianPreference | None,
    message: Message,
    language: Language,
) -> None:
    """The notification's deliveries (`guardian_deliveries`), added to the unit of work."""
    row = {column: getattr(notification, column) for column in NOTIFICATION_KEYS}
    for delivery in guardian_deliveries(row, preference, message, language, uow.clock.now()):
        uow.session.add(store.Delivery(**delivery))


NOTIFICATION_KEYS = ("event_id", "guardian_id", "school_id", "notification_id", "event_type")
"""What a notification's deliveries copy from it."""


def guardian_deliveries(
    notification: Mapping[str, Any],
    preference: GuardianPreference | None,
    message: Message,
    language: Language,
    now: datetime,
) -> list[dict[str, Any]]:
    """The rows of a notification's deliveries: in-app (delivered: the inbox row is there) and the first outside
    channel of the guardian's order for this category, held back by quiet hours unless urgent; the rest of the
    order is its fall-back (NT-2). Plain rows, so a whole school's broadcast is one multi-row insert."""
    common = {
        "event_id": notification["event_id"],
        "recipient_id": notification["guardian_id"],
        "school_id": notification["school_id"],
        "notification_id": notification["notification_id"],
        "event_type": notification["event_type"],
        "title": message.title,
        "body": message.body,
        "language": language,
        "urgent": message.urgent,
        "created_at": now,
    }
    rows = [
        delivery_row(common, Channel.IN_APP, common["recipient_id"], DeliveryState.DELIVERED, now, delivered_at=now)
    ]
    if preference is None:
        return rows
    preferences = as_preferences(preference)
    targets = route(preferences, category_of(str(notification["event_type"]), urgent=message.urgent))
    if not targets:
        return rows
    (channel, address), rest = targets[0], targets[1:]
    due = send_at(now, preferences.quiet, urgent=message.urgent)
    rows.append(delivery_row(common, channel, address, DeliveryState.QUEUED, due, fallback=rest))
    return rows


async def webhooks_of(uow: UnitOfWork, school_ids: Iterable[str]) -> dict[str, list[store.WebhookEndpoint]]:
    """Each school's own webhook endpoints, read once a transaction: the batch prefetch asks for all of a batch's
    schools in one statement, so a batch spread over 1,000 schools is not a read an event (issue 13's tenancy)."""

    async def read(schools: list[str]) -> dict[str, list[store.WebhookEndpoint]]:
        found: dict[str, list[store.WebhookEndpoint]] = {school: [] for school in schools}
        rows = await uow.session.execute(
            select(store.WebhookEndpoint).where(store.WebhookEndpoint.school_id.in_(schools))
        )
        for endpoint in rows.scalars():
            found[endpoint.school_id].append(endpoint)
        return found

    known = await uow.read_many("webhooks of school", school_ids, read)
    return {school: endpoints or [] for school, endpoints in known.items()}


async def queue_webhooks(
    uow: UnitOfWork, *, school_id: str, student_id: str, envelope: Envelope, message: Message
) -> None:
    """One signed webhook per endpoint of the school that wants this event type (NT-2)."""
    endpoints = (await webhooks_of(uow, [school_id]))[school_id]
    now = uow.clock.now()
    for endpoint in endpoints:
        if endpoint.event_types and envelope.type not in endpoint.event_types:
            continue
        body = orjson.dumps(
            {
                "type": envelope.type,
                "timestamp": envelope.time.isoformat(),
                "data": {
                    "event_id": envelope.id,
                    "school_id": school_id,
                    "student_id": student_id,
                    "title": message.title,
                    "body": message.body,
                    "urgent": message.urgent,
                },
            }
        ).decode()
        common = {
            "event_id": envelope.id,
            "recipient_id": endpoint.endpoint_id,
            "school_id": school_id,
            "notification_id": None,
            "event_type": envelope.type,
            "title": message.title,
            "body": body,
            "language": "zh",
            "urgent": message.urgent,
            "created_at": now,
        }
        uow.session.add(
            store.Delivery(**delivery_row(common, Channel.WEBHOOK, endpoint.url, DeliveryState.QUEUED, now))
        )


def delivery_row(
    common: Mapping[str, object],
    channel: Channel,
    address: str,
    state: DeliveryState,
    due: object,
    *,
    fallback: list[tuple[Channel, str]] | None = None,
    delivered_at: object = None,
) -> dict[str, Any]:
    """A delivery's row of `common`'s columns on `channel` (its id derived from event, recipient and channel), every
    column named (rows of one multi-row insert must share their keys)."""
    return {
        "delivery_id": delivery_id(str(common["event_id"]), str(common["recipient_id"]), channel),
        "channel": str(channel),
        "address": address,
        "state": str(state),
        "attempts": 0,
        "replays": 0,
        "next_attempt_at": due,
        "fallback": [[str(c), a] for c, a in fallback or []],
        "escalated": False,
        "delivered_at": delivered_at,
        **common,
    }
