"""HTTP routes under `/enrollment/v1`: the roster a school keeps, as commands."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from chassis.app import RuntimeDep
from chassis.auth import Role
from chassis.problems import Forbidden, NotFound
from chassis.uow import UnitOfWork
from services.enrollment import handlers, store
from services.enrollment.web import (
    Body,
    Create,
    DistrictOperator,
    Id,
    Name,
    RosterReader,
    SchoolAdmin,
    dump,
    once,
)

router = APIRouter(prefix="/enrollment/v1", tags=["roster"])


class SchoolCreate(Create):
    """A school to register in the caller's district."""

    name: Annotated[str, Field(min_length=1, max_length=200)]


class ClassCreate(Create):
    """A class of the caller's school."""

    grade: int = Field(description="1–6 primary, 7–9 middle school")
    name: Name


class StudentCreate(Create):
    """A child to enroll in a class of the caller's school."""

    class_id: Id
    name: Name


class GuardianCreate(Create):
    """A guardian of children of the caller's school."""

    name: Name
    phone: Annotated[str, Field(pattern=r"^\+?[0-9 -]{5,20}$")]
    preferred_language: Literal["zh", "en"] = "zh"


class GuardianLinkCreate(Body):
    """Link a guardian to the child."""

    guardian_id: Id
    relation: Annotated[str, Field(min_length=1, max_length=32)]


class SchoolPublic(BaseModel):
    """A registered school."""

    school_id: str
    district_id: str
    name: str
    timezone: str


class ClassPublic(BaseModel):
    """A class."""

    class_id: str
    school_id: str
    grade: int
    name: str


class StudentPublic(BaseModel):
    """A child on the roster, with their guardians' ids."""

    student_id: str
    school_id: str
    class_id: str
    name: str
    guardian_ids: list[str] = []


class GuardianPublic(BaseModel):
    """A guardian."""

    guardian_id: str
    school_id: str
    name: str
    preferred_language: str


class GuardianLinkPublic(BaseModel):
    """A guardian linked to a child."""

    student_id: str
    guardian_id: str
    relation: str


@router.post("/schools", status_code=201, response_model=SchoolPublic)
async def post_school(
    body: SchoolCreate, request: Request, runtime: RuntimeDep, principal: DistrictOperator
) -> JSONResponse:
    """Register a school in the caller's district."""
    if principal.district_id is None:
        raise Forbidden("this token is not bound to a district")
    command = handlers.RegisterSchool(district_id=principal.district_id, name=body.name, school_id=body.id)

    async def act(uow: UnitOfWork) -> dict[str, Any]:
        return dump(SchoolPublic, await handlers.register_school(uow, command))

    return await once(request, runtime, principal, body, act)


@router.post("/classes", status_code=201, response_model=ClassPublic)
async def post_class(body: ClassCreate, request: Request, runtime: RuntimeDep, principal: SchoolAdmin) -> JSONResponse:
    """Set up a class in the caller's school."""
    command = handlers.CreateClass(school_id=principal.school(), grade=body.grade, name=body.name, class_id=body.id)

    async def act(uow: UnitOfWork) -> dict[str, Any]:
        return dump(ClassPublic, await handlers.create_class(uow, command))

    return await once(request, runtime, principal, body, act)


@router.get("/classes", response_model=list[ClassPublic])
async def get_classes(runtime: RuntimeDep, principal: SchoolAdmin) -> list[ClassPublic]:
    """The caller's school's classes."""
    async with runtime.db.sessions() as session:
        rows = await store.classes_of(session, school_id=principal.school())
    return [ClassPublic.model_validate(r, from_attributes=True) for r in rows]


@router.post("/students", status_code=201, response_model=StudentPublic)
async def post_student(
    body: StudentCreate, request: Request, runtime: RuntimeDep, principal: SchoolAdmin
) -> JSONResponse:
    """Enroll a child in a class of the caller's school."""
    command = handlers.EnrollStudent(
        school_id=principal.school(), class_id=body.class_id, name=body.name, student_id=body.id
    )

    async def act(uow: UnitOfWork) -> dict[str, Any]:
        student, _grade = await handlers.enroll_student(uow, command)
        return dump(StudentPublic, student)

    return await once(request, runtime, principal, body, act)


@router.get("/students/{student_id}", response_model=StudentPublic)
async def get_student(student_id: str, runtime: RuntimeDep, principal: RosterReader) -> StudentPublic:
    """A child of the caller's school; a guardian sees only their own children."""
    async with runtime.db.sessions() as session:
        student = await store.in_school(session, store.Student, school_id=principal.school(), key=student_id)
        guardian_ids = await store.guardians_of(session, student_id=student_id) if student else []
    if student is None or (principal.role is Role.GUARDIAN and principal.subject not in guardian_ids):
        raise NotFound(f"no student '{student_id}' for this caller")
    public = StudentPublic.model_validate(student, from_attributes=True)
    return public.model_copy(update={"guardian_ids": guardian_ids})


@router.post("/guardians", status_code=201, response_model=GuardianPublic)
async def post_guardian(
    body: GuardianCreate, request: Request, runtime: RuntimeDep, principal: SchoolAdmin
) -> JSONResponse:
    """Record a guardian in the caller's school."""
    command = handlers.RegisterGuardian(
        school_id=principal.school(),
        name=body.name,
        phone=body.phone,
        preferred_language=body.preferred_language,
        guardian_id=body.id,
    )

    async def act(uow: UnitOfWork) -> dict[str, Any]:
        return dump(GuardianPublic, await handlers.register_guardian(uow, command))

    return await once(request, runtime, principal, body, act)


@router.post("/students/{student_id}/guardians", status_code=201, response_model=GuardianLinkPublic)
async def post_guardian_link(
    student_id: str, body: GuardianLinkCreate, request: Request, runtime: RuntimeDep, principal: SchoolAdmin
) -> JSONResponse:
    """Link a guardian to a child of the caller's school."""
    command = handlers.LinkGuardian(
        school_id=principal.school(), student_id=student_id, guardian_id=body.guardian_id, relation=body.relation
    )

    async def act(uow: UnitOfWork) -> dict[str, Any]:
        return dump(GuardianLinkPublic, await handlers.link_guardian(uow, command))

    return await once(request, runtime, principal, body, act)
