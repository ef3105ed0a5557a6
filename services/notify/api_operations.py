"""HTTP routes for a school's staff and district operators: dead letters and their replay (NT-3), and the
school's own webhook endpoints (NT-2)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query
from pydantic import AnyHttpUrl, BaseModel, Field
from sqlalchemy import select

from chassis.app import RuntimeDep
from chassis.auth import Principal, Role, require
from chassis.problems import NotFound
from services.notify import delivery_store, store
from services.notify.channels.webhook import new_secret

router = APIRouter(prefix="/notify/v1", tags=["operations"])

Operator = Annotated[Principal, require(Role.SCHOOL_ADMIN, Role.DISTRICT_OPERATOR)]
SchoolAdmin = Annotated[Principal, require(Role.SCHOOL_ADMIN)]
ChannelName = Literal["email", "sms", "wechat", "webhook"]


class DeadLetter(BaseModel):
    """A delivery that failed for good; an operator can replay it once the cause is fixed."""

    delivery_id: str
    school_id: str
    recipient_id: str
    channel: str
    event_type: str
    attempts: int
    replays: int
    last_error: str | None
    failed_at: datetime | None


class ReplayRequest(BaseModel):
    """Which dead letters to send again: the listed ones, or every one (of a channel)."""

    delivery_ids: list[str] | None = Field(default=None, max_length=1000)
    channel: ChannelName | None = None


class ReplayResult(BaseModel):
    """The deliveries queued again (a second replay of the same finds none)."""

    replayed: list[str]


def _scope(principal: Principal) -> str | None:
    """A school admin sees their school's; a district operator every school's."""
    return None if principal.role == Role.DISTRICT_OPERATOR else principal.school()


@router.get("/dead-letters", response_model=list[DeadLetter])
async def list_dead_letters(
    runtime: RuntimeDep,
    principal: Operator,
    channel: Annotated[ChannelName | None, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list[DeadLetter]:
    """Failed deliveries, newest first."""
    async with runtime.db.sessions() as session:
        rows = await delivery_store.dead_letters(session, school_id=_scope(principal), channel=channel, limit=limit)
    return [DeadLetter.model_validate(row, from_attributes=True) for row in rows]


@router.post("/dead-letters/replay", response_model=ReplayResult)
async def replay_dead_letters(runtime: RuntimeDep, principal: Operator, body: ReplayRequest) -> ReplayResult:
    """NT-3: queue failed deliveries again, each once; one already replayed or delivered is left alone."""
    async with runtime.uow() as uow:
        replayed = await delivery_store.replay(
            uow.session,
            now=uow.clock.now(),
            school_id=_scope(principal),
            delivery_ids=body.delivery_ids,
            channel=body.channel,
        )
        await uow.commit()
    return ReplayResult(replayed=replayed)


class EndpointIn(BaseModel):
    """A school's own system that wants its notifications as signed webhooks."""

    url: AnyHttpUrl
    event_types: list[str] = Field(default_factory=list, description="only these event types; all if empty")


class EndpointOut(BaseModel):
    """An endpoint; `secret` (whsec_…) is shown only when it is created."""

    endpoint_id: str
    url: str
    event_types: list[str]
    secret: str | None = None


@router.post("/webhooks", response_model=EndpointOut, status_code=201)
async def add_webhook(runtime: RuntimeDep, principal: SchoolAdmin, body: EndpointIn) -> EndpointOut:
    """Register an endpoint of the caller's school; the signing secret is returned this once."""
    endpoint = store.WebhookEndpoint(
        endpoint_id=str(uuid.uuid4()),
        school_id=principal.school(),
        url=str(body.url),
        secret=new_secret(),
        event_types=body.event_types,
        created_at=runtime.clock.now(),
        school_ids=[],
        failures_in_a_row=0,
    )
    async with runtime.uow() as uow:
        uow.session.add(endpoint)
        await uow.commit()
    return EndpointOut(
        endpoint_id=endpoint.endpoint_id, url=endpoint.url, event_types=endpoint.event_types, secret=endpoint.secret
    )


@router.get("/webhooks", response_model=list[EndpointOut])
async def list_webhooks(runtime: RuntimeDep, principal: SchoolAdmin) -> list[EndpointOut]:
    """The caller's school's endpoints, without their secrets."""
    async with runtime.db.sessions() as session:
        rows = await session.execute(
            select(store.WebhookEndpoint).where(store.WebhookEndpoint.school_id == principal.school())
        )
        return [EndpointOut(endpoint_id=e.endpoint_id, url=e.url, event_types=e.event_types) for e in rows.scalars()]


@router.delete("/webhooks/{endpoint_id}", status_code=204)
async def remove_webhook(
    runtime: RuntimeDep, principal: SchoolAdmin, endpoint_id: Annotated[str, Path(max_length=64)]
) -> None:
    """Stop sending to an endpoint of the caller's school (another school's is a 404)."""
    async with runtime.uow() as uow:
        endpoint = await uow.session.get(store.WebhookEndpoint, endpoint_id)
        if endpoint is None or endpoint.school_id != principal.school():
            raise NotFound("no such webhook endpoint")
        await uow.session.delete(endpoint)
        await uow.commit()
