"""Leave and absence routes under `/attendance/v1` (AT-3)."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from chassis.app import RuntimeDep
from chassis.auth import Principal, Role, require
from chassis.http import Body, ClassTeacher, Guardian, Id, Paging
from chassis.idempotency import IDEMPOTENT, respond_once
from chassis.pagination import Page, page_of
from chassis.problems import Forbidden, NotFound
from chassis.uow import UnitOfWork
from services.attendance.absence import handlers, store
from services.attendance.domain import absence as rules
from services.attendance.reference import store as ref
from services.attendance.sessions.store import session_of

router = APIRouter(prefix="/attendance/v1", tags=["leave and absence"])

SessionId = Annotated[str, Field(min_length=1, max_length=120, pattern=r"^[A-Za-z0-9._:-]+$")]
Note = Annotated[str, Field(min_length=1, max_length=500)]

StaffButSubjectTeacherOrGuardian = Annotated[
    Principal, require(Role.GUARDIAN, Role.CLASS_TEACHER, Role.SERVICE_TEACHER, Role.SCHOOL_ADMIN, Role.DUTY_LEADER)
]
StaffButSubjectTeacher = Annotated[
    Principal, require(Role.CLASS_TEACHER, Role.SERVICE_TEACHER, Role.SCHOOL_ADMIN, Role.DUTY_LEADER)
]


class LeaveCreate(Body):
    """A guardian's leave request: a whole day, or one session of it."""

    student_id: Id
    day: date
    session_id: SessionId | None = None
    reason: Note


class Decision(Body):
    """The class teacher's note with an approval (optional) or a refusal."""

    note: Note | None = None


class Refusal(Body):
    """A refusal says why."""

    note: Note


class Resolution(Body):
    """How the case was resolved (报告及跟踪制度)."""

    note: Note


class LeaveStatus(StrEnum):
    """Where a leave request stands."""

    REQUESTED = rules.REQUESTED
    APPROVED = rules.APPROVED
    REFUSED = rules.REFUSED


class CaseStatus(StrEnum):
    """Which absence cases to list."""

    OPEN = "open"
    RESOLVED = "resolved"
    ALL = "all"


class LeavePublic(BaseModel):
    """A leave request and its decision."""

    leave_id: str
    school_id: str
    student_id: str
    class_id: str
    day: date
    session_id: str | None
    reason: str
    requested_by: str
    requested_at: datetime
    status: LeaveStatus
    decided_by: str | None
    decided_at: datetime | None
    decision_note: str | None


class AbsencePublic(BaseModel):
    """An unexcused-absence case (AT-3)."""

    case_id: str
    school_id: str
    student_id: str
    class_id: str
    session_id: str
    day: date
    session_starts_at: datetime
    opened_at: datetime
    resolved_by: str | None
    resolved_at: datetime | None
    note: str | None


def _leave(row: store.LeaveRequest) -> dict[str, Any]:
    return LeavePublic.model_validate(row, from_attributes=True).model_dump(mode="json")


def _case(row: store.AbsenceCase) -> dict[str, Any]:
    return AbsencePublic.model_validate(row, from_attributes=True).model_dump(mode="json")


@router.post("/leave-requests", status_code=201, response_model=LeavePublic, dependencies=[IDEMPOTENT])
async def post_leave_request(
    body: LeaveCreate, request: Request, runtime: RuntimeDep, principal: Guardian
) -> JSONResponse:
    """AT-3: a guardian asks for leave for their own child (send an `Idempotency-Key`)."""
    command = handlers.RequestLeave(
        school_id=principal.school(),
        guardian_id=principal.subject,
        student_id=body.student_id,
        day=body.day,
        session_id=body.session_id,
        reason=body.reason,
    )

    async def act(uow: UnitOfWork) -> tuple[int, Any]:
        return 201, _leave(await handlers.request_leave(uow, command))

    return await respond_once(runtime, request, principal, body.model_dump(mode="json"), act)


async def _decide(
    runtime: RuntimeDep, request: Request, principal: Principal, leave_id: str, decision: str, body: Body
) -> JSONResponse:
    note = getattr(body, "note", None)

    async def act(uow: UnitOfWork) -> tuple[int, Any]:
        row = await handlers.decide_leave(
            uow,
            school_id=principal.school(),
            staff_id=principal.subject,
            leave_id=leave_id,
            decision=decision,
            note=note,
        )
        return 200, _leave(row)

    return await respond_once(runtime, request, principal, body.model_dump(mode="json"), act)


@router.post("/leave-requests/{leave_id}/approve", response_model=LeavePublic, dependencies=[IDEMPOTENT])
async def approve_leave(
    leave_id: str, body: Decision, request: Request, runtime: RuntimeDep, principal: ClassTeacher
) -> JSONResponse:
    """AT-3: the class teacher of the child's class approves (the service teacher then sees the child on leave)."""
    return await _decide(runtime, request, principal, leave_id, rules.APPROVED, body)


@router.post("/leave-requests/{leave_id}/refuse", response_model=LeavePublic, dependencies=[IDEMPOTENT])
async def refuse_leave(
    leave_id: str, body: Refusal, request: Request, runtime: RuntimeDep, principal: ClassTeacher
) -> JSONResponse:
    """AT-3: the class teacher of the child's class refuses, saying why."""
    return await _decide(runtime, request, principal, leave_id, rules.REFUSED, body)


@router.get("/leave-requests", response_model=Page[LeavePublic])
async def list_leave_requests(
    runtime: RuntimeDep,
    principal: StaffButSubjectTeacherOrGuardian,
    page: Paging,
    day: Annotated[date | None, Query(alias="date")] = None,
    session_id: Annotated[str | None, Query(max_length=120)] = None,
    status: LeaveStatus | None = None,
) -> Page[LeavePublic]:
    """Leave requests by request time: a guardian's children, a class teacher's classes, a service teacher's
    session (`session_id` required: the children expected in it), or the whole school for its leaders."""
    school_id = principal.school()
    student_ids: list[str] | None = None
    class_ids: list[str] | None = None
    async with runtime.db.sessions() as session:
        if principal.role is Role.GUARDIAN:
            student_ids = await ref.children_of(session, guardian_id=principal.subject)
        elif principal.role is Role.CLASS_TEACHER:
            class_ids = await ref.classes_of_teacher(session, school_id=school_id, staff_id=principal.subject)
        elif principal.role is Role.SERVICE_TEACHER:
            if session_id is None:
                raise Forbidden("a service teacher lists the leave of one of their sessions: give session_id")
            view = await session_of(session, session_id=session_id, school_id=school_id)
            if view is None:
                raise NotFound(f"no session '{session_id}'")
            if principal.subject not in view.teacher_ids:
                raise Forbidden("not a teacher of this session")
            student_ids, day = list(view.expected_student_ids), view.day
        rows = await store.list_leaves(
            session,
            school_id=school_id,
            day=day,
            session_id=session_id,
            status=status.value if status else None,
            student_ids=student_ids,
            class_ids=class_ids,
            after=page.after_pair(datetime, str),
            limit=page.limit,
        )
    items = [LeavePublic.model_validate(r, from_attributes=True) for r in rows]
    return page_of(items, page, lambda leave: (leave.requested_at, leave.leave_id))


@router.get("/absences", response_model=Page[AbsencePublic])
async def list_absences(
    runtime: RuntimeDep,
    principal: StaffButSubjectTeacher,
    page: Paging,
    status: CaseStatus = CaseStatus.OPEN,
    class_id: Annotated[str | None, Query(max_length=64)] = None,
    session_id: Annotated[str | None, Query(max_length=120)] = None,
) -> Page[AbsencePublic]:
    """AT-3: unexcused-absence cases by opening time (open by default): the school's for its leaders, a class
    teacher's classes, or a service teacher's session (`session_id` required)."""
    school_id = principal.school()
    class_ids = [class_id] if class_id is not None else None
    async with runtime.db.sessions() as session:
        if principal.role is Role.CLASS_TEACHER:
            mine = await ref.classes_of_teacher(session, school_id=school_id, staff_id=principal.subject)
            if class_id is not None and class_id not in mine:
                raise Forbidden("not the class teacher of this class")
            class_ids = class_ids or mine
        elif principal.role is Role.SERVICE_TEACHER:
            view = await session_of(session, session_id=session_id, school_id=school_id) if session_id else None
            if view is None or principal.subject not in view.teacher_ids:
                raise Forbidden("a service teacher lists the cases of one of their sessions: give its session_id")
        open_only = {CaseStatus.OPEN: True, CaseStatus.RESOLVED: False, CaseStatus.ALL: None}[status]
        rows = await store.list_cases(
            session,
            school_id=school_id,
            open_only=open_only,
            class_ids=class_ids,
            session_id=session_id,
            after=page.after_pair(datetime, str),
            limit=page.limit,
        )
    items = [AbsencePublic.model_validate(r, from_attributes=True) for r in rows]
    return page_of(items, page, lambda case: (case.opened_at, case.case_id))


@router.post("/absences/{case_id}/resolve", response_model=AbsencePublic, dependencies=[IDEMPOTENT])
async def resolve_absence(
    case_id: str, body: Resolution, request: Request, runtime: RuntimeDep, principal: StaffButSubjectTeacher
) -> JSONResponse:
    """AT-3: close an open case with a note (the child's class teacher, the session's teacher, the leaders)."""

    async def act(uow: UnitOfWork) -> tuple[int, Any]:
        return 200, _case(await handlers.resolve_absence(uow, principal=principal, case_id=case_id, note=body.note))

    return await respond_once(runtime, request, principal, body.model_dump(mode="json"), act)
