"""HTTP routes of club places and waitlists under `/enrollment/v1` (BX-1, EN-4).

Only an admin of the club's school changes or reads places; another school's clubs answer 404.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from chassis.app import RuntimeDep
from chassis.http import Body, Paging, SchoolAdmin, once
from chassis.idempotency import IDEMPOTENT, respond_once
from chassis.openapi import examples
from chassis.pagination import Page, page_of, page_of_rows
from chassis.problems import NotFound
from chassis.uow import UnitOfWork
from services.enrollment.fields import Position, ProgramId, ProgramKey, RunId, StudentId, StudentKey, StudentRef
from services.enrollment.places import handlers as places
from services.enrollment.places import store
from services.enrollment.store import program_in_school

router = APIRouter(prefix="/enrollment/v1", tags=["applications"])


class PlaceCreate(Body):
    """BX-1: give the child a free place (or, with `waitlist_if_full`, a waitlist entry when there is none)."""

    model_config = examples({"student_id": "st-xiaoming", "waitlist_if_full": True})

    student_id: StudentRef
    waitlist_if_full: bool = Field(default=False, description="when the club is full, a waitlist entry; else a 409")


class NoBody(Body):
    """No request body."""


class JoinPublic(BaseModel):
    """The outcome of a join: `placed`, or `waitlisted` at `position`."""

    model_config = examples(
        {"program_id": "pg-chess", "student_id": "st-xiaoming", "status": "placed", "position": None}
    )

    program_id: ProgramId
    student_id: StudentId
    status: str = Field(description="placed, or waitlisted when the club was full (BX-1)")
    position: int | None = Field(default=None, description="the waitlist position (1 = next); null when placed")


class ReleasePublic(BaseModel):
    """A released place and the children promoted into the freed place."""

    model_config = examples({"program_id": "pg-chess", "student_id": "st-xiaoming", "promoted": ["st-xiaohong"]})

    program_id: ProgramId
    student_id: StudentId
    promoted: list[str] = Field(description="ids of the waiting children who took the freed place, in order (BX-1)")


class PlacePublic(BaseModel):
    """A child's place in a club and how it was given (run, direct, promoted)."""

    model_config = examples(
        {
            "program_id": "pg-chess",
            "student_id": "st-xiaoming",
            "how": "run",
            "run_id": "run-2026-1-01",
            "since": "2026-09-05T07:00:00Z",
        }
    )

    program_id: ProgramId
    student_id: StudentId
    how: str = Field(description="run (EN-3 allocation), direct (given by an admin) or promoted (from the waitlist)")
    run_id: RunId
    since: datetime = Field(description="when the place was given, an instant with its UTC offset")


class WaitingChild(BaseModel):
    """A child on the waitlist at `position` (1 = next to be promoted)."""

    model_config = examples({"student_id": "st-xiaohong", "position": 1, "run_id": "run-2026-1-01"})

    student_id: StudentId
    position: Position
    run_id: RunId


WAITLISTED = {"program_id": "pg-chess", "student_id": "st-xiaoming", "status": "waitlisted", "position": 2}


@router.post(
    "/programs/{program_id}/places",
    status_code=201,
    response_model=JoinPublic,
    dependencies=[IDEMPOTENT],
    responses={
        202: {
            "model": JoinPublic,
            "description": "BX-1: the club is full and `waitlist_if_full` was set: the child waits at `position`",
            "content": {"application/json": {"example": WAITLISTED}},
        }
    },
)
async def post_place(
    program_id: ProgramKey, body: PlaceCreate, request: Request, runtime: RuntimeDep, principal: SchoolAdmin
) -> JSONResponse:
    """BX-1: a free place now (201, → ClubPlaceAllocated), a waitlist entry if asked (202), or 409 when full."""
    school_id = principal.school()

    async def act(uow: UnitOfWork) -> tuple[int, Any]:
        joined = await places.join_club(
            uow,
            school_id=school_id,
            program_id=program_id,
            student_id=body.student_id,
            waitlist_if_full=body.waitlist_if_full,
        )
        answer = JoinPublic.model_validate(joined, from_attributes=True).model_dump(mode="json")
        return (201 if joined.status == "placed" else 202), answer

    return await respond_once(runtime, request, principal, body.model_dump(mode="json"), act)


@router.delete("/programs/{program_id}/places/{student_id}", response_model=ReleasePublic, dependencies=[IDEMPOTENT])
async def delete_place(
    program_id: ProgramKey, student_id: StudentKey, request: Request, runtime: RuntimeDep, principal: SchoolAdmin
) -> JSONResponse:
    """BX-1: release the child's place (→ ClubPlaceReleased); the waitlist moves up at once (→ ClubPlacePromoted)."""
    school_id = principal.school()

    async def act(uow: UnitOfWork) -> dict[str, Any]:
        program, child, promoted = await places.leave_club(
            uow, school_id=school_id, program_id=program_id, student_id=student_id
        )
        return {"program_id": program.program_id, "student_id": child, "promoted": promoted}

    return await once(request, runtime, principal, NoBody(), act, status=200)


@router.get("/programs/{program_id}/places", response_model=Page[PlacePublic])
async def get_places(
    program_id: ProgramKey, runtime: RuntimeDep, principal: SchoolAdmin, page: Paging
) -> Page[PlacePublic]:
    """The club's places, by student id."""
    async with runtime.db.sessions() as session:
        program = await program_in_school(session, school_id=principal.school(), program_id=program_id)
        if program is None:
            raise NotFound(f"no program '{program_id}' in this school")
        program_id = program.program_id
        rows = await store.places_of(session, program_id=program_id, after=page.after_value(str), limit=page.limit + 1)
    return page_of_rows(PlacePublic, rows, page, lambda p: p.student_id)


@router.get("/programs/{program_id}/waitlist", response_model=Page[WaitingChild])
async def get_waitlist(
    program_id: ProgramKey, runtime: RuntimeDep, principal: SchoolAdmin, page: Paging
) -> Page[WaitingChild]:
    """The club's waitlist in promotion order (the cursor is a position)."""
    async with runtime.db.sessions() as session:
        program = await program_in_school(session, school_id=principal.school(), program_id=program_id)
        if program is None:
            raise NotFound(f"no program '{program_id}' in this school")
        program_id = program.program_id
        entries = await store.waitlist_of(session, program_id=program_id)
    start = page.after_value(int) or 0
    items = [
        WaitingChild(student_id=e.student_id, position=n, run_id=e.run_id)
        for n, e in enumerate(entries, 1)
        if n > start
    ][: page.limit + 1]
    return page_of(items, page, lambda w: w.position)
