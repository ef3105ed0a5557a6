"""Regular-class register routes under `/attendance/v1` (BX-4): by API per class, by CSV for many classes."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from chassis.app import Runtime, RuntimeDep
from chassis.auth import Principal, Role, require
from chassis.http import Body, Id, Paging
from chassis.idempotency import IDEMPOTENT, respond_once
from chassis.openapi import examples
from chassis.pagination import Page, page_of_rows
from chassis.problems import Forbidden, NotFound, Unprocessable
from chassis.uow import UnitOfWork
from contracts.fields import CLASS, ClassId, SchoolDay, SessionId, StudentId
from services.attendance.domain.reconciliation import DayMark, DayStatus, parse_register_csv
from services.attendance.fields import OnDate, StudentRef
from services.attendance.reconciliation import handlers, store
from services.attendance.reference import store as ref

router = APIRouter(prefix="/attendance/v1", tags=["reconciliation"])

MAX_CSV_BYTES = 2_000_000
CSV = "class_id,student_id,status\ng3c1,xiaoming,出勤\ng3c1,xiaohong,缺勤\n"
STATUS = "BX-4: present or absent in the day's regular classes"

AdminOrClassTeacher = Annotated[Principal, require(Role.SCHOOL_ADMIN, Role.CLASS_TEACHER)]
AdminClassTeacherOrDutyLeader = Annotated[Principal, require(Role.SCHOOL_ADMIN, Role.CLASS_TEACHER, Role.DUTY_LEADER)]
AdminOrDutyLeader = Annotated[Principal, require(Role.SCHOOL_ADMIN, Role.DUTY_LEADER)]


class MarkIn(BaseModel):
    """One child's attendance in regular classes."""

    model_config = ConfigDict(extra="forbid")

    student_id: StudentRef
    status: DayStatus = Field(description=STATUS)


class RegisterIn(Body):
    """BX-4: a class's register of a school day (a corrected register replaces the marks it names)."""

    model_config = examples(
        {
            "marks": [
                {"student_id": "xiaoming", "status": "present"},
                {"student_id": "xiaohong", "status": "absent"},
            ]
        }
    )

    marks: Annotated[list[MarkIn], Field(min_length=1, max_length=200, description="one mark per child named")]


class RegisterSaved(BaseModel):
    """What a register upload stored, and how many missing-from-session alerts it raised at once."""

    model_config = examples({"day": "2026-11-25", "classes": ["g3c1"], "present": 27, "absent": 1, "alerts_raised": 0})

    day: SchoolDay
    classes: list[str] = Field(description="the classes whose marks were stored")
    present: int = Field(description="marks stored as present")
    absent: int = Field(description="marks stored as absent")
    alerts_raised: int = Field(
        description="BX-4: children present in class but missing from their session, alerted now"
    )


class MarkPublic(BaseModel):
    """A stored mark."""

    model_config = examples(
        {
            "student_id": "xiaoming",
            "class_id": "g3c1",
            "day": "2026-11-25",
            "status": "present",
            "recorded_by": "zhang",
            "recorded_at": "2026-11-25T07:10:00Z",
        }
    )

    student_id: StudentId
    class_id: ClassId
    day: SchoolDay
    status: DayStatus = Field(description=STATUS)
    recorded_by: str = Field(description="the staff id of who uploaded the register")
    recorded_at: datetime = Field(description="when the mark was stored (UTC)")


class AlertPublic(BaseModel):
    """A child alerted as present at school but missing from a session (BX-4)."""

    model_config = examples(
        {
            "session_id": "homework-g3:2026-11-25",
            "student_id": "xiaoming",
            "class_id": "g3c1",
            "day": "2026-11-25",
            "alerted_at": "2026-11-25T07:45:00Z",
        }
    )

    session_id: SessionId
    student_id: StudentId
    class_id: str | None = Field(description=f"{CLASS}; null when attendance does not know it")
    day: SchoolDay
    alerted_at: datetime = Field(description="when the alert was raised (UTC)")


async def _check_class(runtime: Runtime, principal: Principal, class_id: str) -> None:
    """Another school's class is not found; a class teacher keeps the register of their own classes only."""
    async with runtime.db.sessions() as session:
        found = await ref.class_of(session, class_id=class_id)
    if found is None or found.school_id != principal.school():
        raise NotFound(f"no class '{class_id}' in this school")
    if principal.role is Role.CLASS_TEACHER and found.teacher_id != principal.subject:
        raise Forbidden("a class teacher keeps the register of their own class only")


async def _save(
    request: Request, runtime: Runtime, principal: Principal, day: date, marks: list[DayMark], body: Any
) -> JSONResponse:
    async def act(uow: UnitOfWork) -> tuple[int, Any]:
        alerts = await handlers.record_register(
            uow, school_id=principal.school(), day=day, marks=marks, recorded_by=principal.subject
        )
        saved = RegisterSaved(
            day=day,
            classes=sorted({m.class_id for m in marks}),
            present=sum(m.status is DayStatus.PRESENT for m in marks),
            absent=sum(m.status is DayStatus.ABSENT for m in marks),
            alerts_raised=alerts,
        )
        return 200, saved.model_dump(mode="json")

    return await respond_once(runtime, request, principal, body, act)


@router.put("/school-days/{day}/classes/{class_id}/register", response_model=RegisterSaved, dependencies=[IDEMPOTENT])
async def put_register(
    day: date, class_id: Id, body: RegisterIn, request: Request, runtime: RuntimeDep, principal: AdminOrClassTeacher
) -> JSONResponse:
    """BX-4: a class's register of a day (its class teacher or the school); children missing from a session
    already due are alerted at once, the others when their session's check falls due."""
    await _check_class(runtime, principal, class_id)
    marks = [DayMark(class_id, m.student_id, m.status) for m in body.marks]
    if len({m.student_id for m in marks}) != len(marks):
        raise Unprocessable("a child is listed twice in the register", rule="BX-4")
    return await _save(request, runtime, principal, day, marks, {"class_id": class_id, **body.model_dump(mode="json")})


@router.post(
    "/school-days/{day}/register.csv",
    response_model=RegisterSaved,
    openapi_extra={
        "requestBody": {"content": {"text/csv": {"schema": {"type": "string"}, "example": CSV}}, "required": True}
    },
    dependencies=[IDEMPOTENT],
)
async def upload_register(
    day: date,
    request: Request,
    runtime: RuntimeDep,
    principal: AdminOrClassTeacher,
) -> JSONResponse:
    """BX-4: registers of several classes as CSV (`class_id,student_id,status`; present/absent or 出勤/缺勤).
    Every bad row is reported and nothing is saved until the whole file is right."""
    raw = await request.body()
    if len(raw) > MAX_CSV_BYTES:
        raise Unprocessable(f"the file is larger than {MAX_CSV_BYTES} bytes")
    try:
        content = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        raise Unprocessable("the file must be UTF-8 text") from error
    marks, errors = parse_register_csv(content)
    if errors:
        rows = [{"row": e.row, "error": e.error} for e in errors]
        raise Unprocessable("the register has errors; nothing was saved", rule="BX-4", errors=rows)
    if not marks:
        raise Unprocessable("the file has no rows", rule="BX-4")
    for class_id in sorted({m.class_id for m in marks}):
        await _check_class(runtime, principal, class_id)
    return await _save(request, runtime, principal, day, marks, {"csv": content})


@router.get("/school-days/{day}/classes/{class_id}/register", response_model=Page[MarkPublic])
async def get_register(
    day: date, class_id: Id, runtime: RuntimeDep, principal: AdminClassTeacherOrDutyLeader, params: Paging
) -> Page[MarkPublic]:
    """A class's stored register of a day, by student."""
    await _check_class(runtime, principal, class_id)
    async with runtime.db.sessions() as session:
        rows = await store.marks_of_class(
            session, class_id=class_id, day=day, after=params.after_value(str), limit=params.limit + 1
        )
    return page_of_rows(MarkPublic, rows, params, lambda item: item.student_id)


@router.get("/missing-from-session", response_model=Page[AlertPublic])
async def list_alerts(
    runtime: RuntimeDep, principal: AdminOrDutyLeader, day: OnDate, params: Paging
) -> Page[AlertPublic]:
    """BX-4: the school's children alerted as at school but missing from a session, on a day."""
    after = params.after_pair(str, str)
    async with runtime.db.sessions() as session:
        rows = await store.alerts_of_day(
            session, school_id=principal.school(), day=day, after=after, limit=params.limit + 1
        )
    return page_of_rows(AlertPublic, rows, params, lambda item: (item.session_id, item.student_id))
