"""Handover routes under `/attendance/v1` (AT-1, BX-3)."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from sqlalchemy.ext.asyncio import AsyncSession

from chassis.app import RuntimeDep
from chassis.auth import Principal, Role, require
from chassis.http import Body, ClassTeacher, Id, Paging, ServiceTeacher
from chassis.idempotency import IDEMPOTENT, respond_once
from chassis.pagination import Page, page_of
from chassis.problems import Forbidden, NotFound
from chassis.uow import UnitOfWork
from services.attendance.handover import handlers, store
from services.attendance.reference import store as ref
from services.attendance.sessions.store import session_of

router = APIRouter(prefix="/attendance/v1", tags=["handover"])

Count = Annotated[int, Field(ge=0, le=500)]

StaffButSubjectTeacher = Annotated[
    Principal, require(Role.CLASS_TEACHER, Role.SERVICE_TEACHER, Role.SCHOOL_ADMIN, Role.DUTY_LEADER)
]


class HandoverCreate(Body):
    """AT-1: the class teacher's count of the staying children (and, optionally, who they are)."""

    class_id: Id
    count: Count
    student_ids: list[Id] | None = Field(default=None, max_length=500, description="the children handed over")


class Acknowledgement(Body):
    """BX-3: the service teacher's own count."""

    count: Count


class Resolution(Body):
    """How the discrepancy was resolved on the spot."""

    note: Annotated[str, Field(min_length=1, max_length=500)]


class DiscrepancyStatus(StrEnum):
    """Which discrepancies to list."""

    OPEN = "open"
    RESOLVED = "resolved"
    ALL = "all"


class DiscrepancyPublic(BaseModel):
    """A handover discrepancy: the counts that differ, and its resolution."""

    discrepancy_id: str
    handover_id: str
    school_id: str
    session_id: str
    class_id: str
    day: date
    stage: str
    expected: int
    counted: int
    missing_student_ids: list[str]
    opened_at: datetime
    resolved_by: str | None
    resolved_at: datetime | None
    note: str | None


class HandoverPublic(BaseModel):
    """A handover with both confirmations (who, when, how many) and its discrepancies."""

    handover_id: str
    school_id: str
    session_id: str
    class_id: str
    day: date
    given_by: str
    given_at: datetime
    count: int
    expected_count: int
    on_leave_student_ids: list[str]
    student_ids: list[str] | None
    acknowledged_by: str | None
    acknowledged_at: datetime | None
    acknowledged_count: int | None
    escalation_step: int
    discrepancies: list[DiscrepancyPublic] = Field(default_factory=list)


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
    command = handlers.GiveHandover(
        school_id=principal.school(),
        staff_id=principal.subject,
        session_id=session_id,
        class_id=body.class_id,
        count=body.count,
        student_ids=body.student_ids,
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
    items = [DiscrepancyPublic.model_validate(r, from_attributes=True) for r in rows]
    return page_of(items, page, lambda d: d.discrepancy_id)


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
