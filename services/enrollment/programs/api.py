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
from pydantic.config import JsonDict

from chassis.app import RuntimeDep
from chassis.auth import Principal, Role, require
from chassis.http import Body, Id, NewId, Paging, SchoolAdmin, once
from chassis.idempotency import IDEMPOTENT
from chassis.openapi import examples
from chassis.pagination import Page, page_of
from chassis.problems import NotFound
from chassis.records import from_fields
from chassis.uow import UnitOfWork
from contracts.enrollment import ProgramKind
from services.enrollment.fields import OnDay, ProgramId, SchoolId, TermId, TermRef
from services.enrollment.places.store import counts_by_program
from services.enrollment.programs import handlers
from services.enrollment.programs.store import programs_page
from services.enrollment.setup.api import SCHOOL_STAFF
from services.enrollment.store import Program, program_in_school

router = APIRouter(prefix="/enrollment/v1", tags=["programs"])

AnyStaffOrGuardian = Annotated[Principal, require(*SCHOOL_STAFF, Role.GUARDIAN)]
LowestGrade = Annotated[int, Field(description="the lowest grade the program admits (EN-4: 1–9)")]
HighestGrade = Annotated[int, Field(description="the highest grade the program admits (EN-4: 1–9)")]
Starts = Annotated[time, Field(description="the school's local wall-clock time the session starts (HH:MM[:SS])")]
ProgramName = Annotated[str, Field(description="the program's name (e.g. 围棋社)")]
RoomRef = Field(description="the room it meets in; null: not set")
CHESS: JsonDict = {
    "name": "围棋社",
    "capacity": 20,
    "room_id": "r-301",
    "teacher_ids": ["s-chen"],
    "weekdays": [1, 3],
    "starts_at": "16:30:00",
    "class_hours": 2,
    "min_grade": 3,
    "max_grade": 6,
    "specialty": False,
}


class ProgramFields(Body):
    """What a school sets about a program (EN-4, EN-5)."""

    name: Annotated[ProgramName, Field(min_length=1, max_length=100)]
    capacity: int = Field(ge=1, le=2000, description="places (a club never holds more children, BX-1)")
    room_id: Annotated[Id | None, RoomRef] = None
    teacher_ids: list[Id] = Field(default_factory=list, max_length=20, description="school staff or provider ids")
    weekdays: list[int] = Field(min_length=1, max_length=5, description="0 = Monday … 4 = Friday (EN-5)")
    starts_at: Starts
    class_hours: int = Field(ge=1, le=8, description="length in class-hours of the school's length (EN-5)")
    min_grade: Annotated[LowestGrade, Field(ge=1, le=9)]
    max_grade: Annotated[HighestGrade, Field(ge=1, le=9)]
    specialty: bool = Field(default=False, description="ST-2: a specialty program earns the supplement")

    def details(self) -> handlers.ProgramDetails:
        """The command's view of these fields."""
        return from_fields(
            handlers.ProgramDetails, self, weekdays=list(self.weekdays), teacher_ids=tuple(self.teacher_ids)
        )


class ProgramCreate(ProgramFields):
    """A new program of a term: the base service, a club, or an optional service the policy offers (EN-6)."""

    model_config = examples({"id": "pg-chess", "term_id": "t-2026-1", "kind": "club", **CHESS})

    id: NewId = None
    term_id: TermRef
    kind: ProgramKind = Field(description="the base service (homework_supervision), a club (EN-4) or an EN-6 option")


class ProgramChange(ProgramFields):
    """The program's new details; its kind and term stay."""

    model_config = examples({**CHESS, "capacity": 24})


class CancellationCreate(Body):
    """When the program stops (today when not given)."""

    model_config = examples({"effective_on": "2026-12-01"})

    effective_on: OnDay = None


class ProgramPublic(BaseModel):
    """A program, with its places held and waitlist length."""

    model_config = examples(
        {
            "program_id": "pg-chess",
            "school_id": "sy-xiaoxue",
            "term_id": "t-2026-1",
            "kind": "club",
            **CHESS,
            "cancelled_on": None,
            "places_taken": 20,
            "waitlisted": 3,
        }
    )

    program_id: ProgramId
    school_id: SchoolId
    term_id: TermId
    kind: ProgramKind = Field(description="homework_supervision, club (EN-4), or early_arrival, noon_care, bus (EN-6)")
    name: ProgramName
    capacity: int = Field(description="places; a club never holds more children (BX-1)")
    room_id: Annotated[str | None, RoomRef]
    teacher_ids: list[str] = Field(description="the staff or provider teachers who run it")
    weekdays: list[int] = Field(description="the days it meets, 0 = Monday … 4 = Friday (EN-5)")
    starts_at: Starts
    class_hours: int = Field(description="its length in class-hours, each of the policy's length (EN-5: 40 min)")
    min_grade: LowestGrade
    max_grade: HighestGrade
    specialty: bool = Field(description="ST-2: a specialty program earns the teacher a supplement")
    cancelled_on: date | None = Field(description="the school day it stopped on; null while it runs")
    places_taken: int = Field(default=0, description="places held now (BX-1)")
    waitlisted: int = Field(default=0, description="children on its waitlist now (BX-1)")


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
