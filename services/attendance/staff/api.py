"""Staff routes under `/attendance/v1` (AT-9, AT-10, QA-1): sign-in, activity record, patrols, incidents."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from pydantic.config import JsonDict

from chassis.app import Runtime, RuntimeDep
from chassis.auth import Principal, Role, require
from chassis.http import Body, DutyLeader, Id, Paging, ServiceTeacher
from chassis.idempotency import IDEMPOTENT, respond_once
from chassis.openapi import examples
from chassis.pagination import Page, page_of_rows
from chassis.problems import Forbidden, NotFound
from chassis.uow import UnitOfWork
from contracts.attendance.staff import FindingKind, IncidentKind, SignInStatus
from contracts.fields import SchoolDay, SchoolId, SessionId, StaffId
from services.attendance.domain.sessions import SessionView
from services.attendance.domain.staff import ActivityRecord, is_half_session
from services.attendance.fields import PLACE, EndsAt, Kind, OnDate, StartsAt, TeacherIds
from services.attendance.sessions.store import session_of
from services.attendance.staff import handlers, store

router = APIRouter(prefix="/attendance/v1", tags=["staff"])

Text = Annotated[str, Field(max_length=2000)]
CONTENT = "AT-9 活动记录表: what was done in the session"
STUDENTS = "AT-9: the children who took part (ids)"
EFFECT = "AT-9: how it went, in the teacher's words"
PRESENT = "AT-10: the service teacher was there"
RUNNING = "AT-10: the planned activity was under way"
FOLLOWED = "AT-10: no rule broken (false exactly when `rule_broken` is among the findings)"
FINDINGS = "QA-1: what was found wrong, each with its deduction (rule broken 1, bad influence 3, serious accident 10)"
INCIDENT_KIND = "AT-10: safety incident, dereliction of duty or ethics breach; each costs the teacher pay (ST-3)"
SIGN_IN: JsonDict = {
    "session_id": "homework-g3:2026-11-25",
    "staff_id": "li",
    "school_id": "shiyan",
    "day": "2026-11-25",
    "status": "late",
    "signed_in_at": "2026-11-25T07:33:10Z",
    "minutes_late": 3,
    "decided_by": "teacher",
}
RECORD: JsonDict = {
    "record_id": "8c9d0e1f-2a3b-4c4d-9e5f-6a7b8c9d0e1f",
    "session_id": "homework-g3:2026-11-25",
    "staff_id": "li",
    "place": "教室 3-1",
    "content": "数学作业辅导，订正练习册第 12 页",
    "student_ids": ["xiaoming", "xiaohong"],
    "effect": "全部完成，两人需要再讲一遍进位加法",
    "complete": True,
    "missing": [],
    "revision": 1,
    "filed_at": "2026-11-25T09:25:00Z",
}
PATROL: JsonDict = {
    "patrol_id": "2d3e4f5a-6b7c-4d8e-9f0a-1b2c3d4e5f6a",
    "session_id": "homework-g3:2026-11-25",
    "staff_id": "li",
    "duty_leader_id": "wang",
    "teacher_present": True,
    "activity_running": True,
    "rules_followed": True,
    "findings": [],
    "deduction": 0,
    "note": None,
    "recorded_at": "2026-11-25T08:10:00Z",
}
INCIDENT: JsonDict = {
    "incident_id": "6f7a8b9c-0d1e-4f2a-8b3c-4d5e6f7a8b9c",
    "session_id": "homework-g3:2026-11-25",
    "staff_id": "li",
    "kind": "safety_incident",
    "reported_by": "wang",
    "note": "学生在走廊奔跑摔倒，膝盖擦伤，已送医务室",
    "reported_at": "2026-11-25T08:40:00Z",
}
Note = Annotated[str | None, Field(None, max_length=2000, description="kept by the school, never published")]

AdminOrDutyLeader = Annotated[Principal, require(Role.DUTY_LEADER, Role.SCHOOL_ADMIN)]
AdminDutyLeaderOrServiceTeacher = Annotated[
    Principal, require(Role.SCHOOL_ADMIN, Role.DUTY_LEADER, Role.SERVICE_TEACHER)
]


class SignInPublic(BaseModel):
    """A teacher's judged sign-in for a session (AT-9)."""

    model_config = examples(SIGN_IN)

    session_id: SessionId
    staff_id: StaffId
    school_id: SchoolId
    day: SchoolDay
    status: SignInStatus = Field(description="AT-9: on time, late, or absent")
    signed_in_at: datetime | None = Field(description="the server's time of the sign-in (UTC); null if absent")
    minutes_late: int = Field(description="whole minutes after the session start (0 unless late)")
    decided_by: str = Field(description="'teacher', 'deadline' (nobody signed in by the end) or the duty leader's id")


class ActivityRecordCreate(Body):
    """AT-9: the activity record; a part left empty makes it incomplete (0.5 units instead of 1, ST-1)."""

    model_config = examples({k: RECORD[k] for k in ("place", "content", "student_ids", "effect")})

    place: Annotated[str, Field(max_length=200, description=PLACE)] = ""
    content: Text = Field(default="", description=CONTENT)
    student_ids: Annotated[list[Id], Field(max_length=500)] = Field(default=[], description=STUDENTS)
    effect: Text = Field(default="", description=EFFECT)


class ActivityRecordPublic(BaseModel):
    """The latest revision of a teacher's activity record for a session."""

    model_config = examples(RECORD)

    record_id: str = Field(description="the record's id, given by the server: one per teacher and session")
    session_id: SessionId
    staff_id: StaffId
    place: str = Field(description=PLACE)
    content: str = Field(description=CONTENT)
    student_ids: list[str] = Field(description=STUDENTS)
    effect: str = Field(description=EFFECT)
    complete: bool = Field(description="ST-1: every part filled in (1 unit); incomplete counts 0.5")
    missing: list[str] = Field(description="the parts left empty: place, content, students, effect")
    revision: int = Field(description="1 for the first filing, one more for each amendment; the highest counts")
    filed_at: datetime = Field(description="when this revision was filed (UTC)")


class PatrolCreate(Body):
    """AT-10: what the duty leader saw; `rules_followed` is false exactly when a `rule_broken` is found."""

    model_config = examples(
        {
            "staff_id": "li",
            "teacher_present": True,
            "activity_running": True,
            "rules_followed": False,
            "findings": ["rule_broken"],
            "note": "学生未按规定佩戴托管胸卡",
        }
    )

    staff_id: Id | None = Field(None, description="the teacher patrolled; may be left out when there is only one")
    teacher_present: bool = Field(description=PRESENT)
    activity_running: bool = Field(description=RUNNING)
    rules_followed: bool = Field(description=FOLLOWED)
    findings: Annotated[list[FindingKind], Field(max_length=20)] = Field(default=[], description=FINDINGS)
    note: Note


class PatrolPublic(BaseModel):
    """A recorded patrol, with the points its findings deduct (QA-1)."""

    model_config = examples(PATROL)

    patrol_id: str = Field(description="the patrol's id, given by the server")
    session_id: SessionId
    staff_id: StaffId
    duty_leader_id: str = Field(description="the duty leader who patrolled (staff id)")
    teacher_present: bool = Field(description=PRESENT)
    activity_running: bool = Field(description=RUNNING)
    rules_followed: bool = Field(description=FOLLOWED)
    findings: list[FindingKind] = Field(description=FINDINGS)
    deduction: int = Field(description="points deducted (QA-1), the sum over the findings")
    note: str | None = Field(description="the duty leader's note, kept by the school; null when none")
    recorded_at: datetime = Field(description="when the patrol was recorded (UTC)")


class IncidentCreate(Body):
    """AT-10/ST-3: a safety incident or dereliction of duty in the session."""

    model_config = examples({k: INCIDENT[k] for k in ("staff_id", "kind", "note")})

    staff_id: Id | None = Field(None, description="the teacher concerned; may be left out when there is only one")
    kind: IncidentKind = Field(description=INCIDENT_KIND)
    note: Note


class IncidentPublic(BaseModel):
    """A reported incident."""

    model_config = examples(INCIDENT)

    incident_id: str = Field(description="the incident's id, given by the server")
    session_id: SessionId
    staff_id: StaffId
    kind: IncidentKind = Field(description=INCIDENT_KIND)
    reported_by: str = Field(description="the duty leader or admin who reported it (staff id)")
    note: str | None = Field(description="what happened, kept by the school; null when none")
    reported_at: datetime = Field(description="when it was reported (UTC)")


class StaffSheet(BaseModel):
    """Everything about the staff of one session: sign-ins, records, patrols and incidents (AT-9, AT-10)."""

    model_config = examples(
        {
            "session_id": "homework-g3:2026-11-25",
            "kind": "homework",
            "half_session": False,
            "starts_at": "2026-11-25T07:30:00Z",
            "ends_at": "2026-11-25T09:20:00Z",
            "teacher_ids": ["li"],
            "sign_ins": [SIGN_IN],
            "activity_records": [RECORD],
            "patrols": [PATROL],
            "incidents": [INCIDENT],
        }
    )

    session_id: SessionId
    kind: Kind
    half_session: bool = Field(description="AT-9/ST-1: noon service counts as half a session (0.5 units)")
    starts_at: StartsAt
    ends_at: EndsAt
    teacher_ids: TeacherIds
    sign_ins: list[SignInPublic] = Field(description="AT-9: each teacher's judged sign-in, once judged")
    activity_records: list[ActivityRecordPublic] = Field(description="AT-9: each teacher's latest activity record")
    patrols: list[PatrolPublic] = Field(description="AT-10: the duty leader's patrols of the session")
    incidents: list[IncidentPublic] = Field(description="AT-10/ST-3: the incidents reported in the session")


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
    runtime: RuntimeDep, principal: AdminOrDutyLeader, day: OnDate, params: Paging
) -> Page[SignInPublic]:
    """AT-9: the school's roll sheet of teachers (点名表) for a day: every judged sign-in, by session."""
    async with runtime.db.sessions() as session:
        rows = await store.sign_ins_of_day(
            session, school_id=principal.school(), day=day, after=params.after_pair(str, str), limit=params.limit + 1
        )
    return page_of_rows(SignInPublic, rows, params, lambda item: (item.session_id, item.staff_id))
