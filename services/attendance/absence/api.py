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
from chassis.http import Body, ClassTeacher, Guardian, Paging
from chassis.idempotency import IDEMPOTENT, respond_once
from chassis.openapi import examples
from chassis.pagination import Page, page_of_rows
from chassis.problems import Forbidden, NotFound
from chassis.records import from_fields
from chassis.uow import UnitOfWork
from contracts.fields import SESSION, ClassId, SchoolDay, SchoolId, StudentId
from contracts.fields import SessionId as SessionOf
from services.attendance.absence import handlers, store
from services.attendance.domain import absence as rules
from services.attendance.fields import Decided, Decider, OptionalSessionId, StudentRef
from services.attendance.reference import store as ref
from services.attendance.sessions.store import session_of

router = APIRouter(prefix="/attendance/v1", tags=["leave and absence"])

SessionId = Annotated[str, Field(min_length=1, max_length=120, pattern=r"^[A-Za-z0-9._:-]+$")]
Note = Annotated[str, Field(min_length=1, max_length=500)]
TeacherNote = Annotated[Note, Field(description="the class teacher's words to the guardian, kept with the decision")]
HowResolved = Annotated[Note, Field(description="how it was resolved: who found the child, where, what was done")]

StaffButSubjectTeacherOrGuardian = Annotated[
    Principal, require(Role.GUARDIAN, Role.CLASS_TEACHER, Role.SERVICE_TEACHER, Role.SCHOOL_ADMIN, Role.DUTY_LEADER)
]
StaffButSubjectTeacher = Annotated[
    Principal, require(Role.CLASS_TEACHER, Role.SERVICE_TEACHER, Role.SCHOOL_ADMIN, Role.DUTY_LEADER)
]


class LeaveCreate(Body):
    """A guardian's leave request: a whole day, or one session of it."""

    model_config = examples(
        {"student_id": "xiaoming", "day": "2026-11-26", "session_id": None, "reason": "发烧，去医院看病"}
    )

    student_id: StudentRef
    day: date = Field(description="the school day of the absence, school-local (YYYY-MM-DD)")
    session_id: Annotated[SessionId | None, Field(description=f"{SESSION}; null for the whole day")] = None
    reason: Note = Field(description="why the child will be away, in the guardian's words")


class Decision(Body):
    """The class teacher's note with an approval (optional) or a refusal."""

    model_config = examples({"note": "已批准，注意休息"})

    note: Annotated[TeacherNote | None, Field(description="the class teacher's words to the guardian; optional")] = None


class Refusal(Body):
    """A refusal says why."""

    model_config = examples({"note": "当天有期中测验，请改日请假"})

    note: TeacherNote


class Resolution(Body):
    """How the case was resolved (报告及跟踪制度)."""

    model_config = examples({"note": "奶奶提前接走，未告知老师；已电话确认安全"})

    note: HowResolved


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

    model_config = examples(
        {
            "leave_id": "0c8e2a4b-6d1f-4e3a-9b7c-5d2e8f1a3b6c",
            "school_id": "shiyan",
            "student_id": "xiaoming",
            "class_id": "g3c1",
            "day": "2026-11-26",
            "session_id": None,
            "reason": "发烧，去医院看病",
            "requested_by": "xiaoming-mama",
            "requested_at": "2026-11-25T13:02:00Z",
            "status": "approved",
            "decided_by": "zhang",
            "decided_at": "2026-11-25T13:40:00Z",
            "decision_note": "已批准，注意休息",
        }
    )

    leave_id: str = Field(description="the leave request's id, given by the server")
    school_id: SchoolId
    student_id: StudentId
    class_id: ClassId
    day: SchoolDay
    session_id: OptionalSessionId
    reason: str = Field(description="why the child will be away, in the guardian's words")
    requested_by: str = Field(description="the guardian who asked (their id in enrollment)")
    requested_at: datetime = Field(description="when the guardian asked (UTC)")
    status: LeaveStatus = Field(description="AT-3: requested, then approved or refused by the class teacher")
    decided_by: Decider
    decided_at: Decided
    decision_note: str | None = Field(description="the class teacher's note with the decision; null when none")


class AbsencePublic(BaseModel):
    """An unexcused-absence case (AT-3)."""

    model_config = examples(
        {
            "case_id": "7a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d",
            "school_id": "shiyan",
            "student_id": "xiaoming",
            "class_id": "g3c1",
            "session_id": "homework-g3:2026-11-25",
            "day": "2026-11-25",
            "session_starts_at": "2026-11-25T07:30:00Z",
            "opened_at": "2026-11-25T07:40:00Z",
            "resolved_by": None,
            "resolved_at": None,
            "note": None,
        }
    )

    case_id: str = Field(description="the case's id, given by the server")
    school_id: SchoolId
    student_id: StudentId
    class_id: ClassId
    session_id: SessionOf
    day: SchoolDay
    session_starts_at: datetime = Field(description="the start of the session the child missed (UTC)")
    opened_at: datetime = Field(description="AT-3: when the case opened, N minutes after the start (UTC)")
    resolved_by: Decider
    resolved_at: Decided
    note: str | None = Field(description="how the case was resolved; null while open")


def _leave(row: store.LeaveRequest) -> dict[str, Any]:
    return LeavePublic.model_validate(row, from_attributes=True).model_dump(mode="json")


def _case(row: store.AbsenceCase) -> dict[str, Any]:
    return AbsencePublic.model_validate(row, from_attributes=True).model_dump(mode="json")


@router.post("/leave-requests", status_code=201, response_model=LeavePublic, dependencies=[IDEMPOTENT])
async def post_leave_request(
    body: LeaveCreate, request: Request, runtime: RuntimeDep, principal: Guardian
) -> JSONResponse:
    """AT-3: a guardian asks for leave for their own child (send an `Idempotency-Key`)."""
    command = from_fields(handlers.RequestLeave, body, school_id=principal.school(), guardian_id=principal.subject)

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
    return page_of_rows(LeavePublic, rows, page, lambda leave: (leave.requested_at, leave.leave_id))


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
    return page_of_rows(AbsencePublic, rows, page, lambda case: (case.opened_at, case.case_id))


@router.post("/absences/{case_id}/resolve", response_model=AbsencePublic, dependencies=[IDEMPOTENT])
async def resolve_absence(
    case_id: str, body: Resolution, request: Request, runtime: RuntimeDep, principal: StaffButSubjectTeacher
) -> JSONResponse:
    """AT-3: close an open case with a note (the child's class teacher, the session's teacher, the leaders)."""

    async def act(uow: UnitOfWork) -> tuple[int, Any]:
        return 200, _case(await handlers.resolve_absence(uow, principal=principal, case_id=case_id, note=body.note))

    return await respond_once(runtime, request, principal, body.model_dump(mode="json"), act)
