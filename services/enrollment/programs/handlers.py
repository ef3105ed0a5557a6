"""Commands of programs (EN-4, EN-5, EN-6): rules → store + events, each inside one unit of work."""

from __future__ import annotations

from chassis.clock import school_today
from chassis.problems import NotFound, Unprocessable
from chassis.records import from_fields
from chassis.uow import UnitOfWork
from contracts.enrollment import ProgramCancelled, ProgramKind, ProgramScheduled
from contracts.policy import PolicySettings
from services.enrollment.domain.programs import ProgramRuleBroken, Schedule, check_capacity, check_schedule
from services.enrollment.places.handlers import check_holders_fit, fill_from_waitlist, release
from services.enrollment.places.store import clear_waitlists, places_of, places_taken
from services.enrollment.policy.handlers import policy_for_term
from services.enrollment.programs.schemas import CancellationCreate, ProgramCreate, ProgramFields
from services.enrollment.setup.store import room_in_school, staff_in_school, term_in_school
from services.enrollment.store import Program, live_program, new_id


async def _check(
    uow: UnitOfWork, school_id: str, kind: ProgramKind, details: ProgramFields, policy: PolicySettings
) -> dict[str, object]:
    """The details' rules checked; the room and teachers they name (stored id or school code), as stored ids."""
    schedule = Schedule(
        kind, details.weekdays, details.starts_at, details.class_hours, details.min_grade, details.max_grade
    )
    try:
        check_schedule(schedule, policy)
    except ProgramRuleBroken as error:
        raise Unprocessable(str(error), rule=error.rule) from error
    room_id = None
    if details.room_id is not None:
        room = await room_in_school(uow.session, school_id=school_id, room_id=details.room_id)
        if room is None:
            raise NotFound(f"no room '{details.room_id}' in this school")
        room_id = room.room_id
    teacher_ids = []
    for staff_id in details.teacher_ids:
        staff = await staff_in_school(uow.session, school_id=school_id, staff_id=staff_id)
        if staff is None:
            raise NotFound(f"no member of staff or provider '{staff_id}' in this school")
        teacher_ids.append(staff.staff_id)
    return {"room_id": room_id, "teacher_ids": teacher_ids}


def scheduled(program: Program) -> ProgramScheduled:
    """The event announcing the program as it now stands."""
    return from_fields(
        ProgramScheduled,
        program,
        kind=ProgramKind(program.kind),
        teacher_ids=list(program.teacher_ids),
        weekdays=sorted(program.weekdays),
    )


def _apply(program: Program, details: ProgramFields) -> None:
    for field in ProgramFields.model_fields:
        setattr(program, field, getattr(details, field))
    program.weekdays, program.teacher_ids = sorted(details.weekdays), list(details.teacher_ids)


async def schedule_program(uow: UnitOfWork, body: ProgramCreate, *, school_id: str) -> Program:
    """EN-4/EN-5/EN-6: a school admin publishes a program of a kind for a term, if the policy in force for the term
    allows it."""
    policy = await policy_for_term(uow, school_id=school_id, term_id=body.term_id)
    named = await _check(uow, school_id, body.kind, body, policy)
    term = await term_in_school(uow.session, school_id=school_id, term_id=body.term_id)
    assert term is not None  # policy_for_term found it
    program_id = await new_id(uow, Program, body.id, school_id)
    program = Program(
        program_id=program_id, school_id=school_id, term_id=term.term_id, kind=body.kind, external_id=body.id
    )
    _apply(program, body.model_copy(update=named))
    uow.session.add(program)
    await uow.session.flush()
    await uow.publish(scheduled(program), school_id=school_id)
    return program


def check_new_capacity(capacity: int, places_held: int) -> None:
    """BX-1: refuse (422) a capacity below the places already held."""
    try:
        check_capacity(capacity, places_held)
    except ProgramRuleBroken as error:
        raise Unprocessable(str(error), rule=error.rule) from error


async def change_program(uow: UnitOfWork, details: ProgramFields, *, school_id: str, program_id: str) -> Program:
    """EN-4/BX-1: change a program's details (its kind and term stay); a capacity below the places held, or a
    schedule or grade range that no longer suits a child holding a place, is refused; a larger capacity promotes
    from the waitlist."""
    program = await live_program(uow, school_id=school_id, program_id=program_id)
    policy = await policy_for_term(uow, school_id=school_id, term_id=program.term_id)
    details = details.model_copy(update=await _check(uow, school_id, ProgramKind(program.kind), details, policy))
    check_new_capacity(details.capacity, await places_taken(uow.session, program_id=program.program_id))
    grades = (details.min_grade, details.max_grade)
    await check_holders_fit(uow, program, sessions=len(details.weekdays), grades=grades, policy=policy)
    _apply(program, details)
    await uow.session.flush()
    await uow.publish(scheduled(program), school_id=school_id)
    if program.kind == ProgramKind.CLUB:
        await fill_from_waitlist(uow, program)
    return program


async def cancel_program(uow: UnitOfWork, body: CancellationCreate, *, school_id: str, program_id: str) -> Program:
    """The program stops from `effective_on` (today when not given; not in the past): its places are released, its
    waitlist dropped."""
    program = await live_program(uow, school_id=school_id, program_id=program_id)
    today = school_today(uow.clock)
    effective_on = body.effective_on or today
    if effective_on < today:
        raise Unprocessable(f"a program cannot be cancelled in the past ({effective_on} is before {today})")
    for place in await places_of(uow.session, program_id=program.program_id, after=None, limit=program.capacity + 1):
        await release(uow, program, place, effective_on=effective_on)
    await clear_waitlists(uow.session, program_ids=[program.program_id])
    program.cancelled_on = effective_on
    await uow.session.flush()
    await uow.publish(from_fields(ProgramCancelled, program, effective_on=effective_on), school_id=school_id)
    return program
