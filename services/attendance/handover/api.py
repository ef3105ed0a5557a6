"""Handover routes under `/attendance/v1` (AT-1, BX-3)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from pydantic.config import JsonDict
from sqlalchemy.ext.asyncio import AsyncSession

from chassis.app import RuntimeDep
from chassis.auth import Principal, Role, require
from chassis.http import Body, ClassTeacher, Id, Paging, ServiceTeacher
from chassis.idempotency import IDEMPOTENT, respond_once
from chassis.openapi import examples
from chassis.pagination import Page, page_of, page_of_rows
from chassis.problems import Forbidden, NotFound
from chassis.records import from_fields
from chassis.uow import UnitOfWork
from contracts.fields import CLASS, ClassId, SchoolDay, SchoolId, SessionId
from services.attendance.fields import Decided, Decider
from services.attendance.handover import handlers, store
from services.attendance.reference import store as ref
from services.attendance.sessions.store import session_of

router = APIRouter(prefix="/attendance/v1", tags=["handover"])

Count = Annotated[int, Field(ge=0, le=500)]
HandoverId = Annotated[
    str, Field(description="the handover's id, `<session_id>:<class_id>`: one per class per session")
]
DISCREPANCY: JsonDict = {
    "discrepancy_id": "homework-g3:2026-11-25:g3c1:given",
    "handover_id": "homework-g3:2026-11-25:g3c1",
    "school_id": "shiyan",
    "session_id": "homework-g3:2026-11-25",
    "class_id": "g3c1",
    "day": "2026-11-25",
    "stage": "given",
    "expected": 28,
    "counted": 27,
    "missing_student_ids": [],
    "opened_at": "2026-11-25T07:25:00Z",
    "resolved_by": "zhang",
    "resolved_at": "2026-11-25T07:31:00Z",
    "note": "小明在医务室，已找到并送到托管教室",
}

StaffButSubjectTeacher = Annotated[
    Principal, require(Role.CLASS_TEACHER, Role.SERVICE_TEACHER, Role.SCHOOL_ADMIN, Role.DUTY_LEADER)
]


class HandoverCreate(Body):
    """AT-1: the class teacher's count of the staying children (and, optionally, who they are)."""

    model_config = examples({"class_id": "g3c1", "count": 27, "student_ids": None})

    class_id: Annotated[Id, Field(description=CLASS)]
    count: Count = Field(description="AT-1: the children the class teacher counted and hands over")
    student_ids: list[Id] | None = Field(
        default=None, max_length=500, description="the children handed over, by id; null when only counted"
    )


class Acknowledgement(Body):
    """BX-3: the service teacher's own count."""

    model_config = examples({"count": 27})

    count: Count = Field(description="BX-3: the children the service teacher counted on receiving them")


class Resolution(Body):
    """How the discrepancy was resolved on the spot."""

    model_config = examples({"note": "小明在医务室，已找到并送到托管教室"})

    note: Annotated[str, Field(min_length=1, max_length=500, description="what was done, e.g. where the child was")]


class DiscrepancyStatus(StrEnum):
    """Which discrepancies to list."""

    OPEN = "open"
    RESOLVED = "resolved"
    ALL = "all"


class DiscrepancyPublic(BaseModel):
    """A handover discrepancy: the counts that differ, and its resolution."""

    model_config = examples(DISCREPANCY)

    discrepancy_id: str = Field(description="the discrepancy's id: its handover's id and its stage")
    handover_id: HandoverId
    school_id: SchoolId
    session_id: SessionId
    class_id: ClassId
    day: SchoolDay
    stage: str = Field(
        description="which counts differ: `given` (class teacher against expected, AT-1) or `acknowledged` (BX-3)"
    )
    expected: int = Field(description="the count expected at that stage")
    counted: int = Field(description="the count given at that stage")
    missing_student_ids: list[str] = Field(description="the children missing, when the class teacher named them")
    opened_at: datetime = Field(description="when the counts were found to differ (UTC)")
    resolved_by: Decider
    resolved_at: Decided
    note: str | None = Field(description="how it was resolved on the spot; null while open")


class HandoverPublic(BaseModel):
    """A handover with both confirmations (who, when, how many) and its discrepancies."""

    model_config = examples(
        {
            "handover_id": "homework-g3:2026-11-25:g3c1",
            "school_id": "shiyan",
            "session_id": "homework-g3:2026-11-25",
            "class_id": "g3c1",
            "day": "2026-11-25",
            "given_by": "zhang",
            "given_at": "2026-11-25T07:25:00Z",
            "count": 27,
            "expected_count": 28,
            "on_leave_student_ids": ["xiaohong"],
            "student_ids": None,
            "acknowledged_by": "li",
            "acknowledged_at": "2026-11-25T07:28:00Z",
            "acknowledged_count": 27,
            "escalation_step": 0,
            "discrepancies": [DISCREPANCY],
        }
    )

    handover_id: HandoverId
    school_id: SchoolId
    session_id: SessionId
    class_id: ClassId
    day: SchoolDay
    given_by: str = Field(description="the class teacher's staff id")
    given_at: datetime = Field(description="when the class teacher handed over (UTC)")
    count: int = Field(description="AT-1: the children the class teacher handed over")
    expected_count: int = Field(description="the class's children expected in the session, less those on leave")
    on_leave_student_ids: list[str] = Field(description="AT-1: the children on leave, whose notes go along")
    student_ids: list[str] | None = Field(description="the children handed over, when named; null when only counted")
    acknowledged_by: str | None = Field(description="BX-3: the service teacher who accepted; null until accepted")
    acknowledged_at: datetime | None = Field(description="when the children were accepted (UTC); null until then")
    acknowledged_count: int | None = Field(description="BX-3: the service teacher's own count; null until accepted")
    escalation_step: int = Field(
        description="BX-3: 0 while nobody need be called; then 1 service teacher, 2 duty leader, 3 school admin"
    )
    discrepancies: list[DiscrepancyPublic] = Field(
        default_factory=list, description="the counts that differed, resolved or not"
    )


async def _public(session: AsyncSession, row: store.Handover) -> HandoverPublic:
    found = await store.discrepancies_of(session, handover_id=row.handover_id)
    public = HandoverPublic.model_validate(row, from_attributes=True)
    return public.model_copy(
        update={"discrepancies": [DiscrepancyPublic.model_validate(d, from_attributes=True) for d in found]}
    )


@router.post(
    "/sessions/{session_id}/handovers", status_code=201, response_model=HandoverPublic, dependencies=[IDEMPOTENT]
)
async def give_handover(
    session_id: str, body: HandoverCreate, request: Request, runtime: RuntimeDep, principal: ClassTeacher
) -> JSONResponse:
    """AT-1: the class teacher hands their class's staying children over to the session (send an Idempotency-Key)."""
    command = from_fields(
        handlers.GiveHandover, body, school_id=principal.school(), staff_id=principal.subject, session_id=session_id
    )

    async def act(uow: UnitOfWork) -> tuple[int, Any]:
        row = await handlers.give_handover(uow, command)
        return 201, (await _public(uow.session, row)).model_dump(mode="json")

    return await respond_once(runtime, request, principal, body.model_dump(mode="json"), act)


@router.post("/handovers/{handover_id}/acknowledge", response_model=HandoverPublic, dependencies=[IDEMPOTENT])
async def acknowledge_handover(
    handover_id: str, body: Acknowledgement, request: Request, runtime: RuntimeDep, principal: ServiceTeacher
) -> JSONResponse:
    """BX-3: a teacher of the session confirms receiving the children with their own count."""

    async def act(uow: UnitOfWork) -> tuple[int, Any]:
        row = await handlers.acknowledge_handover(uow, principal=principal, handover_id=handover_id, count=body.count)
        return 200, (await _public(uow.session, row)).model_dump(mode="json")

    return await respond_once(runtime, request, principal, body.model_dump(mode="json"), act)


@router.get("/handovers/{handover_id}", response_model=HandoverPublic)
async def get_handover(handover_id: str, runtime: RuntimeDep, principal: StaffButSubjectTeacher) -> HandoverPublic:
    """One handover of the caller's school, for its class's teacher, the session's teachers and the leaders."""
    async with runtime.db.sessions() as session:
        row = await store.handover(session, school_id=principal.school(), handover_id=handover_id)
        if row is None or not await ref.may_follow_up(
            session, principal, class_id=row.class_id, teacher_ids=row.teacher_ids
        ):
            raise NotFound(f"no handover '{handover_id}'")
        return await _public(session, row)


@router.get("/sessions/{session_id}/handovers", response_model=Page[HandoverPublic])
async def list_handovers(
    session_id: str, runtime: RuntimeDep, principal: StaffButSubjectTeacher, page: Paging
) -> Page[HandoverPublic]:
    """A session's handovers by id: a class teacher sees their classes', a service teacher their session's."""
    school_id = principal.school()
    async with runtime.db.sessions() as session:
        view = await session_of(session, session_id=session_id, school_id=school_id)
        if view is None:
            raise NotFound(f"no session '{session_id}'")
        class_ids = None
        if principal.role is Role.CLASS_TEACHER:
            class_ids = await ref.classes_of_teacher(session, school_id=school_id, staff_id=principal.subject)
        elif principal.role is Role.SERVICE_TEACHER and principal.subject not in view.teacher_ids:
            raise Forbidden("not a teacher of this session")
        rows = await store.list_handovers(
            session,
            school_id=school_id,
            session_id=session_id,
            class_ids=class_ids,
            after=page.after_value(str),
            limit=page.limit,
        )
        items = [await _public(session, row) for row in rows]
    return page_of(items, page, lambda h: h.handover_id)


@router.get("/handover-discrepancies", response_model=Page[DiscrepancyPublic])
async def list_discrepancies(
    runtime: RuntimeDep,
    principal: StaffButSubjectTeacher,
    page: Paging,
    status: DiscrepancyStatus = DiscrepancyStatus.OPEN,
    session_id: Annotated[str | None, Query(max_length=120)] = None,
) -> Page[DiscrepancyPublic]:
    """AT-1: discrepancies (open by default): the school's for its leaders, a class teacher's classes', a service
    teacher's session's (`session_id` required)."""
    school_id = principal.school()
    async with runtime.db.sessions() as session:
        class_ids = None
        if principal.role is Role.CLASS_TEACHER:
            class_ids = await ref.classes_of_teacher(session, school_id=school_id, staff_id=principal.subject)
        elif principal.role is Role.SERVICE_TEACHER:
            view = await session_of(session, session_id=session_id, school_id=school_id) if session_id else None
            if view is None or principal.subject not in view.teacher_ids:
                raise Forbidden("a service teacher lists the discrepancies of one of their sessions: give session_id")
        open_only = {DiscrepancyStatus.OPEN: True, DiscrepancyStatus.RESOLVED: False, DiscrepancyStatus.ALL: None}
        rows = await store.list_discrepancies(
            session,
            school_id=school_id,
            open_only=open_only[status],
            class_ids=class_ids,
            session_id=session_id,
            after=page.after_value(str),
            limit=page.limit,
        )
    return page_of_rows(DiscrepancyPublic, rows, page, lambda d: d.discrepancy_id)


@router.post(
    "/handover-discrepancies/{discrepancy_id}/resolve", response_model=DiscrepancyPublic, dependencies=[IDEMPOTENT]
)
async def resolve_discrepancy(
    discrepancy_id: str, body: Resolution, request: Request, runtime: RuntimeDep, principal: StaffButSubjectTeacher
) -> JSONResponse:
    """AT-1: resolve a discrepancy with a note (the class's teacher, the session's teacher, the leaders)."""

    async def act(uow: UnitOfWork) -> tuple[int, Any]:
        row = await handlers.resolve_discrepancy(
            uow, principal=principal, discrepancy_id=discrepancy_id, note=body.note
        )
        return 200, DiscrepancyPublic.model_validate(row, from_attributes=True).model_dump(mode="json")

    return await respond_once(runtime, request, principal, body.model_dump(mode="json"), act)
