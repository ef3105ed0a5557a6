"""HTTP routes of a school's own webhook endpoints (NT-2): its systems receive its notifications, signed."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import AnyHttpUrl, BaseModel, Field

from chassis.app import RuntimeDep
from chassis.http import Body, SchoolAdmin
from chassis.openapi import examples
from chassis.records import from_fields
from services.notify.fields import URL, EventTypes, PathId, Secret, Url
from services.notify.webhooks import handlers, store

router = APIRouter(prefix="/notify/v1", tags=["operations"])


class EndpointIn(Body):
    """A school's own system that wants its notifications as signed webhooks."""

    model_config = examples(
        {
            "url": "https://jxt.shiyan.example.cn/hooks/afterschool",
            "event_types": ["attendance.student_checked_out.v1"],
        }
    )

    url: AnyHttpUrl = Field(description=URL)
    event_types: list[str] = Field(default_factory=list, description="only these event types; all if empty")


class EndpointOut(BaseModel):
    """An endpoint; `secret` (whsec_…) is shown only when it is created."""

    model_config = examples(
        {
            "endpoint_id": "ep-shiyan-1",
            "url": "https://jxt.shiyan.example.cn/hooks/afterschool",
            "event_types": ["attendance.student_checked_out.v1"],
            "secret": "whsec_MfKQ9r8GKYqXz2LbJ0aN4wVd",
        }
    )

    endpoint_id: str = Field(description="the endpoint's id")
    url: Url
    event_types: EventTypes
    secret: Secret = None


@router.post("/webhooks", response_model=EndpointOut, status_code=201)
async def add_webhook(runtime: RuntimeDep, principal: SchoolAdmin, body: EndpointIn) -> EndpointOut:
    """Register an endpoint of the caller's school; the signing secret is returned this once."""
    async with runtime.uow() as uow:
        endpoint = handlers.add_endpoint(uow, principal, url=str(body.url), event_types=body.event_types)
        await uow.commit()
    return from_fields(EndpointOut, endpoint)


@router.get("/webhooks", response_model=list[EndpointOut])
async def list_webhooks(runtime: RuntimeDep, principal: SchoolAdmin) -> list[EndpointOut]:
    """The caller's school's endpoints, without their secrets."""
    async with runtime.db.sessions() as session:
        rows = await store.endpoints_of_school(session, school_id=principal.school())
        return [from_fields(EndpointOut, e, secret=None) for e in rows]


@router.delete("/webhooks/{endpoint_id}", status_code=204)
async def remove_webhook(runtime: RuntimeDep, principal: SchoolAdmin, endpoint_id: PathId) -> None:
    """Stop sending to an endpoint of the caller's school (another school's is a 404)."""
    async with runtime.uow() as uow:
        await handlers.remove_endpoint(uow, principal, endpoint_id)
        await uow.commit()
