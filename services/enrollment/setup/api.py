"""HTTP routes of the school's set-up under `/enrollment/v1`: terms and calendar, bands, rooms, staff, teaching.

A school admin changes the set-up of the school in their token; every member of that school's staff reads it.
Another school's rows answer 404, as if they did not exist.
"""

from __future__ import annotations

from collections.abc import Awaitable
from datetime import date
from functools import partial
from typing import Annotated, Any, Protocol, TypeVar

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy.orm import InstrumentedAttribute

from chassis.app import RuntimeDep
from chassis.auth import Principal, Role, require
from chassis.http import Body, Paging, SchoolAdmin, once, once_answering
from chassis.idempotency import IDEMPOTENT
from chassis.pagination import Page, PageParams, page_of, page_of_rows
from chassis.problems import NotFound
from chassis.uow import UnitOfWork
from services.enrollment import store as roster
from services.enrollment.domain.calendar import calendar
from services.enrollment.fields import BandKey, ClassKey, RoomKey, StaffKey, TermKey
from services.enrollment.setup import handlers, store
from services.enrollment.setup.schemas import (
    BandCreate,
    BandFields,
    BandPublic,
    CalendarDayPublic,
    ClassTeacherBody,
    ClassTeacherPublic,
    MyClass,
    RoomCreate,
    RoomFields,
    RoomPublic,
    StaffCreate,
    StaffFields,
    StaffPublic,
    TeachingBody,
    TeachingPublic,
    TermCalendar,
    TermCreate,
    TermFields,
    TermPublic,
)

P = TypeVar("P", bound=BaseModel)
B = TypeVar("B", bound=BaseModel)
B_contra = TypeVar("B_contra", bound=BaseModel, contravariant=True)

router = APIRouter(prefix="/enrollment/v1", tags=["setup"])

SCHOOL_STAFF = (Role.SCHOOL_ADMIN, Role.CLASS_TEACHER, Role.SERVICE_TEACHER, Role.SUBJECT_TEACHER, Role.DUTY_LEADER)
"""Every staff role of a school, in the order the guards name them."""
AnyStaff = Annotated[Principal, require(*SCHOOL_STAFF)]


def _term(term: store.Term) -> dict[str, Any]:
    return handlers.term_event(term).model_dump(mode="json") | {"external_id": term.external_id}


async def _set_term(
    request: Request, runtime: RuntimeDep, principal: Principal, body: TermFields, term_id: str | None, create: bool
) -> JSONResponse:
    async def act(uow: UnitOfWork) -> dict[str, Any]:
        return _term(await handlers.set_term(uow, body, school_id=principal.school(), key=term_id, create=create))

    return await once(request, runtime, principal, body, act, status=201 if create else 200)


class _Define(Protocol[B_contra]):
    """A set-up handler: creates (`create`) or changes the row `key` of a school from a request body."""

    def __call__(
        self, uow: UnitOfWork, body: B_contra, /, *, school_id: str, key: str | None, create: bool
    ) -> Awaitable[object]: ...


async def _define(
    request: Request,
    runtime: RuntimeDep,
    principal: Principal,
    body: B,
    handle: _Define[B],
    answer: type[BaseModel],
    *,
    key: str | None,
    create: bool,
) -> JSONResponse:
    """Create (201) or change (200) a row of the school's set-up with `handle`, once per `Idempotency-Key`."""
    define = partial(handle, school_id=principal.school(), key=key, create=create)
    return await once_answering(request, runtime, principal, body, define, body, answer, status=201 if create else 200)


@router.post("/terms", status_code=201, response_model=TermPublic, dependencies=[IDEMPOTENT])
async def post_term(body: TermCreate, request: Request, runtime: RuntimeDep, principal: SchoolAdmin) -> JSONResponse:
    """EN-5: create a term of the caller's school with its holidays, make-up days and winter period."""
    return await _set_term(request, runtime, principal, body, body.id, create=True)


@router.put("/terms/{term_id}", response_model=TermPublic, dependencies=[IDEMPOTENT])
async def put_term(
    term_id: TermKey, body: TermFields, request: Request, runtime: RuntimeDep, principal: SchoolAdmin
) -> JSONResponse:
    """EN-5: change a term's dates or calendar (announced again; the latest replaces the earlier)."""
    return await _set_term(request, runtime, principal, body, term_id, create=False)


@router.get("/terms", response_model=Page[TermPublic])
async def get_terms(runtime: RuntimeDep, principal: AnyStaff, page: Paging) -> Page[dict[str, Any]]:
    """The caller's school's terms, by id."""
    async with runtime.db.sessions() as session:
        rows = await store.page_in_school(
            session,
            store.Term,
            school_id=principal.school(),
            key=store.Term.term_id,
            after=page.after_value(str),
            limit=page.limit,
        )
    return page_of([_term(t) for t in rows], page, lambda t: str(t["term_id"]))


async def _term_of(runtime: RuntimeDep, principal: Principal, term_id: TermKey) -> store.Term:
    async with runtime.db.sessions() as session:
        term = await store.term_in_school(session, school_id=principal.school(), term_id=term_id)
    if term is None:
        raise NotFound(f"no term '{term_id}' in this school")
    return term


@router.get("/terms/{term_id}", response_model=TermPublic)
async def get_term(term_id: TermKey, runtime: RuntimeDep, principal: AnyStaff) -> dict[str, Any]:
    """A term of the caller's school."""
    return _term(await _term_of(runtime, principal, term_id))


@router.get("/terms/{term_id}/calendar", response_model=TermCalendar)
async def get_term_calendar(
    term_id: TermKey,
    runtime: RuntimeDep,
    principal: AnyStaff,
    first: Annotated[date | None, Query(alias="from", description="first day (default: the term's start)")] = None,
    last: Annotated[date | None, Query(alias="to", description="last day (default: the term's end)")] = None,
) -> TermCalendar:
    """EN-5: each day's kind (school day, weekend, holiday, vacation) and whether the winter timetable applies."""
    term = handlers.term_event(await _term_of(runtime, principal, term_id))
    with handlers.refusing():
        days = calendar(term, first or term.starts_on, last or term.ends_on)
    return TermCalendar(
        term_id=term.term_id, days=[CalendarDayPublic(day=d.day, kind=d.kind, winter=d.winter) for d in days]
    )


async def _page_of_school(
    runtime: RuntimeDep,
    principal: Principal,
    page: PageParams,
    table: type[Any],
    key: InstrumentedAttribute[str],
    public: type[P],
) -> Page[P]:
    """A keyset page of the caller's school's rows of `table`, by `key`, as `public` items."""
    async with runtime.db.sessions() as session:
        rows = await store.page_in_school(
            session,
            table,
            school_id=principal.school(),
            key=key,
            after=page.after_value(str),
            limit=page.limit,
        )
    return page_of_rows(public, rows, page, lambda item: str(getattr(item, key.key)))


@router.post("/grade-bands", status_code=201, response_model=BandPublic, dependencies=[IDEMPOTENT])
async def post_band(body: BandCreate, request: Request, runtime: RuntimeDep, principal: SchoolAdmin) -> JSONResponse:
    """AT-4: define a grade band; bands of a school never share a grade."""
    return await _define(request, runtime, principal, body, handlers.define_band, BandPublic, key=body.id, create=True)


@router.put("/grade-bands/{band_id}", response_model=BandPublic, dependencies=[IDEMPOTENT])
async def put_band(
    band_id: BandKey, body: BandFields, request: Request, runtime: RuntimeDep, principal: SchoolAdmin
) -> JSONResponse:
    """AT-4: change a grade band."""
    return await _define(request, runtime, principal, body, handlers.define_band, BandPublic, key=band_id, create=False)


@router.get("/grade-bands", response_model=Page[BandPublic])
async def get_bands(runtime: RuntimeDep, principal: AnyStaff, page: Paging) -> Page[BandPublic]:
    """The caller's school's grade bands, by id."""
    return await _page_of_school(runtime, principal, page, store.GradeBand, store.GradeBand.band_id, BandPublic)


@router.post("/rooms", status_code=201, response_model=RoomPublic, dependencies=[IDEMPOTENT])
async def post_room(body: RoomCreate, request: Request, runtime: RuntimeDep, principal: SchoolAdmin) -> JSONResponse:
    """Define a room of the caller's school (AT-6: flag the reception room)."""
    return await _define(request, runtime, principal, body, handlers.define_room, RoomPublic, key=body.id, create=True)


@router.put("/rooms/{room_id}", response_model=RoomPublic, dependencies=[IDEMPOTENT])
async def put_room(
    room_id: RoomKey, body: RoomFields, request: Request, runtime: RuntimeDep, principal: SchoolAdmin
) -> JSONResponse:
    """Change a room."""
    return await _define(request, runtime, principal, body, handlers.define_room, RoomPublic, key=room_id, create=False)


@router.get("/rooms", response_model=Page[RoomPublic])
async def get_rooms(runtime: RuntimeDep, principal: AnyStaff, page: Paging) -> Page[RoomPublic]:
    """The caller's school's rooms, by id."""
    return await _page_of_school(runtime, principal, page, store.Room, store.Room.room_id, RoomPublic)


@router.post("/staff", status_code=201, response_model=StaffPublic, dependencies=[IDEMPOTENT])
async def post_staff(body: StaffCreate, request: Request, runtime: RuntimeDep, principal: SchoolAdmin) -> JSONResponse:
    """Register a member of staff (or an external provider's teacher) with their roles."""
    register = handlers.register_staff
    return await _define(request, runtime, principal, body, register, StaffPublic, key=body.id, create=True)


@router.put("/staff/{staff_id}", response_model=StaffPublic, dependencies=[IDEMPOTENT])
async def put_staff(
    staff_id: StaffKey, body: StaffFields, request: Request, runtime: RuntimeDep, principal: SchoolAdmin
) -> JSONResponse:
    """Change a member of staff's name or roles (a role still in use cannot be removed: 409)."""
    register = handlers.register_staff
    return await _define(request, runtime, principal, body, register, StaffPublic, key=staff_id, create=False)


@router.get("/staff", response_model=Page[StaffPublic])
async def get_staff_list(runtime: RuntimeDep, principal: AnyStaff, page: Paging) -> Page[StaffPublic]:
    """The caller's school's staff, by id."""
    return await _page_of_school(runtime, principal, page, store.StaffMember, store.StaffMember.staff_id, StaffPublic)


@router.get("/staff/{staff_id}", response_model=StaffPublic)
async def get_staff(staff_id: StaffKey, runtime: RuntimeDep, principal: AnyStaff) -> StaffPublic:
    """A member of the caller's school's staff."""
    async with runtime.db.sessions() as session:
        staff = await store.staff_in_school(session, school_id=principal.school(), staff_id=staff_id)
    if staff is None:
        raise NotFound(f"no member of staff '{staff_id}' in this school")
    return StaffPublic.model_validate(staff, from_attributes=True)


@router.get("/me/classes", response_model=Page[MyClass])
async def get_my_classes(
    runtime: RuntimeDep,
    principal: Annotated[Principal, require(Role.CLASS_TEACHER, Role.SUBJECT_TEACHER)],
    page: Paging,
) -> Page[MyClass]:
    """The classes the calling teacher leads (班主任) or teaches a subject to, by class id: what their page starts
    from (AT-1 handover, AT-3 leave, HW-4 homework)."""
    async with runtime.db.sessions() as session:
        rows = await store.classes_of_teacher(
            session,
            school_id=principal.school(),
            staff_id=principal.subject,
            after=page.after_value(str),
            limit=page.limit + 1,
        )
    items = [
        MyClass(class_id=c.class_id, grade=c.grade, name=c.name, leads=leads, subjects=subjects)
        for c, leads, subjects in rows
    ]
    return page_of(items, page, lambda c: c.class_id)


@router.put("/classes/{class_id}/class-teacher", response_model=ClassTeacherPublic, dependencies=[IDEMPOTENT])
async def put_class_teacher(
    class_id: ClassKey, body: ClassTeacherBody, request: Request, runtime: RuntimeDep, principal: SchoolAdmin
) -> JSONResponse:
    """EN-1/AT-1: make a member of staff holding the class_teacher role the class teacher of a class."""
    assign = partial(handlers.assign_class_teacher, school_id=principal.school(), class_id=class_id)
    return await once_answering(request, runtime, principal, body, assign, body, ClassTeacherPublic, status=200)


async def _class_of(runtime: RuntimeDep, principal: Principal, class_id: ClassKey) -> str:
    """The stored id of the caller's school's class that `class_id` (stored id or school code) names, or a 404."""
    async with runtime.db.sessions() as session:
        found = await roster.in_school(session, roster.SchoolClass, school_id=principal.school(), key=class_id)
    if found is None:
        raise NotFound(f"no class '{class_id}' in this school")
    return found.class_id


@router.get("/classes/{class_id}/class-teacher", response_model=ClassTeacherPublic)
async def get_class_teacher(class_id: ClassKey, runtime: RuntimeDep, principal: AnyStaff) -> ClassTeacherPublic:
    """The class teacher of a class of the caller's school."""
    class_id = await _class_of(runtime, principal, class_id)
    async with runtime.db.sessions() as session:
        staff_id = await store.class_teacher_of(session, class_id=class_id)
    if staff_id is None:
        raise NotFound(f"class '{class_id}' has no class teacher yet")
    return ClassTeacherPublic(class_id=class_id, staff_id=staff_id)


@router.post("/classes/{class_id}/teachings", status_code=201, response_model=TeachingPublic, dependencies=[IDEMPOTENT])
async def post_teaching(
    class_id: ClassKey, body: TeachingBody, request: Request, runtime: RuntimeDep, principal: SchoolAdmin
) -> JSONResponse:
    """HW-4: a subject teacher teaches a subject to the class (so may set its homework)."""
    teach = partial(handlers.assign_teaching, school_id=principal.school(), class_id=class_id)
    return await once_answering(request, runtime, principal, body, teach, body, TeachingPublic)


@router.get("/classes/{class_id}/teachings", response_model=Page[TeachingPublic])
async def get_teachings(
    class_id: ClassKey, runtime: RuntimeDep, principal: AnyStaff, page: Paging
) -> Page[TeachingPublic]:
    """Who teaches which subject to a class of the caller's school (cursor `staff_id|school_subject`)."""
    class_id = await _class_of(runtime, principal, class_id)
    async with runtime.db.sessions() as session:
        rows = await store.teachings_of(session, class_id=class_id, after=page.after_pair(str, str), limit=page.limit)
    return page_of_rows(TeachingPublic, rows, page, lambda t: (t.staff_id, t.school_subject))


@router.delete(
    "/classes/{class_id}/teachings/{staff_id}/{school_subject}",
    response_model=TeachingPublic,
    dependencies=[IDEMPOTENT],
)
async def delete_teaching(
    class_id: ClassKey,
    staff_id: StaffKey,
    school_subject: str,
    request: Request,
    runtime: RuntimeDep,
    principal: SchoolAdmin,
) -> JSONResponse:
    """HW-4: the teacher no longer teaches the subject to the class; answers what was removed."""
    school_id = principal.school()

    async def act(uow: UnitOfWork) -> dict[str, Any]:
        teaching = await handlers.unassign_teaching(
            uow, school_id=school_id, class_id=class_id, staff_id=staff_id, school_subject=school_subject
        )
        return TeachingPublic.model_validate(teaching, from_attributes=True).model_dump()

    return await once(request, runtime, principal, Body(), act, status=200)
