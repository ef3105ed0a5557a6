"""HTTP routes under `/enrollment/v1`: the roster a school keeps, as commands (EN-8, EN-3, BX-2, AT-5)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.responses import JSONResponse
from sqlalchemy.ext.asyncio import AsyncSession

from chassis.app import RuntimeDep
from chassis.auth import Principal, Role, require
from chassis.clock import school_today
from chassis.pagination import Page, PageParams, page_of, page_params
from chassis.problems import Forbidden, NotFound, Unprocessable
from chassis.uow import UnitOfWork
from services.enrollment import store as shared
from services.enrollment.domain import roster
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
    PickupCreate,
    PickupPublic,
    PickupsPublic,
    PriorityGroupsSet,
    RestrictionCreate,
    SchoolCreate,
    SchoolPublic,
    StudentCreate,
    StudentPublic,
    TransferCreate,
    WalkHomePublic,
    WalkHomeSet,
)
from services.enrollment.setup.store import class_teacher_of
from services.enrollment.web.handlers import once
from services.enrollment.web.schemas import DistrictOperator, RosterReader, SchoolAdmin, dump

router = APIRouter(prefix="/enrollment/v1", tags=["roster"])

Guardian = Annotated[Principal, require(Role.GUARDIAN)]
GuardianOrAdmin = Annotated[Principal, require(Role.GUARDIAN, Role.SCHOOL_ADMIN)]
StaffReader = Annotated[Principal, require(Role.SCHOOL_ADMIN, Role.CLASS_TEACHER)]
Pages = Annotated[PageParams, Depends(page_params)]


def _today(runtime: RuntimeDep) -> date:
    return school_today(runtime.clock)


async def _visible_student(
    session: AsyncSession, principal: Principal, student_id: str
) -> tuple[shared.Student, list[str]]:
    """The child, if the caller may see them: their school's admin, their class teacher, their guardians."""
    student = await shared.in_school(session, shared.Student, school_id=principal.school(), key=student_id)
    guardian_ids = await shared.guardians_of(session, student_id=student_id) if student else []
    if student is not None and principal.role is Role.CLASS_TEACHER:
        visible = await class_teacher_of(session, class_id=student.class_id) == principal.subject
    elif student is not None and principal.role is Role.GUARDIAN:
        visible = principal.subject in guardian_ids
    else:
        visible = student is not None and principal.role is Role.SCHOOL_ADMIN
    if student is None or not visible:
        raise NotFound(f"no student '{student_id}' for this caller")
    return student, guardian_ids


def _student_json(student: shared.Student, guardian_ids: list[str]) -> dict[str, Any]:
    return {**dump(StudentPublic, student), "guardian_ids": guardian_ids}


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


@router.get("/classes", response_model=Page[ClassPublic])
async def get_classes(runtime: RuntimeDep, principal: SchoolAdmin, page: Pages) -> Page[ClassPublic]:
    """The caller's school's classes by id."""
    async with runtime.db.sessions() as session:
        rows = await store.classes_page(session, school_id=principal.school(), after=page.after, limit=page.limit + 1)
    items = [ClassPublic.model_validate(r, from_attributes=True) for r in rows]
    return page_of(items, page, lambda c: c.class_id)


@router.post("/students", status_code=201, response_model=StudentPublic)
async def post_student(
    body: StudentCreate, request: Request, runtime: RuntimeDep, principal: SchoolAdmin
) -> JSONResponse:
    """Enroll a child in a class of the caller's school."""
    command = handlers.EnrollStudent(
        school_id=principal.school(),
        class_id=body.class_id,
        name=body.name,
        student_id=body.id,
        priority_groups=tuple(body.priority_groups),
    )

    async def act(uow: UnitOfWork) -> dict[str, Any]:
        student, _grade = await handlers.enroll_student(uow, command)
        return dump(StudentPublic, student)

    return await once(request, runtime, principal, body, act)


@router.get("/students", response_model=Page[StudentPublic])
async def get_students(
    runtime: RuntimeDep,
    principal: StaffReader,
    page: Pages,
    class_id: Annotated[str | None, Query(max_length=64, description="only this class")] = None,
    status: Annotated[Literal["active", "left"] | None, Query(description="only students with this status")] = None,
) -> Page[StudentPublic]:
    """The school's students by id (the school admin: any class; a class teacher: only their own class)."""
    async with runtime.db.sessions() as session:
        if principal.role is Role.CLASS_TEACHER and (
            class_id is None or await class_teacher_of(session, class_id=class_id) != principal.subject
        ):
            raise Forbidden("a class teacher lists only their own class: give its class_id")
        rows = await store.students_page(
            session,
            school_id=principal.school(),
            class_id=class_id,
            status=status,
            after=page.after,
            limit=page.limit + 1,
        )
    items = [StudentPublic.model_validate(r, from_attributes=True) for r in rows]
    return page_of(items, page, lambda s: s.student_id)


@router.get("/students/{student_id}", response_model=StudentPublic)
async def get_student(student_id: str, runtime: RuntimeDep, principal: RosterReader) -> dict[str, Any]:
    """A child of the caller's school; a guardian sees only their own children, a class teacher their class."""
    async with runtime.db.sessions() as session:
        student, guardian_ids = await _visible_student(session, principal, student_id)
    return _student_json(student, guardian_ids)


@router.post("/students/{student_id}/transfer", status_code=200, response_model=StudentPublic)
async def post_transfer(
    student_id: str, body: TransferCreate, request: Request, runtime: RuntimeDep, principal: SchoolAdmin
) -> JSONResponse:
    """EN-8: move the child to another class of the school (`StudentTransferred`)."""
    command = handlers.TransferStudent(
        school_id=principal.school(),
        student_id=student_id,
        to_class_id=body.to_class_id,
        effective_on=body.effective_on or _today(runtime),
    )

    async def act(uow: UnitOfWork) -> dict[str, Any]:
        return dump(StudentPublic, await handlers.transfer_student(uow, command))

    return await once(request, runtime, principal, body, act, status=200)


@router.post("/students/{student_id}/leave", status_code=200, response_model=StudentPublic)
async def post_leaving(
    student_id: str, body: LeavingCreate, request: Request, runtime: RuntimeDep, principal: SchoolAdmin
) -> JSONResponse:
    """EN-8: the child leaves the school's roster (`StudentLeft`)."""
    command = handlers.RecordLeaving(
        school_id=principal.school(), student_id=student_id, effective_on=body.effective_on or _today(runtime)
    )

    async def act(uow: UnitOfWork) -> dict[str, Any]:
        return dump(StudentPublic, await handlers.record_leaving(uow, command))

    return await once(request, runtime, principal, body, act, status=200)


@router.put("/students/{student_id}/priority-groups", response_model=StudentPublic)
async def put_priority_groups(
    student_id: str, body: PriorityGroupsSet, request: Request, runtime: RuntimeDep, principal: SchoolAdmin
) -> JSONResponse:
    """EN-3: record the child's priority groups (used when places are short)."""
    command = handlers.SetPriorityGroups(
        school_id=principal.school(), student_id=student_id, groups=tuple(body.priority_groups)
    )

    async def act(uow: UnitOfWork) -> dict[str, Any]:
        return dump(StudentPublic, await handlers.set_priority_groups(uow, command))

    return await once(request, runtime, principal, body, act, status=200)


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


@router.get("/guardians/{guardian_id}", response_model=GuardianDetail)
async def get_guardian(guardian_id: str, runtime: RuntimeDep, principal: GuardianOrAdmin) -> GuardianDetail:
    """A guardian with phone and children: for the school admin, or the guardian themself."""
    async with runtime.db.sessions() as session:
        guardian = await shared.in_school(session, shared.Guardian, school_id=principal.school(), key=guardian_id)
        if guardian is None or (principal.role is Role.GUARDIAN and principal.subject != guardian_id):
            raise NotFound(f"no guardian '{guardian_id}' for this caller")
        links = await store.links_of_guardian(session, guardian_id=guardian_id)
    detail = GuardianDetail.model_validate(guardian, from_attributes=True)
    children = [GuardianLinkPublic.model_validate(link, from_attributes=True) for link in links]
    return detail.model_copy(update={"children": children})


@router.get("/me/children", response_model=Page[StudentPublic])
async def get_my_children(runtime: RuntimeDep, principal: Guardian, page: Pages) -> Page[StudentPublic]:
    """The calling guardian's own children."""
    async with runtime.db.sessions() as session:
        rows = await store.children_page(
            session, school_id=principal.school(), guardian_id=principal.subject, after=page.after, limit=page.limit + 1
        )
    items = [StudentPublic.model_validate(r, from_attributes=True) for r in rows]
    return page_of(items, page, lambda s: s.student_id)


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


@router.delete("/students/{student_id}/guardians/{guardian_id}", status_code=204)
async def delete_guardian_link(
    student_id: str, guardian_id: str, runtime: RuntimeDep, principal: SchoolAdmin
) -> Response:
    """End a guardian's link to the child (`GuardianUnlinked`); their pickup authorisation ends with it."""
    command = handlers.UnlinkGuardian(school_id=principal.school(), student_id=student_id, guardian_id=guardian_id)
    async with runtime.uow() as uow:
        await handlers.unlink_guardian(uow, command)
        await uow.commit()
    return Response(status_code=204)


@router.get("/students/{student_id}/pickups", response_model=PickupsPublic)
async def get_pickups(student_id: str, runtime: RuntimeDep, principal: RosterReader) -> PickupsPublic:
    """BX-2/AT-5: who may collect the child, who must never, and the walk-home permission."""
    async with runtime.db.sessions() as session:
        await _visible_student(session, principal, student_id)
        people = await store.pickups_of(session, student_id=student_id)
        permission = await session.get(store.WalkHomePermission, student_id)
    admin = principal.role is Role.SCHOOL_ADMIN
    shown = [_pickup_public(p, admin) for p in people if p.status != roster.REMOVED]
    return PickupsPublic(
        student_id=student_id,
        authorised=[p for p in shown if p.status == roster.AUTHORISED],
        restricted=[p for p in shown if p.status == roster.RESTRICTED],
        walk_home=WalkHomePublic.model_validate(permission, from_attributes=True) if permission else None,
    )


def _pickup_public(person: shared.PickupPerson, admin: bool) -> PickupPublic:
    public = PickupPublic.model_validate(person, from_attributes=True)
    if admin:
        return public
    masked = f"****{person.id_number[-4:]}" if person.id_number else None
    return public.model_copy(update={"id_number": masked, "note": None})


@router.post("/students/{student_id}/pickups", status_code=201, response_model=PickupPublic)
async def post_pickup(
    student_id: str, body: PickupCreate, request: Request, runtime: RuntimeDep, principal: SchoolAdmin
) -> JSONResponse:
    """BX-2/AT-5: authorise an adult to collect the child; a restricted person's credential is a 409."""
    command = handlers.AddPickupPerson(
        school_id=principal.school(),
        student_id=student_id,
        name=body.name,
        relation=body.relation,
        credential_ref=body.credential_ref,
        id_number=body.id_number,
        guardian_id=body.guardian_id,
        person_id=body.id,
    )

    async def act(uow: UnitOfWork) -> dict[str, Any]:
        return dump(PickupPublic, await handlers.add_pickup_person(uow, command))

    return await once(request, runtime, principal, body, act)


@router.delete("/students/{student_id}/pickups/{person_id}", status_code=204)
async def delete_pickup(student_id: str, person_id: str, runtime: RuntimeDep, principal: SchoolAdmin) -> Response:
    """The adult may no longer collect the child (`PickupPersonRemoved`)."""
    async with runtime.uow() as uow:
        await handlers.remove_pickup_person(
            uow, school_id=principal.school(), student_id=student_id, person_id=person_id
        )
        await uow.commit()
    return Response(status_code=204)


@router.post("/students/{student_id}/restricted-persons", status_code=201, response_model=PickupPublic)
async def post_restriction(
    student_id: str, body: RestrictionCreate, request: Request, runtime: RuntimeDep, principal: SchoolAdmin
) -> JSONResponse:
    """BX-2: a person who must never collect the child (`PickupPersonRestricted`; the note is never published)."""
    command = handlers.RestrictPickupPerson(
        school_id=principal.school(),
        student_id=student_id,
        name=body.name,
        relation=body.relation,
        note=body.note,
        credential_ref=body.credential_ref,
        id_number=body.id_number,
        person_id=body.id,
    )

    async def act(uow: UnitOfWork) -> dict[str, Any]:
        return dump(PickupPublic, await handlers.restrict_pickup_person(uow, command))

    return await once(request, runtime, principal, body, act)


@router.put("/students/{student_id}/walk-home", response_model=WalkHomePublic)
async def put_walk_home(
    student_id: str, body: WalkHomeSet, request: Request, runtime: RuntimeDep, principal: GuardianOrAdmin
) -> JSONResponse:
    """AT-5: a guardian (or the admin on a guardian's written behalf, naming them) sets the walk-home permission."""
    if principal.role is Role.GUARDIAN:
        if body.guardian_id not in (None, principal.subject):
            raise Forbidden("a guardian speaks only for themself")
        guardian_id = principal.subject
    elif body.guardian_id is None:
        raise Unprocessable("name the guardian whose written permission this is", rule="AT-5")
    else:
        guardian_id = body.guardian_id
    command = handlers.SetWalkHomePermission(
        school_id=principal.school(),
        student_id=student_id,
        guardian_id=guardian_id,
        allowed=body.allowed,
        effective_from=body.effective_from or _today(runtime),
        set_by=principal.subject,
    )

    async def act(uow: UnitOfWork) -> dict[str, Any]:
        if principal.role is Role.GUARDIAN:
            await _visible_student(uow.session, principal, student_id)
        return dump(WalkHomePublic, await handlers.set_walk_home_permission(uow, command))

    return await once(request, runtime, principal, body, act, status=200)
