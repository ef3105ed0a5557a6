"""HTTP routes under `/enrollment/v1`: the roster a school keeps, as commands (EN-8, EN-3)."""

from __future__ import annotations

from functools import partial
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession

from chassis.app import RuntimeDep
from chassis.auth import Principal, Role, require
from chassis.http import DistrictOperator, Guardian, Paging, SchoolAdmin, dump, once_answering
from chassis.idempotency import IDEMPOTENT
from chassis.openapi import examples
from chassis.pagination import Page, PageParams, page_of_rows
from chassis.problems import Forbidden, NotFound
from services.enrollment import store as shared
from services.enrollment.fields import ChildName, ClassId, GuardianKey, StudentId, StudentKey
from services.enrollment.pickups.api import AdminClassTeacherOrGuardian, GuardianOrAdmin, visible_student
from services.enrollment.roster import handlers, store
from services.enrollment.roster.schemas import (
    ClassCreate,
    ClassPublic,
    GuardianCreate,
    GuardianDetail,
    GuardianLinkCreate,
    GuardianLinkPublic,
    GuardianPublic,
    LeavingCreate,
    PriorityGroupsSet,
    SchoolCreate,
    SchoolPublic,
    StudentCreate,
    StudentPublic,
    TransferCreate,
)
from services.enrollment.setup.store import class_teacher_of, teachers_of_class

router = APIRouter(prefix="/enrollment/v1", tags=["roster"])

AdminOrClassTeacher = Annotated[Principal, require(Role.SCHOOL_ADMIN, Role.CLASS_TEACHER)]


def _student_json(student: shared.Student, guardian_ids: list[str]) -> dict[str, Any]:
    return {**dump(StudentPublic, student), "guardian_ids": guardian_ids}


@router.post("/schools", status_code=201, response_model=SchoolPublic, dependencies=[IDEMPOTENT])
async def post_school(
    body: SchoolCreate, request: Request, runtime: RuntimeDep, principal: DistrictOperator
) -> JSONResponse:
    """Register a school in the caller's district."""
    if principal.district_id is None:
        raise Forbidden("this token is not bound to a district")
    register = partial(handlers.register_school, district_id=principal.district_id)
    return await once_answering(request, runtime, principal, body, register, body, SchoolPublic)


@router.post("/classes", status_code=201, response_model=ClassPublic, dependencies=[IDEMPOTENT])
async def post_class(body: ClassCreate, request: Request, runtime: RuntimeDep, principal: SchoolAdmin) -> JSONResponse:
    """Set up a class in the caller's school."""
    create = partial(handlers.create_class, school_id=principal.school())
    return await once_answering(request, runtime, principal, body, create, body, ClassPublic)


@router.get("/classes", response_model=Page[ClassPublic])
async def get_classes(runtime: RuntimeDep, principal: SchoolAdmin, page: Paging) -> Page[ClassPublic]:
    """The caller's school's classes by id."""
    async with runtime.db.sessions() as session:
        rows = await store.classes_page(
            session, school_id=principal.school(), after=page.after_value(str), limit=page.limit + 1
        )
    return page_of_rows(ClassPublic, rows, page, lambda c: c.class_id)


@router.post("/students", status_code=201, response_model=StudentPublic, dependencies=[IDEMPOTENT])
async def post_student(
    body: StudentCreate, request: Request, runtime: RuntimeDep, principal: SchoolAdmin
) -> JSONResponse:
    """Enroll a child in a class of the caller's school."""
    enroll = partial(handlers.enroll_student, school_id=principal.school())
    return await once_answering(request, runtime, principal, body, enroll, body, StudentPublic)


@router.get("/students", response_model=Page[StudentPublic])
async def get_students(
    runtime: RuntimeDep,
    principal: AdminOrClassTeacher,
    page: Paging,
    class_id: Annotated[str | None, Query(max_length=64, description="only this class")] = None,
    status: Annotated[Literal["active", "left"] | None, Query(description="only students with this status")] = None,
) -> Page[StudentPublic]:
    """The school's students by id (the school admin: any class; a class teacher: only their own class)."""
    async with runtime.db.sessions() as session:
        class_id = await shared.stored_key(session, shared.SchoolClass, school_id=principal.school(), key=class_id)
        if principal.role is Role.CLASS_TEACHER and (
            class_id is None or await class_teacher_of(session, class_id=class_id) != principal.subject
        ):
            raise Forbidden("a class teacher lists only their own class: give its class_id")
        rows = await store.students_page(
            session,
            school_id=principal.school(),
            class_id=class_id,
            status=status,
            after=page.after_value(str),
            limit=page.limit + 1,
        )
    return page_of_rows(StudentPublic, rows, page, lambda s: s.student_id)


class KioskStudent(BaseModel):
    """A child as the gate kiosk shows them to tap: id, class and name, nothing more (issue 12)."""

    model_config = examples({"student_id": "st-xiaoming", "class_id": "c3-1", "name": "王小明"})

    student_id: StudentId
    class_id: ClassId
    name: ChildName


async def _active_children(
    session: AsyncSession, principal: Principal, class_id: str | None, page: PageParams
) -> Page[KioskStudent]:
    rows = await store.students_page(
        session,
        school_id=principal.school(),
        class_id=class_id,
        status="active",
        after=page.after_value(str),
        limit=page.limit + 1,
    )
    return page_of_rows(KioskStudent, rows, page, lambda s: s.student_id)


@router.get("/kiosk/roster", response_model=Page[KioskStudent])
async def get_kiosk_roster(
    runtime: RuntimeDep, principal: Annotated[Principal, require(Role.KIOSK)], page: Paging
) -> Page[KioskStudent]:
    """The kiosk's school's active children by id, with only what tapping a name needs (no guardians, no
    priority groups): the web kiosk keeps it for offline use."""
    async with runtime.db.sessions() as session:
        return await _active_children(session, principal, None, page)


@router.get("/roster", response_model=Page[KioskStudent])
async def get_teacher_roster(
    runtime: RuntimeDep,
    principal: Annotated[Principal, require(Role.SERVICE_TEACHER, Role.SUBJECT_TEACHER)],
    page: Paging,
    class_id: Annotated[str | None, Query(max_length=64, description="only this class")] = None,
) -> Page[KioskStudent]:
    """The active children a teacher's page names (issue 12), with only id, class and name: a service teacher's
    sessions take children of every class, so any of the school's (HW-7 in session); a subject teacher only a
    class they teach (HW-7 grading), given as `class_id`."""
    async with runtime.db.sessions() as session:
        class_id = await shared.stored_key(session, shared.SchoolClass, school_id=principal.school(), key=class_id)
        teaching = class_id is not None and principal.subject in await teachers_of_class(
            session, school_id=principal.school(), class_id=class_id
        )
        if principal.role is Role.SUBJECT_TEACHER and not teaching:
            raise Forbidden("a subject teacher lists only a class they teach: give its class_id")
        return await _active_children(session, principal, class_id, page)


@router.get("/students/{student_id}", response_model=StudentPublic)
async def get_student(
    student_id: StudentKey, runtime: RuntimeDep, principal: AdminClassTeacherOrGuardian
) -> dict[str, Any]:
    """A child of the caller's school; a guardian sees only their own children, a class teacher their class."""
    async with runtime.db.sessions() as session:
        student, guardian_ids = await visible_student(session, principal, student_id)
    return _student_json(student, guardian_ids)


@router.post(
    "/students/{student_id}/transfer", status_code=200, response_model=StudentPublic, dependencies=[IDEMPOTENT]
)
async def post_transfer(
    student_id: StudentKey, body: TransferCreate, request: Request, runtime: RuntimeDep, principal: SchoolAdmin
) -> JSONResponse:
    """EN-8: move the child to another class of the school (`StudentTransferred`)."""
    transfer = partial(handlers.transfer_student, school_id=principal.school(), student_id=student_id)
    return await once_answering(request, runtime, principal, body, transfer, body, StudentPublic, status=200)


@router.post("/students/{student_id}/leave", status_code=200, response_model=StudentPublic, dependencies=[IDEMPOTENT])
async def post_leaving(
    student_id: StudentKey, body: LeavingCreate, request: Request, runtime: RuntimeDep, principal: SchoolAdmin
) -> JSONResponse:
    """EN-8: the child leaves the school's roster (`StudentLeft`)."""
    leave = partial(handlers.record_leaving, school_id=principal.school(), student_id=student_id)
    return await once_answering(request, runtime, principal, body, leave, body, StudentPublic, status=200)


@router.put("/students/{student_id}/priority-groups", response_model=StudentPublic, dependencies=[IDEMPOTENT])
async def put_priority_groups(
    student_id: StudentKey, body: PriorityGroupsSet, request: Request, runtime: RuntimeDep, principal: SchoolAdmin
) -> JSONResponse:
    """EN-3: record the child's priority groups (used when places are short)."""
    set_groups = partial(handlers.set_priority_groups, school_id=principal.school(), student_id=student_id)
    return await once_answering(request, runtime, principal, body, set_groups, body, StudentPublic, status=200)


@router.post("/guardians", status_code=201, response_model=GuardianPublic, dependencies=[IDEMPOTENT])
async def post_guardian(
    body: GuardianCreate, request: Request, runtime: RuntimeDep, principal: SchoolAdmin
) -> JSONResponse:
    """Record a guardian in the caller's school."""
    register = partial(handlers.register_guardian, school_id=principal.school())
    return await once_answering(request, runtime, principal, body, register, body, GuardianPublic)


@router.get("/guardians/{guardian_id}", response_model=GuardianDetail)
async def get_guardian(guardian_id: GuardianKey, runtime: RuntimeDep, principal: GuardianOrAdmin) -> GuardianDetail:
    """A guardian with phone and children: for the school admin, or the guardian themself."""
    async with runtime.db.sessions() as session:
        guardian = await shared.in_school(session, shared.Guardian, school_id=principal.school(), key=guardian_id)
        if guardian is None or (principal.role is Role.GUARDIAN and principal.subject != guardian.guardian_id):
            raise NotFound(f"no guardian '{guardian_id}' for this caller")
        links = await store.links_of_guardian(session, guardian_id=guardian.guardian_id)
    detail = GuardianDetail.model_validate(guardian, from_attributes=True)
    children = [GuardianLinkPublic.model_validate(link, from_attributes=True) for link in links]
    return detail.model_copy(update={"children": children})


@router.get("/me/children", response_model=Page[StudentPublic])
async def get_my_children(runtime: RuntimeDep, principal: Guardian, page: Paging) -> Page[StudentPublic]:
    """The calling guardian's own children."""
    async with runtime.db.sessions() as session:
        rows = await store.children_page(
            session,
            school_id=principal.school(),
            guardian_id=principal.subject,
            after=page.after_value(str),
            limit=page.limit + 1,
        )
    return page_of_rows(StudentPublic, rows, page, lambda s: s.student_id)


@router.post(
    "/students/{student_id}/guardians", status_code=201, response_model=GuardianLinkPublic, dependencies=[IDEMPOTENT]
)
async def post_guardian_link(
    student_id: StudentKey, body: GuardianLinkCreate, request: Request, runtime: RuntimeDep, principal: SchoolAdmin
) -> JSONResponse:
    """Link a guardian to a child of the caller's school."""
    link = partial(handlers.link_guardian, school_id=principal.school(), student_id=student_id)
    return await once_answering(request, runtime, principal, body, link, body, GuardianLinkPublic)


@router.delete("/students/{student_id}/guardians/{guardian_id}", status_code=204)
async def delete_guardian_link(
    student_id: StudentKey, guardian_id: GuardianKey, runtime: RuntimeDep, principal: SchoolAdmin
) -> Response:
    """End a guardian's link to the child (`GuardianUnlinked`); their pickup authorisation ends with it."""
    async with runtime.uow() as uow:
        await handlers.unlink_guardian(
            uow, school_id=principal.school(), student_id=student_id, guardian_id=guardian_id
        )
        await uow.commit()
    return Response(status_code=204)
