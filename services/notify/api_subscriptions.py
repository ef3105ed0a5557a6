"""HTTP routes of the open event stream (BX-8): a district's systems subscribe to event types and schools and
receive the events as signed webhooks."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Path
from pydantic import AnyHttpUrl, BaseModel, Field, field_validator
from sqlalchemy import select

from chassis.app import RuntimeDep
from chassis.auth import Principal, Role, require
from chassis.problems import Forbidden, NotFound
from contracts.registry import EVENT_TYPES
from services.notify import store
from services.notify.channels.webhook import new_secret

router = APIRouter(prefix="/notify/v1", tags=["open event stream"])

DistrictOperator = Annotated[Principal, require(Role.DISTRICT_OPERATOR)]


class SubscriptionIn(BaseModel):
    """Which event types of which schools a district system receives."""

    url: AnyHttpUrl
    event_types: list[str] = Field(
        min_length=1, max_length=200, description="published event types, e.g. attendance.student_checked_in.v1"
    )
    school_ids: list[str] = Field(default_factory=list, max_length=1000, description="all the district's if empty")

    @field_validator("event_types")
    @classmethod
    def _published(cls, value: list[str]) -> list[str]:
        unknown = sorted(set(value) - set(EVENT_TYPES))
        if unknown:
            raise ValueError(f"not published by any service: {', '.join(unknown)}")
        return value


class SubscriptionOut(BaseModel):
    """A subscription; `secret` (whsec_…) is shown only when it is created."""

    subscription_id: str
    url: str
    event_types: list[str]
    school_ids: list[str]
    secret: str | None = None


def _district(principal: Principal) -> str:
    if principal.district_id is None:
        raise Forbidden("this action needs a token bound to a district")
    return principal.district_id


@router.post("/subscriptions", response_model=SubscriptionOut, status_code=201)
async def subscribe(runtime: RuntimeDep, principal: DistrictOperator, body: SubscriptionIn) -> SubscriptionOut:
    """Subscribe a district system; its signing secret is returned this once."""
    endpoint = store.WebhookEndpoint(
        endpoint_id=str(uuid.uuid4()),
        school_id="",
        district_id=_district(principal),
        school_ids=sorted(set(body.school_ids)),
        url=str(body.url),
        secret=new_secret(),
        event_types=sorted(set(body.event_types)),
        created_at=runtime.clock.now(),
        failures_in_a_row=0,
    )
    async with runtime.uow() as uow:
        uow.session.add(endpoint)
        await uow.commit()
    return _out(endpoint, with_secret=True)


@router.get("/subscriptions", response_model=list[SubscriptionOut])
async def list_subscriptions(runtime: RuntimeDep, principal: DistrictOperator) -> list[SubscriptionOut]:
    """The caller's district's subscriptions, without their secrets."""
    async with runtime.db.sessions() as session:
        rows = await session.execute(
            select(store.WebhookEndpoint).where(store.WebhookEndpoint.district_id == _district(principal))
        )
        return [_out(e, with_secret=False) for e in rows.scalars()]


@router.delete("/subscriptions/{subscription_id}", status_code=204)
async def unsubscribe(
    runtime: RuntimeDep, principal: DistrictOperator, subscription_id: Annotated[str, Path(max_length=64)]
) -> None:
    """End a subscription of the caller's district (another district's is a 404)."""
    async with runtime.uow() as uow:
        endpoint = await uow.session.get(store.WebhookEndpoint, subscription_id)
        if endpoint is None or endpoint.district_id != _district(principal):
            raise NotFound("no such subscription")
        await uow.session.delete(endpoint)
        await uow.commit()


def _out(endpoint: store.WebhookEndpoint, *, with_secret: bool) -> SubscriptionOut:
    return SubscriptionOut(
        subscription_id=endpoint.endpoint_id,
        url=endpoint.url,
        event_types=endpoint.event_types,
        school_ids=endpoint.school_ids,
        secret=endpoint.secret if with_secret else None,
    )
