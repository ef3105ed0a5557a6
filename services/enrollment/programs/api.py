"""HTTP routes of programs under `/enrollment/v1` (EN-4, EN-5, EN-6).

A school admin publishes, changes and cancels the programs of the school in their token; staff and guardians of
that school read them (a guardian chooses clubs from this menu). Another school's programs answer 404.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from functools import partial
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from chassis.app import RuntimeDep
from chassis.auth import Principal, Role, require
from chassis.http import Paging, SchoolAdmin, once
from chassis.idempotency import IDEMPOTENT
from chassis.pagination import Page, page_of
from chassis.problems import NotFound
from chassis.uow import UnitOfWork
from contracts.enrollment import ProgramKind
from services.enrollment.fields import ProgramKey
from services.enrollment.places.store import counts_by_program
from services.enrollment.programs import handlers
from services.enrollment.programs.schemas import CancellationCreate, ProgramChange, ProgramCreate, ProgramPublic
from services.enrollment.programs.store import programs_page
from services.enrollment.setup.api import SCHOOL_STAFF
from services.enrollment.setup.store import Term
from services.enrollment.store import Program, program_in_school, stored_key

router = APIRouter(prefix="/enrollment/v1", tags=["programs"])
B = TypeVar("B", bound=BaseModel)
Handle = Callable[[UnitOfWork, B], Awaitable[Program]]

AnyStaffOrGuardian = Annotated[Principal, require(*SCHOOL_STAFF, Role.GUARDIAN)]


def _public(program: Program, taken: dict[str, int], waiting: dict[str, int]) -> ProgramPublic:
    public = ProgramPublic.model_validate(program, from_attributes=True)
    return public.model_copy(
        update={"places_taken": taken.get(program.program_id, 0), "waitlisted": waiting.get(program.program_id, 0)}
    )


async def _once(
    request: Request, runtime: RuntimeDep, principal: Principal, body: B, handle: Handle[B], status: int
) -> JSONResponse:
    """Run `handle(uow, body)` once per `Idempotency-Key`, answering the program with its places and waitlist."""

    async def act(uow: UnitOfWork) -> dict[str, Any]:
        program = await handle(uow, body)
        taken, waiting = await counts_by_program(uow.session, [program.program_id])
        return _public(program, taken, waiting).model_dump(mode="json")

    return await once(request, runtime, principal, body, act, status=status)


@router.post("/programs", status_code=201, response_model=ProgramPublic, dependencies=[IDEMPOTENT])
async def post_program(
    body: ProgramCreate, request: Request, runtime: RuntimeDep, principal: SchoolAdmin
) -> JSONResponse:
    """EN-4/EN-5/EN-6: publish a program in the caller's school (→ ProgramScheduled)."""
    schedule = partial(handlers.schedule_program, school_id=principal.school())
    return await _once(request, runtime, principal, body, schedule, 201)


@router.put("/programs/{program_id}", response_model=ProgramPublic, dependencies=[IDEMPOTENT])
async def put_program(
    program_id: ProgramKey, body: ProgramChange, request: Request, runtime: RuntimeDep, principal: SchoolAdmin
) -> JSONResponse:
    """EN-4/BX-1: change a program (→ ProgramScheduled); a capacity below the places held is a 422."""
    change = partial(handlers.change_program, school_id=principal.school(), program_id=program_id)
    return await _once(request, runtime, principal, body, change, 200)


@router.post("/programs/{program_id}/cancellation", response_model=ProgramPublic, dependencies=[IDEMPOTENT])
async def post_cancellation(
    program_id: ProgramKey, body: CancellationCreate, request: Request, runtime: RuntimeDep, principal: SchoolAdmin
) -> JSONResponse:
    """Cancel a program (→ ClubPlaceReleased for each place, ProgramCancelled)."""
    cancel = partial(handlers.cancel_program, school_id=principal.school(), program_id=program_id)
    return await _once(request, runtime, principal, body, cancel, 200)


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
        term_id = await stored_key(session, Term, school_id=principal.school(), key=term_id)
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
async def get_program(program_id: ProgramKey, runtime: RuntimeDep, principal: AnyStaffOrGuardian) -> ProgramPublic:
    """One program of the caller's school."""
    async with runtime.db.sessions() as session:
        program = await program_in_school(session, school_id=principal.school(), program_id=program_id)
        if program is None:
            raise NotFound(f"no program '{program_id}' in this school")
        taken, waiting = await counts_by_program(session, [program.program_id])
    return _public(program, taken, waiting)
