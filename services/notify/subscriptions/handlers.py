"""BX-8: the open event stream. A district system subscribes to event types of some schools and receives each
such event, as its CloudEvents envelope, in a signed webhook; queued in the consumer's unit of work, sent by the
dispatcher like every other delivery (retries, circuit breaker, dead letters, exactly once per subscriber: NT-3)."""

from __future__ import annotations

import uuid

from chassis.auth import Principal
from chassis.consumer import Handler
from chassis.problems import Forbidden, NotFound
from chassis.uow import UnitOfWork
from contracts.enrollment import StudentErased
from contracts.envelope import Envelope, Event
from services.notify.adapters.webhook import new_secret
from services.notify.deliveries.handlers import delivery_id
from services.notify.domain.channels import Channel, DeliveryState
from services.notify.store import Delivery, WebhookEndpoint
from services.notify.subscriptions import store

ERASURE = StudentErased.type


async def to_subscribers(uow: UnitOfWork, _event: Event, envelope: Envelope) -> None:
    """Queue the event for every district subscription to its type and school; an erasure goes to every
    subscription of the school, since each may hold the child's data (PIPL)."""
    endpoints = await uow.read_once("district subscriptions", lambda: store.district_subscriptions(uow.session))
    now, body = uow.clock.now(), ""
    for endpoint in endpoints:
        if envelope.type not in endpoint.event_types and envelope.type != ERASURE:
            continue
        if endpoint.school_ids and envelope.schoolid not in endpoint.school_ids:
            continue
        body = body or envelope.to_bytes().decode()  # only for an event someone subscribed to (most are not)
        uow.session.add(
            Delivery(
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
                subject=envelope.subject[:64],
            )
        )
    await uow.flush()


def also_to_subscribers(handler: Handler) -> Handler:
    """The handler, then the event to its subscribers, in the same unit of work."""

    async def handle(uow: UnitOfWork, event: Event, envelope: Envelope) -> None:
        await handler(uow, event, envelope)
        await to_subscribers(uow, event, envelope)

    return handle


def subscribe(
    uow: UnitOfWork, *, district_id: str, url: str, event_types: list[str], school_ids: list[str]
) -> WebhookEndpoint:
    """A district system's subscription, with a new signing secret, added to the unit of work."""
    endpoint = WebhookEndpoint(
        endpoint_id=str(uuid.uuid4()),
        school_id="",
        district_id=district_id,
        school_ids=sorted(set(school_ids)),
        url=url,
        secret=new_secret(),
        event_types=sorted(set(event_types)),
        created_at=uow.clock.now(),
        failures_in_a_row=0,
    )
    uow.session.add(endpoint)
    return endpoint


async def unsubscribe(uow: UnitOfWork, principal: Principal, subscription_id: str) -> None:
    """End a subscription of the caller's district (another district's is a 404)."""
    endpoint = await uow.session.get(WebhookEndpoint, subscription_id)
    if endpoint is None or endpoint.district_id != district_of(principal):
        raise NotFound("no such subscription")
    await uow.session.delete(endpoint)


def district_of(principal: Principal) -> str:
    """The caller's district (403 for a token bound to none)."""
    if principal.district_id is None:
        raise Forbidden("this action needs a token bound to a district")
    return principal.district_id
