"""HTTP routes for a school's staff and district operators: dead letters and their replay (NT-3)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from chassis.app import RuntimeDep
from chassis.auth import Principal, Role, require
from chassis.http import Body
from chassis.openapi import examples
from contracts.fields import SchoolId
from services.notify.deliveries import store
from services.notify.fields import EventType

router = APIRouter(prefix="/notify/v1", tags=["operations"])

AdminOrDistrictOperator = Annotated[Principal, require(Role.SCHOOL_ADMIN, Role.DISTRICT_OPERATOR)]
ChannelName = Literal["email", "sms", "wechat", "webhook"]


class DeadLetter(BaseModel):
    """A delivery that failed for good; an operator can replay it once the cause is fixed."""

    model_config = examples(
        {
            "delivery_id": "6b1f0c2e-3d4a-5b6c-8d7e-9f0a1b2c3d4e",
            "school_id": "shiyan",
            "recipient_id": "g-xiaoming-mama",
            "channel": "sms",
            "event_type": "attendance.student_checked_out.v1",
            "attempts": 6,
            "replays": 0,
            "last_error": "isv.MOBILE_NUMBER_ILLEGAL: the number is not a mobile number",
            "failed_at": "2026-11-25T09:42:10Z",
        }
    )

    delivery_id: str = Field(description="NT-3: the delivery's id, the same for an event, recipient and channel")
    school_id: SchoolId
    recipient_id: str = Field(
        description="the guardian's or staff member's id in enrollment, or a webhook endpoint's id"
    )
    channel: str = Field(description="NT-2: the channel that failed: email, sms, wechat or webhook")
    event_type: EventType
    attempts: int = Field(description="NT-3: the attempts made, back-off included, before it failed for good")
    replays: int = Field(description="how many times an operator has replayed it")
    last_error: str | None = Field(
        description="the last attempt's error, as the channel gave it; null if none was kept"
    )
    failed_at: datetime | None = Field(description="when it failed for good (UTC); null if not recorded")


class ReplayRequest(Body):
    """Which dead letters to send again: the listed ones, or every one (of a channel)."""

    model_config = examples({"delivery_ids": ["6b1f0c2e-3d4a-5b6c-8d7e-9f0a1b2c3d4e"]})

    delivery_ids: list[str] | None = Field(
        default=None, max_length=1000, description="the dead letters to replay (up to 1000); null for every one"
    )
    channel: ChannelName | None = Field(
        default=None, description="only the dead letters of this channel; null for every channel"
    )


class ReplayResult(BaseModel):
    """The deliveries queued again (a second replay of the same finds none)."""

    model_config = examples({"replayed": ["6b1f0c2e-3d4a-5b6c-8d7e-9f0a1b2c3d4e"]})

    replayed: list[str] = Field(description="NT-3: the ids of the deliveries queued again; empty when none was left")


def _scope(principal: Principal) -> str | None:
    """A school admin sees their school's; a district operator every school's."""
    return None if principal.role == Role.DISTRICT_OPERATOR else principal.school()


@router.get("/dead-letters", response_model=list[DeadLetter])
async def list_dead_letters(
    runtime: RuntimeDep,
    principal: AdminOrDistrictOperator,
    channel: Annotated[ChannelName | None, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list[DeadLetter]:
    """Failed deliveries, newest first."""
    async with runtime.db.sessions() as session:
        rows = await store.dead_letters(session, school_id=_scope(principal), channel=channel, limit=limit)
    return [DeadLetter.model_validate(row, from_attributes=True) for row in rows]


@router.post("/dead-letters/replay", response_model=ReplayResult)
async def replay_dead_letters(
    runtime: RuntimeDep, principal: AdminOrDistrictOperator, body: ReplayRequest
) -> ReplayResult:
    """NT-3: queue failed deliveries again, each once; one already replayed or delivered is left alone."""
    async with runtime.uow() as uow:
        replayed = await store.replay(
            uow.session,
            now=uow.clock.now(),
            school_id=_scope(principal),
            delivery_ids=body.delivery_ids,
            channel=body.channel,
        )
        await uow.commit()
    return ReplayResult(replayed=replayed)
