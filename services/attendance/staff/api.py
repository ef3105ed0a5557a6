"""Staff routes under `/attendance/v1` (AT-9, AT-10, QA-1): sign-in, activity record, patrols, incidents."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from chassis.app import Runtime, RuntimeDep
from chassis.auth import Principal, Role, require
from chassis.http import Body, DutyLeader, Id, Paging, ServiceTeacher
from chassis.idempotency import IDEMPOTENT, respond_once
from chassis.pagination import Page, page_of
from chassis.problems import Forbidden, NotFound
from chassis.uow import UnitOfWork
from contracts.attendance.staff import FindingKind, IncidentKind, SignInStatus
from services.attendance.domain.sessions import SessionView
from services.attendance.domain.staff import ActivityRecord, is_half_session
from services.attendance.sessions.store import session_of
from services.attendance.staff import handlers, store

router = APIRouter(prefix="/attendance/v1", tags=["staff"])

Text = Annotated[str, Field(max_length=2000)]
Note = Annotated[str | None, Field(None, max_length=2000, description="kept by the school, never published")]

AdminOrDutyLeader = Annotated[Principal, require(Role.DUTY_LEADER, Role.SCHOOL_ADMIN)]
AdminDutyLeaderOrServiceTeacher = Annotated[
    Principal, require(Role.SCHOOL_ADMIN, Role.DUTY_LEADER, Role.SERVICE_TEACHER)
]


class SignInPublic(BaseModel):
    """A teacher's judged sign-in for a session (AT-9)."""

    session_id: str
    staff_id: str
    school_id: str
    day: date
    status: SignInStatus
    signed_in_at: datetime | None
    minutes_late: int
    decided_by: str


class ActivityRecordCreate(Body):
    """AT-9: the activity record; a part left empty makes it incomplete (0.5 units instead of 1, ST-1)."""

    place: Annotated[str, Field(max_length=200)] = ""
    content: Text = ""
    student_ids: Annotated[list[Id], Field(max_length=500)] = Field(default=[])
    effect: Text = ""


class ActivityRecordPublic(BaseModel):
    """The latest revision of a teacher's activity record for a session."""

    record_id: str
    session_id: str
    staff_id: str
    place: str
    content: str
    student_ids: list[str]
    effect: str
    complete: bool
    missing: list[str]
    revision: int
    filed_at: datetime


class PatrolCreate(Body):
    """AT-10: what the duty leader saw; `rules_followed` is false exactly when a `rule_broken` is found."""

    staff_id: Id | None = Field(None, description="the teacher patrolled; may be left out when there is only one")
    teacher_present: bool
    activity_running: bool
    rules_followed: bool
    findings: Annotated[list[FindingKind], Field(max_length=20)] = Field(default=[])
    note: Note


class PatrolPublic(BaseModel):
    """A recorded patrol, with the points its findings deduct (QA-1)."""

    patrol_id: str
    session_id: str
    staff_id: str
    duty_leader_id: str
    teacher_present: bool
    activity_running: bool
    rules_followed: bool
    findings: list[FindingKind]
    deduction: int
    note: str | None
    recorded_at: datetime


class IncidentCreate(Body):
    """AT-10/ST-3: a safety incident or dereliction of duty in the session."""

    staff_id: Id | None = Field(None, description="the teacher concerned; may be left out when there is only one")
    kind: IncidentKind
    note: Note


class IncidentPublic(BaseModel):
    """A reported incident."""

    incident_id: str
    session_id: str
    staff_id: str
    kind: IncidentKind
    reported_by: str
    note: str | None
    reported_at: datetime


class StaffSheet(BaseModel):
    """Everything about the staff of one session: sign-ins, records, patrols and incidents (AT-9, AT-10)."""

    session_id: str
    kind: str
    half_session: bool
    starts_at: datetime
    ends_at: datetime
    teacher_ids: list[str]
    sign_ins: list[SignInPublic]
    activity_records: list[ActivityRecordPublic]
    patrols: list[PatrolPublic]
    incidents: list[IncidentPublic]


def _dump(model: type[BaseModel], row: object) -> dict[str, Any]:
    return model.model_validate(row, from_attributes=True).model_dump(mode="json")


async def _session(runtime: Runtime, principal: Principal, session_id: str, *, own: bool) -> SessionView:
    """The caller's school's session (another school's is not found); with `own`, a service teacher must teach it."""
    async with runtime.db.sessions() as session:
        view = await session_of(session, session_id=session_id, school_id=principal.school())
    if view is None:
        raise NotFound(f"no session '{session_id}' in this school")
    if own and principal.role is Role.SERVICE_TEACHER and principal.subject not in view.teacher_ids:
        raise Forbidden("only the session's own teachers may do this")
    return view


@router.post(
    "/sessions/{session_id}/teacher-sign-in",
    status_code=201,
    response_model=SignInPublic,
    responses={200: {"model": SignInPublic, "description": "already signed in: the first judgement"}},
    dependencies=[IDEMPOTENT],
)
async def sign_in(session_id: str, request: Request, runtime: RuntimeDep, principal: ServiceTeacher) -> JSONResponse:
    """AT-9: the calling teacher signs in for their session; the server clock judges on time or late."""
    view = await _session(runtime, principal, session_id, own=True)

    async def act(uow: UnitOfWork) -> tuple[int, Any]:
        row, created = await handlers.sign_in_teacher(uow, view, principal.subject)
        return (201 if created else 200), _dump(SignInPublic, row)

    return await respond_once(runtime, request, principal, {"session_id": session_id}, act)


@router.put(
    "/sessions/{session_id}/activity-record",
    response_model=ActivityRecordPublic,
    responses={201: {"model": ActivityRecordPublic, "description": "the first filing"}},
    dependencies=[IDEMPOTENT],
)
async def file_activity_record(
    session_id: str, body: ActivityRecordCreate, request: Request, runtime: RuntimeDep, principal: ServiceTeacher
) -> JSONResponse:
    """AT-9: file or amend the calling teacher's activity record (each change is a new revision)."""
    view = await _session(runtime, principal, session_id, own=True)
    record = ActivityRecord(body.place, body.content, tuple(body.student_ids), body.effect)

    async def act(uow: UnitOfWork) -> tuple[int, Any]:
        row, changed = await handlers.file_activity_record(uow, view, principal.subject, record)
        return (201 if changed and row.revision == 1 else 200), _dump(ActivityRecordPublic, row)

    return await respond_once(runtime, request, principal, body.model_dump(mode="json"), act)


@router.post("/sessions/{session_id}/patrols", status_code=201, response_model=PatrolPublic, dependencies=[IDEMPOTENT])
async def record_patrol(
    session_id: str, body: PatrolCreate, request: Request, runtime: RuntimeDep, principal: DutyLeader
) -> JSONResponse:
    """AT-10/QA-1: the duty leader records a patrol of a session of their school, with findings and deduction."""
    view = await _session(runtime, principal, session_id, own=False)
    staff_id = handlers.teacher_of(view, body.staff_id)
    answers = handlers.PatrolAnswers(
        body.teacher_present, body.activity_running, body.rules_followed, tuple(body.findings), body.note
    )

    async def act(uow: UnitOfWork) -> tuple[int, Any]:
        row = await handlers.record_patrol(uow, view, staff_id, principal.subject, answers)
        return 201, _dump(PatrolPublic, row)

    return await respond_once(runtime, request, principal, body.model_dump(mode="json"), act)


@router.post(
    "/sessions/{session_id}/incidents", status_code=201, response_model=IncidentPublic, dependencies=[IDEMPOTENT]
)
async def report_incident(
    session_id: str, body: IncidentCreate, request: Request, runtime: RuntimeDep, principal: AdminOrDutyLeader
) -> JSONResponse:
    """AT-10/ST-3: a duty leader or the school reports a safety incident or dereliction of duty in a session."""
    view = await _session(runtime, principal, session_id, own=False)
    staff_id = handlers.teacher_of(view, body.staff_id)

    async def act(uow: UnitOfWork) -> tuple[int, Any]:
        row = await handlers.report_incident(uow, view, staff_id, body.kind, principal.subject, body.note)
        return 201, _dump(IncidentPublic, row)

    return await respond_once(runtime, request, principal, body.model_dump(mode="json"), act)


@router.get("/sessions/{session_id}/staff", response_model=StaffSheet)
async def staff_sheet(session_id: str, runtime: RuntimeDep, principal: AdminDutyLeaderOrServiceTeacher) -> StaffSheet:
    """The session's staff sheet: the school and its duty leaders see any session, a teacher only their own."""
    view = await _session(runtime, principal, session_id, own=True)
    async with runtime.db.sessions() as session:
        sign_ins = await store.sign_ins_of_session(session, session_id=session_id)
        records = await store.records_of_session(session, session_id=session_id)
        patrols = await store.patrols_of_session(session, session_id=session_id)
        incidents = await store.incidents_of_session(session, session_id=session_id)
    return StaffSheet(
        session_id=view.session_id,
        kind=view.kind,
        half_session=is_half_session(view.kind),
        starts_at=view.starts_at,
        ends_at=view.ends_at,
        teacher_ids=list(view.teacher_ids),
        sign_ins=[SignInPublic.model_validate(r, from_attributes=True) for r in sign_ins],
        activity_records=[ActivityRecordPublic.model_validate(r, from_attributes=True) for r in records],
        patrols=[PatrolPublic.model_validate(r, from_attributes=True) for r in patrols],
        incidents=[IncidentPublic.model_validate(r, from_attributes=True) for r in incidents],
    )


@router.get("/teacher-sign-ins", response_model=Page[SignInPublic])
async def roll_sheet(
    runtime: RuntimeDep,
    principal: AdminOrDutyLeader,
    day: Annotated[date, Query(alias="date")],
    params: Paging,
) -> Page[SignInPublic]:
    """AT-9: the school's roll sheet of teachers (点名表) for a day: every judged sign-in, by session."""
    async with runtime.db.sessions() as session:
        rows = await store.sign_ins_of_day(
            session, school_id=principal.school(), day=day, after=params.after_pair(str, str), limit=params.limit + 1
        )
    items = [SignInPublic.model_validate(r, from_attributes=True) for r in rows]
    return page_of(items, params, lambda item: (item.session_id, item.staff_id))
