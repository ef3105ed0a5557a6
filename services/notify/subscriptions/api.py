"""HTTP routes of the open event stream (BX-8): a district's systems subscribe to event types and schools and
receive the events as signed webhooks."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import AnyHttpUrl, BaseModel, Field, field_validator

from chassis.app import RuntimeDep
from chassis.http import Body, DistrictOperator
from chassis.openapi import examples
from chassis.records import from_fields
from contracts.registry import EVENT_TYPES
from services.notify.fields import URL, PathId, Secret, Url
from services.notify.store import WebhookEndpoint
from services.notify.subscriptions import handlers, store

router = APIRouter(prefix="/notify/v1", tags=["open event stream"])


class SubscriptionIn(Body):
    """Which event types of which schools a district system receives."""

    model_config = examples(
        {
            "url": "https://data.haidian.example.cn/afterschool/events",
            "event_types": ["attendance.student_checked_in.v1", "attendance.student_checked_out.v1"],
            "school_ids": ["shiyan"],
        }
    )

    url: AnyHttpUrl = Field(description=URL)
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

    model_config = examples(
        {
            "subscription_id": "sub-haidian-1",
            "url": "https://data.haidian.example.cn/afterschool/events",
            "event_types": ["attendance.student_checked_in.v1", "attendance.student_checked_out.v1"],
            "school_ids": ["shiyan"],
            "secret": "whsec_3pVt7QeW1nHsY5cXk9Ruz0Jd",
        }
    )

    subscription_id: str = Field(description="the subscription's id")
    url: Url
    event_types: list[str] = Field(description="the published event types it receives")
    school_ids: list[str] = Field(description="the district's schools it receives events of; every one when empty")
    secret: Secret = None


@router.post("/subscriptions", response_model=SubscriptionOut, status_code=201)
async def subscribe(runtime: RuntimeDep, principal: DistrictOperator, body: SubscriptionIn) -> SubscriptionOut:
    """Subscribe a district system; its signing secret is returned this once."""
    async with runtime.uow() as uow:
        endpoint = handlers.subscribe(
            uow,
            district_id=handlers.district_of(principal),
            url=str(body.url),
            event_types=body.event_types,
            school_ids=body.school_ids,
        )
        await uow.commit()
    return _out(endpoint, with_secret=True)


@router.get("/subscriptions", response_model=list[SubscriptionOut])
async def list_subscriptions(runtime: RuntimeDep, principal: DistrictOperator) -> list[SubscriptionOut]:
    """The caller's district's subscriptions, without their secrets."""
    async with runtime.db.sessions() as session:
        rows = await store.subscriptions_of_district(session, district_id=handlers.district_of(principal))
        return [_out(e, with_secret=False) for e in rows]


@router.delete("/subscriptions/{subscription_id}", status_code=204)
async def unsubscribe(runtime: RuntimeDep, principal: DistrictOperator, subscription_id: PathId) -> None:
    """End a subscription of the caller's district (another district's is a 404)."""
    async with runtime.uow() as uow:
        await handlers.unsubscribe(uow, principal, subscription_id)
        await uow.commit()


def _out(endpoint: WebhookEndpoint, *, with_secret: bool) -> SubscriptionOut:
    secret = endpoint.secret if with_secret else None
    return from_fields(SubscriptionOut, endpoint, subscription_id=endpoint.endpoint_id, secret=secret)
