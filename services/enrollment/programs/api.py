"""HTTP routes of programs under `/enrollment/v1` (EN-4, EN-5, EN-6).

A school admin publishes, changes and cancels the programs of the school in their token; staff and guardians of
that school read them (a guardian chooses clubs from this menu). Another school's programs answer 404.
"""

from __future__ import annotations

from datetime import date, time
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from chassis.app import RuntimeDep
from chassis.auth import Principal, Role, require
from chassis.http import Body, Id, Name, Paging, SchoolAdmin, once
from chassis.idempotency import IDEMPOTENT
from chassis.pagination import Page, page_of
from chassis.problems import NotFound
from chassis.uow import UnitOfWork
from contracts.enrollment import ProgramKind
from services.enrollment.places.store import counts_by_program
from services.enrollment.programs import handlers
from services.enrollment.programs.store import programs_page
from services.enrollment.store import Program, program_in_school

router = APIRouter(prefix="/enrollment/v1", tags=["programs"])

AnyStaffOrGuardian = Annotated[
    Principal,
    require(
        Role.SCHOOL_ADMIN,
        Role.CLASS_TEACHER,
        Role.SERVICE_TEACHER,
        Role.SUBJECT_TEACHER,
        Role.DUTY_LEADER,
        Role.GUARDIAN,
    ),
]
Grade = Annotated[int, Field(ge=1, le=9)]


class ProgramFields(Body):
    """What a school sets about a program (EN-4, EN-5)."""

    name: Name
    capacity: int = Field(ge=1, le=2000, description="places (a club never holds more children, BX-1)")
    room_id: Id | None = None
    teacher_ids: list[Id] = Field(default_factory=list, max_length=20, description="school staff or provider ids")
    weekdays: list[int] = Field(min_length=1, max_length=5, description="0 = Monday … 4 = Friday (EN-5)")
    starts_at: time
    class_hours: int = Field(ge=1, le=8, description="length in class-hours of the school's length (EN-5)")
    min_grade: Grade
    max_grade: Grade
    specialty: bool = Field(default=False, description="ST-2: a specialty program earns the supplement")

    def details(self) -> handlers.ProgramDetails:
        """The command's view of these fields."""
        return handlers.ProgramDetails(
            name=self.name,
            capacity=self.capacity,
            weekdays=list(self.weekdays),
            starts_at=self.starts_at,
            class_hours=self.class_hours,
            min_grade=self.min_grade,
            max_grade=self.max_grade,
            room_id=self.room_id,
            teacher_ids=tuple(self.teacher_ids),
            specialty=self.specialty,
        )


class ProgramCreate(ProgramFields):
    """A new program of a term: the base service, a club, or an optional service the policy offers (EN-6)."""

    id: Id | None = None
    term_id: Id
    kind: ProgramKind


class ProgramChange(ProgramFields):
    """The program's new details; its kind and term stay."""


class CancellationCreate(Body):
    """When the program stops (today when not given)."""

    effective_on: date | None = None


class ProgramPublic(BaseModel):
    """A program, with its places held and waitlist length."""

    program_id: str
    school_id: str
    term_id: str
    kind: ProgramKind
    name: str
    capacity: int
    room_id: str | None
    teacher_ids: list[str]
    weekdays: list[int]
    starts_at: time
    class_hours: int
    min_grade: int
    max_grade: int
    specialty: bool
    cancelled_on: date | None
    places_taken: int = 0
    waitlisted: int = 0


def _public(program: Program, taken: dict[str, int], waiting: dict[str, int]) -> ProgramPublic:
    public = ProgramPublic.model_validate(program, from_attributes=True)
    return public.model_copy(
        update={"places_taken": taken.get(program.program_id, 0), "waitlisted": waiting.get(program.program_id, 0)}
    )


async def _answer(uow: UnitOfWork, program: Program) -> dict[str, Any]:
    taken, waiting = await counts_by_program(uow.session, [program.program_id])
    return _public(program, taken, waiting).model_dump(mode="json")


@router.post("/programs", status_code=201, response_model=ProgramPublic, dependencies=[IDEMPOTENT])
async def post_program(
    body: ProgramCreate, request: Request, runtime: RuntimeDep, principal: SchoolAdmin
) -> JSONResponse:
    """EN-4/EN-5/EN-6: publish a program in the caller's school (→ ProgramScheduled)."""
    command = handlers.ScheduleProgram(
        school_id=principal.school(), term_id=body.term_id, kind=body.kind, details=body.details(), program_id=body.id
    )

    async def act(uow: UnitOfWork) -> dict[str, Any]:
        return await _answer(uow, await handlers.schedule_program(uow, command))

    return await once(request, runtime, principal, body, act)


@router.put("/programs/{program_id}", response_model=ProgramPublic, dependencies=[IDEMPOTENT])
async def put_program(
    program_id: str, body: ProgramChange, request: Request, runtime: RuntimeDep, principal: SchoolAdmin
) -> JSONResponse:
    """EN-4/BX-1: change a program (→ ProgramScheduled); a capacity below the places held is a 422."""
    command = handlers.ChangeProgram(school_id=principal.school(), program_id=program_id, details=body.details())

    async def act(uow: UnitOfWork) -> dict[str, Any]:
        return await _answer(uow, await handlers.change_program(uow, command))

    return await once(request, runtime, principal, body, act, status=200)


@router.post("/programs/{program_id}/cancellation", response_model=ProgramPublic, dependencies=[IDEMPOTENT])
async def post_cancellation(
    program_id: str, body: CancellationCreate, request: Request, runtime: RuntimeDep, principal: SchoolAdmin
) -> JSONResponse:
    """Cancel a program (→ ClubPlaceReleased for each place, ProgramCancelled)."""
    command = handlers.CancelProgram(
        school_id=principal.school(), program_id=program_id, effective_on=body.effective_on
    )

    async def act(uow: UnitOfWork) -> dict[str, Any]:
        return await _answer(uow, await handlers.cancel_program(uow, command))

    return await once(request, runtime, principal, body, act, status=200)


@router.get("/programs", response_model=Page[ProgramPublic])
async def get_programs(
    runtime: RuntimeDep,
    principal: AnyStaffOrGuardian,
    page: Paging,
    term_id: Annotated[str | None, Query(max_length=64)] = None,
    kind: ProgramKind | None = None,
) -> Page[ProgramPublic]:
    """The programs of the caller's school (the menu guardians choose clubs from), by id."""
    async with runtime.db.sessions() as session:
        rows = await programs_page(
            session,
            school_id=principal.school(),
            term_id=term_id,
            kind=kind,
            after=page.after_value(str),
            limit=page.limit + 1,
        )
        taken, waiting = await counts_by_program(session, [p.program_id for p in rows])
    return page_of([_public(p, taken, waiting) for p in rows], page, lambda p: p.program_id)


@router.get("/programs/{program_id}", response_model=ProgramPublic)
async def get_program(program_id: str, runtime: RuntimeDep, principal: AnyStaffOrGuardian) -> ProgramPublic:
    """One program of the caller's school."""
    async with runtime.db.sessions() as session:
        program = await program_in_school(session, school_id=principal.school(), program_id=program_id)
        if program is None:
            raise NotFound(f"no program '{program_id}' in this school")
        taken, waiting = await counts_by_program(session, [program_id])
    return _public(program, taken, waiting)
