"""Emergency early-dismissal routes under `/attendance/v1` (AT-7, BX-7)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import AwareDatetime, BaseModel, Field

from chassis.app import RuntimeDep
from chassis.auth import Principal, Role, require
from chassis.http import Body, Paging
from chassis.idempotency import IDEMPOTENT, respond_once
from chassis.openapi import examples
from chassis.pagination import Page, page_of
from chassis.records import from_fields
from chassis.uow import UnitOfWork
from contracts.attendance.emergency import EmergencyReason
from contracts.fields import SchoolDay, SchoolId
from services.attendance.dismissal.api import StaffButSubjectTeacher
from services.attendance.emergency import handlers, store
from services.attendance.settings import AttendanceSettings

router = APIRouter(prefix="/attendance/v1", tags=["emergency"])

AdminOrDutyLeader = Annotated[Principal, require(Role.SCHOOL_ADMIN, Role.DUTY_LEADER)]
GRADES = "AT-7: the grades dismissed early; empty = the whole school"
DRILL = "BX-7: a practice: announced as a drill, no dismissal time changes"
REASON = "AT-7: bad weather (恶劣天气), an emergency (突发事件) or another reason"
NOTE = "a short message for guardians; no personal data; null when none"


class BroadcastCreate(Body):
    """An early dismissal for the whole school (no grades) or some grades; `drill` for practice (BX-7)."""

    model_config = examples(
        {
            "grades": [],
            "drill": False,
            "reason": "weather",
            "dismiss_at": "2026-11-25T15:30:00+08:00",
            "note": "暴雨红色预警，今日托管提前至15:30结束，请家长按时接孩子",
        }
    )

    grades: list[Annotated[int, Field(ge=1, le=12)]] = Field(default_factory=list, max_length=12, description=GRADES)
    drill: bool = Field(default=False, description=DRILL)
    reason: EmergencyReason = Field(description=REASON)
    dismiss_at: AwareDatetime = Field(description="when the covered children are dismissed, with its UTC offset")
    note: Annotated[Annotated[str, Field(min_length=1, max_length=500)] | None, Field(description=NOTE)] = None


class BroadcastPublic(BaseModel):
    """A stored broadcast."""

    model_config = examples(
        {
            "broadcast_id": "1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d",
            "school_id": "shiyan",
            "day": "2026-11-25",
            "grades": [],
            "drill": False,
            "reason": "weather",
            "note": "暴雨红色预警，今日托管提前至15:30结束，请家长按时接孩子",
            "dismiss_at": "2026-11-25T07:30:00Z",
            "issued_by": "wang",
            "issued_at": "2026-11-25T05:10:00Z",
            "cleared_by": None,
            "cleared_at": None,
        }
    )

    broadcast_id: str = Field(description="the broadcast's id, given by the server")
    school_id: SchoolId
    day: SchoolDay
    grades: list[int] = Field(description=GRADES)
    drill: bool = Field(description=DRILL)
    reason: EmergencyReason = Field(description=REASON)
    note: str | None = Field(description=NOTE)
    dismiss_at: datetime = Field(description="when the covered children are dismissed (UTC)")
    issued_by: str = Field(description="the school admin or duty leader who sent it (staff id)")
    issued_at: datetime = Field(description="when it was sent (UTC)")
    cleared_by: str | None = Field(description="BX-7: who gave the all-clear (staff id); null until then")
    cleared_at: datetime | None = Field(description="BX-7: when the all-clear was given (UTC); null until then")


def _public(row: store.Broadcast) -> dict[str, Any]:
    return BroadcastPublic.model_validate(row, from_attributes=True).model_dump(mode="json")


@router.post(
    "/emergency/broadcasts",
    status_code=201,
    response_model=BroadcastPublic,
    responses={429: {"description": "this school's role has sent its broadcasts for the window: see `Retry-After`"}},
    dependencies=[IDEMPOTENT],
)
async def post_broadcast(
    body: BroadcastCreate, request: Request, runtime: RuntimeDep, principal: AdminOrDutyLeader
) -> JSONResponse:
    """AT-7: broadcast an early dismissal (notify tells every guardian concerned); a drill says so (BX-7). At most
    `broadcast_limit` per school and role in `broadcast_limit_window_seconds`, else 429 with `Retry-After`."""
    command = from_fields(
        handlers.Broadcast, body, school_id=principal.school(), issued_by=f"{principal.role}:{principal.subject}"
    )

    limit = runtime.settings_as(AttendanceSettings).broadcast_rate()

    async def act(uow: UnitOfWork) -> tuple[int, Any]:
        row = await handlers.broadcast(uow, command)
        # Once the broadcast is valid and before it commits: a refused one rolls back whole (nothing recorded, no
        # event), and neither a refused nor an invalid one takes a place; an idempotent replay never gets here.
        await runtime.limiter.check(f"broadcast:{command.school_id}:{principal.role}", limit, "emergency broadcasts")
        return 201, _public(row)

    return await respond_once(runtime, request, principal, body.model_dump(mode="json"), act)


@router.post(
    "/emergency/broadcasts/{broadcast_id}/all-clear", response_model=BroadcastPublic, dependencies=[IDEMPOTENT]
)
async def post_all_clear(
    broadcast_id: str, request: Request, runtime: RuntimeDep, principal: AdminOrDutyLeader
) -> JSONResponse:
    """BX-7: the emergency (or drill) is over."""

    async def act(uow: UnitOfWork) -> tuple[int, Any]:
        row = await handlers.all_clear(
            uow, school_id=principal.school(), broadcast_id=broadcast_id, by=f"{principal.role}:{principal.subject}"
        )
        return 200, _public(row)

    return await respond_once(runtime, request, principal, {"broadcast_id": broadcast_id}, act)


@router.get("/emergency/broadcasts", response_model=Page[BroadcastPublic])
async def list_broadcasts(
    runtime: RuntimeDep, principal: StaffButSubjectTeacher, page: Paging
) -> Page[BroadcastPublic]:
    """The school's broadcasts, by id."""
    async with runtime.db.sessions() as session:
        rows = await store.list_broadcasts(
            session, school_id=principal.school(), after=page.after_value(str), limit=page.limit
        )
    return page_of(
        [BroadcastPublic.model_validate(r, from_attributes=True) for r in rows], page, lambda b: b.broadcast_id
    )
