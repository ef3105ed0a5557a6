"""HTTP routes of who may collect a child under `/enrollment/v1` (BX-2, AT-5), and who may see a child at all."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from functools import partial
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from sqlalchemy.ext.asyncio import AsyncSession

from chassis.app import Runtime, RuntimeDep
from chassis.auth import Principal, Role, require
from chassis.http import Create, SchoolAdmin, dump, once
from chassis.idempotency import IDEMPOTENT
from chassis.problems import Forbidden, NotFound, Unprocessable
from chassis.uow import UnitOfWork
from services.enrollment import store as shared
from services.enrollment.domain import roster
from services.enrollment.fields import PersonKey, StudentKey
from services.enrollment.pickups import handlers, store
from services.enrollment.pickups.schemas import (
    PickupCreate,
    PickupPublic,
    PickupsPublic,
    RestrictionCreate,
    WalkHomePublic,
    WalkHomeSet,
)
from services.enrollment.privacy.store import record_read
from services.enrollment.setup.store import class_teacher_of

AdminClassTeacherOrGuardian = Annotated[Principal, require(Role.SCHOOL_ADMIN, Role.CLASS_TEACHER, Role.GUARDIAN)]
GuardianOrAdmin = Annotated[Principal, require(Role.GUARDIAN, Role.SCHOOL_ADMIN)]

router = APIRouter(prefix="/enrollment/v1", tags=["roster"])
B = TypeVar("B", bound=Create)


async def visible_student(
    session: AsyncSession, principal: Principal, student_id: StudentKey
) -> tuple[shared.Student, list[str]]:
    """The child, if the caller may see them: their school's admin, their class teacher, their guardians."""
    student = await shared.in_school(session, shared.Student, school_id=principal.school(), key=student_id)
    guardian_ids = await shared.guardians_of(session, student_id=student.student_id) if student else []
    if student is not None and principal.role is Role.CLASS_TEACHER:
        visible = await class_teacher_of(session, class_id=student.class_id) == principal.subject
    elif student is not None and principal.role is Role.GUARDIAN:
        visible = principal.subject in guardian_ids
    else:
        visible = student is not None and principal.role is Role.SCHOOL_ADMIN
    if student is None or not visible:
        raise NotFound(f"no student '{student_id}' for this caller")
    return student, guardian_ids


@router.get("/students/{student_id}/pickups", response_model=PickupsPublic)
async def get_pickups(
    student_id: StudentKey, request: Request, runtime: RuntimeDep, principal: AdminClassTeacherOrGuardian
) -> PickupsPublic:
    """BX-2/AT-5: who may collect the child, who must never, and the walk-home permission. Only the school admin
    sees ID numbers and custody notes unmasked, and each time is logged (PIPL, `/sensitive-reads`)."""
    admin = principal.role is Role.SCHOOL_ADMIN
    async with runtime.db.sessions() as session:
        student_id = (await visible_student(session, principal, student_id))[0].student_id
        people = [p for p in await store.pickups_of(session, student_id=student_id) if p.status != roster.REMOVED]
        permission = await session.get(store.WalkHomePermission, student_id)
        shown = sorted({f for p in people for f in SENSITIVE if getattr(p, f)}) if admin else []
        if shown:
            record_read(
                session,
                school_id=principal.school(),
                student_id=student_id,
                reader_id=principal.subject,
                reader_role=principal.role.value,
                fields=shown,
                route=getattr(request.scope.get("route"), "path", request.url.path),
                at=runtime.clock.now(),
            )
            await session.commit()  # logged before anything is shown
    public = [_pickup_public(p, admin) for p in people]
    return PickupsPublic(
        student_id=student_id,
        authorised=[p for p in public if p.status == roster.AUTHORISED],
        restricted=[p for p in public if p.status == roster.RESTRICTED],
        walk_home=WalkHomePublic.model_validate(permission, from_attributes=True) if permission else None,
    )


SENSITIVE = ("id_number", "note")
"""A pickup person's fields only the school admin reads unmasked (PIPL)."""


def _pickup_public(person: shared.PickupPerson, admin: bool) -> PickupPublic:
    public = PickupPublic.model_validate(person, from_attributes=True)
    if admin:
        return public
    return masked(public)


def masked(public: PickupPublic) -> PickupPublic:
    """The ID number's last four digits and no custody note: what a non-admin reads, and what a write answers (the
    answer is kept for retries, so it must hold nothing sensitive)."""
    return public.model_copy(update={"id_number": roster.masked_id_number(public.id_number), "note": None})


async def _store_person(
    request: Request,
    runtime: Runtime,
    principal: Principal,
    body: B,
    handle: Callable[[UnitOfWork, B], Awaitable[shared.PickupPerson]],
) -> JSONResponse:
    """Store an authorised or restricted person once per key, answering them masked (kept for retries)."""

    async def act(uow: UnitOfWork) -> dict[str, Any]:
        return dump(PickupPublic, _pickup_public(await handle(uow, body), admin=False))

    return await once(request, runtime, principal, body, act)


@router.post("/students/{student_id}/pickups", status_code=201, response_model=PickupPublic, dependencies=[IDEMPOTENT])
async def post_pickup(
    student_id: StudentKey, body: PickupCreate, request: Request, runtime: RuntimeDep, principal: SchoolAdmin
) -> JSONResponse:
    """BX-2/AT-5: authorise an adult to collect the child; a restricted person's credential is a 409."""
    add = partial(handlers.add_pickup_person, school_id=principal.school(), student_id=student_id)
    return await _store_person(request, runtime, principal, body, add)


@router.delete("/students/{student_id}/pickups/{person_id}", status_code=204)
async def delete_pickup(
    student_id: StudentKey, person_id: PersonKey, runtime: RuntimeDep, principal: SchoolAdmin
) -> Response:
    """The adult may no longer collect the child (`PickupPersonRemoved`)."""
    async with runtime.uow() as uow:
        await handlers.remove_pickup_person(
            uow, school_id=principal.school(), student_id=student_id, person_id=person_id
        )
        await uow.commit()
    return Response(status_code=204)


@router.post(
    "/students/{student_id}/restricted-persons", status_code=201, response_model=PickupPublic, dependencies=[IDEMPOTENT]
)
async def post_restriction(
    student_id: StudentKey, body: RestrictionCreate, request: Request, runtime: RuntimeDep, principal: SchoolAdmin
) -> JSONResponse:
    """BX-2: a person who must never collect the child (`PickupPersonRestricted`; the note is never published)."""
    restrict = partial(handlers.restrict_pickup_person, school_id=principal.school(), student_id=student_id)
    return await _store_person(request, runtime, principal, body, restrict)


@router.put("/students/{student_id}/walk-home", response_model=WalkHomePublic, dependencies=[IDEMPOTENT])
async def put_walk_home(
    student_id: StudentKey, body: WalkHomeSet, request: Request, runtime: RuntimeDep, principal: GuardianOrAdmin
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
    school_id = principal.school()

    async def act(uow: UnitOfWork) -> dict[str, Any]:
        if principal.role is Role.GUARDIAN:
            await visible_student(uow.session, principal, student_id)
        permission = await handlers.set_walk_home_permission(
            uow, body, school_id=school_id, student_id=student_id, guardian_id=guardian_id, by=principal.subject
        )
        return dump(WalkHomePublic, permission)

    return await once(request, runtime, principal, body, act, status=200)
