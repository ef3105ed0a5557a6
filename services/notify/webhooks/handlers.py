"""The commands of a school's webhook endpoints (NT-2): register one (with its signing secret), remove one."""

from __future__ import annotations

import uuid

from chassis.auth import Principal
from chassis.problems import NotFound
from chassis.uow import UnitOfWork
from services.notify.adapters.webhook import new_secret
from services.notify.store import WebhookEndpoint


def add_endpoint(uow: UnitOfWork, principal: Principal, *, url: str, event_types: list[str]) -> WebhookEndpoint:
    """An endpoint of the caller's school, with a new signing secret, added to the unit of work."""
    endpoint = WebhookEndpoint(
        endpoint_id=str(uuid.uuid4()),
        school_id=principal.school(),
        url=url,
        secret=new_secret(),
        event_types=event_types,
        created_at=uow.clock.now(),
        school_ids=[],
        failures_in_a_row=0,
    )
    uow.session.add(endpoint)
    return endpoint


async def remove_endpoint(uow: UnitOfWork, principal: Principal, endpoint_id: str) -> None:
    """Stop sending to an endpoint of the caller's school (another school's is a 404)."""
    endpoint = await uow.session.get(WebhookEndpoint, endpoint_id)
    if endpoint is None or endpoint.school_id != principal.school():
        raise NotFound("no such webhook endpoint")
    await uow.session.delete(endpoint)
