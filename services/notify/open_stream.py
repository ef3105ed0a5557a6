"""BX-8: the open event stream. A district system subscribes to event types of some schools and receives each
such event, as its CloudEvents envelope, in a signed webhook; queued in the consumer's unit of work, sent by the
dispatcher like every other delivery (retries, circuit breaker, dead letters, exactly once per subscriber: NT-3)."""

from __future__ import annotations

from sqlalchemy import select

from chassis.consumer import Handler
from chassis.uow import UnitOfWork
from contracts.envelope import Envelope, Event
from services.notify import store
from services.notify.domain.channels import Channel, DeliveryState
from services.notify.queueing import delivery_id


async def to_subscribers(uow: UnitOfWork, _event: Event, envelope: Envelope) -> None:
    """Queue the event for every district subscription to its type and school."""
    rows = await uow.session.execute(
        select(store.WebhookEndpoint).where(store.WebhookEndpoint.district_id.is_not(None))
    )
    now = uow.clock.now()
    body = envelope.to_bytes().decode()
    for endpoint in rows.scalars():
        if envelope.type not in endpoint.event_types:
            continue
        if endpoint.school_ids and envelope.schoolid not in endpoint.school_ids:
            continue
        uow.session.add(
            store.Delivery(
                delivery_id=delivery_id(envelope.id, endpoint.endpoint_id, Channel.WEBHOOK),
                event_id=envelope.id,
                recipient_id=endpoint.endpoint_id,
                channel=str(Channel.WEBHOOK),
                school_id=envelope.schoolid,
                notification_id=None,
                event_type=envelope.type,
                address=endpoint.url,
                title=envelope.type,
                body=body,
                language="zh",
                urgent=False,
                state=str(DeliveryState.QUEUED),
                attempts=0,
                replays=0,
                next_attempt_at=now,
                fallback=[],
                escalated=False,
                created_at=now,
            )
        )
    await uow.session.flush()


def also_to_subscribers(handler: Handler) -> Handler:
    """The handler, then the event to its subscribers, in the same unit of work."""

    async def handle(uow: UnitOfWork, event: Event, envelope: Envelope) -> None:
        await handler(uow, event, envelope)
        await to_subscribers(uow, event, envelope)

    return handle
