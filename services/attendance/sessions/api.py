"""Session routes under `/attendance/v1`: a school's sessions of a day, and one session."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter
from pydantic import BaseModel, Field

from chassis.app import RuntimeDep
from chassis.auth import Principal, Role, require
from chassis.http import Paging
from chassis.openapi import examples
from chassis.pagination import Page, page_of
from chassis.problems import NotFound
from chassis.records import from_fields
from contracts.fields import SchoolDay, SchoolId, SessionId
from services.attendance.domain.sessions import SessionView
from services.attendance.fields import EndsAt, Kind, OnDate, RoomId, StartsAt, TeacherIds
from services.attendance.sessions import store

router = APIRouter(prefix="/attendance/v1", tags=["sessions"])

AnyStaff = Annotated[
    Principal,
    require(Role.SCHOOL_ADMIN, Role.SERVICE_TEACHER, Role.DUTY_LEADER, Role.CLASS_TEACHER, Role.SUBJECT_TEACHER),
]


class SessionPublic(BaseModel):
    """A session of one day: program, kind, times (UTC), teachers, room and the children expected."""

    model_config = examples(
        {
            "session_id": "homework-g3:2026-11-25",
            "school_id": "shiyan",
            "program_id": "homework-g3",
            "day": "2026-11-25",
            "kind": "homework",
            "starts_at": "2026-11-25T07:30:00Z",
            "ends_at": "2026-11-25T09:20:00Z",
            "teacher_ids": ["li"],
            "room_id": "room-301",
            "expected_student_ids": ["xiaoming", "xiaohong"],
        }
    )

    session_id: SessionId
    school_id: SchoolId
    program_id: str = Field(description="the after-school program (enrollment) the session belongs to")
    day: SchoolDay
    kind: Kind
    starts_at: StartsAt
    ends_at: EndsAt
    teacher_ids: TeacherIds
    room_id: RoomId
    expected_student_ids: list[str] = Field(description="the children enrolled in the program and expected that day")

    @classmethod
    def of(cls, view: SessionView) -> SessionPublic:
        """From the derived view."""
        return from_fields(
            cls, view, teacher_ids=list(view.teacher_ids), expected_student_ids=list(view.expected_student_ids)
        )


@router.get("/sessions", response_model=Page[SessionPublic])
async def list_sessions(runtime: RuntimeDep, principal: AnyStaff, day: OnDate, page: Paging) -> Page[SessionPublic]:
    """The caller's school's sessions of a day (school-local date), by session id."""
    async with runtime.db.sessions() as session:
        views = await store.sessions_of_day(session, school_id=principal.school(), day=day)
    after = page.after_value(str)
    shown = sorted((v for v in views if after is None or v.session_id > after), key=lambda v: v.session_id)
    return page_of([SessionPublic.of(v) for v in shown[: page.limit + 1]], page, lambda s: s.session_id)


@router.get("/sessions/{session_id}", response_model=SessionPublic)
async def get_session(session_id: str, runtime: RuntimeDep, principal: AnyStaff) -> SessionPublic:
    """One session of the caller's school (404 for another school's, or a day it does not run)."""
    async with runtime.db.sessions() as session:
        view = await store.session_of(session, session_id=session_id, school_id=principal.school())
    if view is None:
        raise NotFound(f"no session '{session_id}'")
    return SessionPublic.of(view)
