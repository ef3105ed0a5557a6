"""Allocation runs (EN-3, BX-1): the term's approved and active applicants share the free club places.

The run reads everything it needs under the term's place lock, hands it to the pure `domain.allocation`,
and keeps the seed, the inputs and the result, so anyone can re-run it later and get the same answer.
"""

from __future__ import annotations

import secrets
import uuid
from dataclasses import asdict
from typing import Any

from sqlalchemy import select

from chassis.records import from_fields
from chassis.uow import UnitOfWork
from contracts.enrollment import (
    AllocationRunCompleted,
    ClubPlaceAllocated,
    ClubPlaceWaitlisted,
    PriorityGroup,
    ProgramKind,
)
from services.enrollment import store as roster
from services.enrollment.allocation import store
from services.enrollment.domain.allocation import Allocation, Applicant, Club, allocate
from services.enrollment.domain.workflow import MAY_TAKE_PLACES
from services.enrollment.places import store as places_store
from services.enrollment.places.handlers import place, waiting
from services.enrollment.policy.handlers import policy_for_term
from services.enrollment.setup.store import term_in_school
from services.enrollment.store import Program, lock_term_places


async def _clubs(uow: UnitOfWork, school_id: str, term_id: str) -> list[Program]:
    query = select(Program).where(
        Program.school_id == school_id,
        Program.term_id == term_id,
        Program.kind == ProgramKind.CLUB,
        Program.cancelled_on.is_(None),
    )
    return list((await uow.session.execute(query.order_by(Program.program_id))).scalars())


async def _applicants(uow: UnitOfWork, school_id: str, term_id: str, clubs: dict[str, Club]) -> list[Applicant]:
    query = (
        select(roster.Application, roster.Student, roster.SchoolClass.grade)
        .join(roster.Student, roster.Student.student_id == roster.Application.student_id)
        .join(roster.SchoolClass, roster.SchoolClass.class_id == roster.Student.class_id)
        .where(
            roster.Application.school_id == school_id,
            roster.Application.term_id == term_id,
            roster.Application.stage.in_(list(MAY_TAKE_PLACES)),
            roster.Student.status == "active",
        )
    )
    rows = (await uow.session.execute(query)).all()
    held: dict[str, set[str]] = {}
    places = select(places_store.ClubPlace).where(
        places_store.ClubPlace.term_id == term_id, places_store.ClubPlace.school_id == school_id
    )
    for row in (await uow.session.execute(places)).scalars():
        held.setdefault(row.student_id, set()).add(row.program_id)
    return [
        Applicant(
            student_id=student.student_id,
            grade=grade,
            priority_groups=frozenset(PriorityGroup(g) for g in student.priority_groups or []),
            choices=tuple(application.club_choices),
            held=frozenset(held.get(student.student_id, set())),
            held_sessions=sum(clubs[p].sessions_per_week for p in held.get(student.student_id, set()) if p in clubs),
        )
        for application, student, grade in rows
    ]


def inputs_json(clubs: list[Club], applicants: list[Applicant], max_sessions: int) -> dict[str, Any]:
    """The run's inputs as the audit keeps them."""
    return {
        "max_sessions_per_week": max_sessions,
        "clubs": [asdict(c) for c in clubs],
        "applicants": [
            {
                **asdict(a),
                "priority_groups": sorted(a.priority_groups),
                "held": sorted(a.held),
                "choices": list(a.choices),
            }
            for a in sorted(applicants, key=lambda a: a.student_id)
        ],
    }


def result_json(result: Allocation) -> dict[str, Any]:
    """The run's result as the audit keeps it."""
    return {
        "order": list(result.order),
        "places": {p: list(s) for p, s in result.places.items()},
        "waitlists": {p: list(s) for p, s in result.waitlists.items()},
    }


def rerun(run: store.AllocationRun) -> dict[str, Any]:
    """EN-3: the result the recorded inputs and seed give today (equal to the recorded one if nothing was altered)."""
    clubs = [Club(**c) for c in run.inputs["clubs"]]
    applicants = [
        Applicant(
            student_id=a["student_id"],
            grade=a["grade"],
            priority_groups=frozenset(PriorityGroup(g) for g in a["priority_groups"]),
            choices=tuple(a["choices"]),
            held=frozenset(a["held"]),
            held_sessions=a["held_sessions"],
        )
        for a in run.inputs["applicants"]
    ]
    result = allocate(clubs, applicants, max_sessions_per_week=run.inputs["max_sessions_per_week"], seed=run.seed)
    return result_json(result)


async def run_allocation(
    uow: UnitOfWork, *, school_id: str, term_id: str, by: str, seed: int | None = None
) -> store.AllocationRun:
    """EN-3/BX-1: `by` gives the term's free club places by priority and a lottery seeded with `seed` (a new random
    one, recorded, when not given); the waitlists are rebuilt. The term is named by stored id or school code."""
    policy = await policy_for_term(uow, school_id=school_id, term_id=term_id)
    term = await term_in_school(uow.session, school_id=school_id, term_id=term_id)
    assert term is not None  # policy_for_term found it
    term_id = term.term_id
    await lock_term_places(uow, school_id=school_id, term_id=term_id)
    programs = {p.program_id: p for p in await _clubs(uow, school_id, term_id)}
    taken, _ = await places_store.counts_by_program(uow.session, list(programs))
    clubs = [
        Club(p.program_id, p.capacity, len(p.weekdays), p.min_grade, p.max_grade, taken.get(p.program_id, 0))
        for p in programs.values()
    ]
    applicants = await _applicants(uow, school_id, term_id, {c.program_id: c for c in clubs})
    seed = seed if seed is not None else secrets.randbits(63)
    result = allocate(clubs, applicants, max_sessions_per_week=policy.max_club_sessions_per_week, seed=seed)
    run = store.AllocationRun(
        run_id=str(uuid.uuid4()),
        school_id=school_id,
        term_id=term_id,
        seed=seed,
        by=by,
        at=uow.clock.now(),
        inputs=inputs_json(clubs, applicants, policy.max_club_sessions_per_week),
        result=result_json(result),
    )
    uow.session.add(run)
    await _apply(uow, run, result, programs)
    completed = from_fields(AllocationRunCompleted, run, allocated=result.allocated, waitlisted=result.waitlisted)
    await uow.publish(completed, school_id=school_id)
    return run


async def _apply(uow: UnitOfWork, run: store.AllocationRun, result: Allocation, programs: dict[str, Program]) -> None:
    """Write the new places and the rebuilt waitlists, announcing each child's outcome."""
    await places_store.clear_waitlists(uow.session, program_ids=list(programs))
    for program_id, students in result.places.items():
        for student_id in students:
            await place(uow, programs[program_id], student_id, how="run", run_id=run.run_id)
            placed = from_fields(ClubPlaceAllocated, programs[program_id], student_id=student_id, run_id=run.run_id)
            await uow.publish(placed, school_id=run.school_id)
    for program_id, students in result.waitlists.items():
        for position, student_id in enumerate(students, 1):
            program = programs[program_id]
            uow.session.add(waiting(program, student_id, rank=position, since=run.at, run_id=run.run_id))
            event = from_fields(
                ClubPlaceWaitlisted, program, student_id=student_id, position=position, run_id=run.run_id
            )
            await uow.publish(event, school_id=run.school_id)
    await uow.session.flush()
