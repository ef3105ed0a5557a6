"""What program and place commands need to know about now: the school's date and the policy for a term."""

from __future__ import annotations

from datetime import date

from chassis.clock import school_today as clock_school_today
from chassis.problems import Conflict, NotFound
from chassis.uow import UnitOfWork
from contracts.policy import PolicySettings
from services.enrollment.policy.store import settings_in_force
from services.enrollment.programs.store import Program, lock_term_places, locked_program, program_in_school
from services.enrollment.setup.store import term_in_school


def school_today(uow: UnitOfWork) -> date:
    """The school-local date now (schools run on Asia/Shanghai time)."""
    return clock_school_today(uow.clock)


async def policy_for_term(uow: UnitOfWork, *, school_id: str, term_id: str) -> PolicySettings:
    """PL-1: the settings in force for the term: on its first day, or today once it has begun; 404 if unknown."""
    term = await term_in_school(uow.session, school_id=school_id, term_id=term_id)
    if term is None:
        raise NotFound(f"no term '{term_id}' in this school")
    return await settings_in_force(uow.session, school_id=school_id, on=max(term.starts_on, school_today(uow)))


async def live_program(uow: UnitOfWork, *, school_id: str, program_id: str) -> Program:
    """The program with its term's place lock held (BX-1); 404 if not in the school, 409 if cancelled."""
    program = await program_in_school(uow.session, school_id=school_id, program_id=program_id)
    if program is None:
        raise NotFound(f"no program '{program_id}' in this school")
    await lock_term_places(uow, school_id=school_id, term_id=program.term_id)
    program = await locked_program(uow.session, school_id=school_id, program_id=program_id)
    if program is None:
        raise NotFound(f"no program '{program_id}' in this school")
    if program.cancelled:
        raise Conflict(f"program '{program_id}' was cancelled on {program.cancelled_on}")
    return program
