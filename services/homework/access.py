"""Who may see what: the school comes from the token; a class teacher sees their class, a subject teacher the
classes they teach, service teachers and the school admin the whole school, a guardian only their own child."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.ext.asyncio import AsyncSession

from chassis.app import Runtime
from chassis.auth import Principal, Role, require
from chassis.idempotency import respond_once
from chassis.problems import NotFound, Unprocessable
from chassis.uow import UnitOfWork
from services.homework import store

Id = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9._:-]+$")]

SubjectTeacher = Annotated[Principal, require(Role.SUBJECT_TEACHER)]
ServiceTeacher = Annotated[Principal, require(Role.SERVICE_TEACHER)]
ClassCoordinator = Annotated[Principal, require(Role.CLASS_TEACHER, Role.SCHOOL_ADMIN)]
Staff = Annotated[Principal, require(Role.CLASS_TEACHER, Role.SUBJECT_TEACHER, Role.SERVICE_TEACHER, Role.SCHOOL_ADMIN)]
StaffOrGuardian = Annotated[
    Principal,
    require(Role.CLASS_TEACHER, Role.SUBJECT_TEACHER, Role.SERVICE_TEACHER, Role.SCHOOL_ADMIN, Role.GUARDIAN),
]
TEACHERS = frozenset({Role.CLASS_TEACHER, Role.SUBJECT_TEACHER, Role.SERVICE_TEACHER})


class Body(BaseModel):
    """Request bodies refuse unknown fields, so a typo is a 422 rather than silently ignored."""

    model_config = ConfigDict(extra="forbid")


async def class_for(session: AsyncSession, principal: Principal, class_id: str) -> store.SchoolClass:
    """The class, if the caller may see it; 404 otherwise (another school's class is never revealed)."""
    school_class = await store.get_class(session, school_id=principal.school(), class_id=class_id)
    if school_class is not None and await _may_see(session, principal, school_class):
        return school_class
    raise NotFound(f"no class '{class_id}' for you")


async def _may_see(session: AsyncSession, principal: Principal, school_class: store.SchoolClass) -> bool:
    if principal.role in (Role.SCHOOL_ADMIN, Role.SERVICE_TEACHER):
        return True
    if principal.role is Role.CLASS_TEACHER:
        return school_class.class_teacher_id == principal.subject
    if principal.role is Role.SUBJECT_TEACHER:
        return await store.teaches(session, class_id=school_class.class_id, staff_id=principal.subject)
    if principal.role is Role.GUARDIAN:
        return await store.guardian_in_class(session, guardian_id=principal.subject, class_id=school_class.class_id)
    return False


async def student_for(session: AsyncSession, principal: Principal, student_id: str) -> store.Student:
    """The child, if the caller is their guardian, their class's teacher or the school; 404 otherwise."""
    student = await session.get(store.Student, student_id)
    if student is not None and student.school_id == principal.school() and student.class_id is not None:
        if principal.role is Role.GUARDIAN:
            if await store.is_guardian(
                session, guardian_id=principal.subject, student_id=student_id, school_id=principal.school()
            ):
                return student
        elif await _may_see(session, principal, await _class(session, student.class_id)):
            return student
    raise NotFound(f"no student '{student_id}' for you")


async def _class(session: AsyncSession, class_id: str) -> store.SchoolClass:
    school_class = await session.get(store.SchoolClass, class_id)
    if school_class is None:
        raise NotFound(f"no class '{class_id}'")
    return school_class


async def once(
    request: Request, runtime: Runtime, principal: Principal, body: BaseModel, act: Any, *, status: int = 201
) -> JSONResponse:
    """Run a command in one unit of work, at most once per `Idempotency-Key`, answering `status` and its JSON."""

    async def action(uow: UnitOfWork) -> tuple[int, Any]:
        return status, await act(uow)

    return await respond_once(runtime, request, principal, body.model_dump(mode="json"), action)


def day_cursor(after: str | None) -> tuple[date, str] | None:
    """A `day|id` page cursor, parsed (422 when malformed)."""
    if after is None:
        return None
    day, _, item_id = after.partition("|")
    try:
        return date.fromisoformat(day), item_id
    except ValueError as error:
        raise Unprocessable("a malformed page cursor") from error
