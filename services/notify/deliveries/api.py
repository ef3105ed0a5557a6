"""HTTP routes for a school's staff and district operators: dead letters and their replay (NT-3)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from chassis.app import RuntimeDep
from chassis.auth import Principal, Role, require
from chassis.http import Body
from services.notify.deliveries import store

router = APIRouter(prefix="/notify/v1", tags=["operations"])

AdminOrDistrictOperator = Annotated[Principal, require(Role.SCHOOL_ADMIN, Role.DISTRICT_OPERATOR)]
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


class ReplayRequest(Body):
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
