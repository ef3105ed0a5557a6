"""Club places and waitlists (BX-1, EN-4): direct joins when free, releases, and automatic promotion.

Every change runs with the term's place lock held (`store.live_program` of the service root), so a club never holds more
children than its capacity and a child never more club sessions a week than the policy allows, however many
requests arrive at once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from chassis.clock import school_today
from chassis.problems import Conflict, NotFound, Unprocessable
from chassis.records import from_fields
from chassis.uow import UnitOfWork
from contracts.enrollment import (
    ClubPlaceAllocated,
    ClubPlacePromoted,
    ClubPlaceReleased,
    ClubPlaceWaitlisted,
    ProgramKind,
)
from contracts.policy import PolicySettings
from services.enrollment import store as roster
from services.enrollment.places import store
from services.enrollment.policy.handlers import policy_for_term
from services.enrollment.store import Program, live_program, lock_term_places, locked_in_school


@dataclass(frozen=True)
class Joined:
    """The outcome of a join: a place, or a waitlist position."""

    program_id: str
    student_id: str
    status: str  # placed | waitlisted
    position: int | None = None


async def grade_of(uow: UnitOfWork, student: roster.Student) -> int:
    """The grade of the child's class."""
    school_class = await uow.session.get(roster.SchoolClass, student.class_id)
    return school_class.grade if school_class is not None else 0


async def refusal(
    uow: UnitOfWork, program: Program, student: roster.Student, policy: PolicySettings
) -> tuple[str, str] | None:
    """Why the child may not take a place in the club now (message and rule id), or None if they may."""
    if student.status != "active":
        return f"student '{student.student_id}' is no longer on the roster", "EN-8"
    if not await roster.may_take_places(uow.session, student_id=student.student_id, term_id=program.term_id):
        return f"student '{student.student_id}' has no approved or active application for the term", "EN-1"
    grade = await grade_of(uow, student)
    if not program.min_grade <= grade <= program.max_grade:
        return f"grade {grade} is outside the club's grades {program.min_grade}–{program.max_grade}", "EN-4"
    held = await store.clubs_held(uow.session, student_id=student.student_id, term_id=program.term_id)
    sessions = sum(len(club.weekdays) for club in held)
    if sessions + len(program.weekdays) > policy.max_club_sessions_per_week:
        return (
            f"{sessions} club sessions a week already; {len(program.weekdays)} more would pass the school's "
            f"maximum of {policy.max_club_sessions_per_week}",
            "EN-4",
        )
    return None


async def club(uow: UnitOfWork, *, school_id: str, program_id: str) -> Program:
    """A club of the school, locked for a place change (other kinds have no places to give)."""
    program = await live_program(uow, school_id=school_id, program_id=program_id)
    if program.kind != ProgramKind.CLUB:
        raise Unprocessable(f"program '{program_id}' is not a club; places are given in clubs", rule="EN-4")
    return program


async def join_club(
    uow: UnitOfWork, *, school_id: str, program_id: str, student_id: str, waitlist_if_full: bool = False
) -> Joined:
    """BX-1: the school gives a child a free place in a club if there is one (never more than capacity); else a
    waitlist entry if asked (`waitlist_if_full`), or 409."""
    program = await club(uow, school_id=school_id, program_id=program_id)
    student = await roster.in_school(uow.session, roster.Student, school_id=school_id, key=student_id)
    if student is None:
        raise NotFound(f"no student '{student_id}' in this school")
    if await uow.session.get(store.ClubPlace, (program.program_id, student.student_id)) is not None:
        raise Conflict(f"student '{student.student_id}' already holds a place in '{program.program_id}'")
    policy = await policy_for_term(uow, school_id=school_id, term_id=program.term_id)
    refused = await refusal(uow, program, student, policy)
    if refused is not None:
        raise Unprocessable(refused[0], rule=refused[1])
    if await store.places_taken(uow.session, program_id=program.program_id) < program.capacity:
        waiting = await uow.session.get(store.WaitlistEntry, (program.program_id, student.student_id))
        if waiting is not None:
            await uow.session.delete(waiting)
        await place(uow, program, student.student_id, how="direct")
        await uow.publish(
            from_fields(ClubPlaceAllocated, program, student_id=student.student_id), school_id=program.school_id
        )
        return Joined(program.program_id, student.student_id, "placed")
    if not waitlist_if_full:
        raise Conflict(f"club '{program.program_id}' is full ({program.capacity} places held)", rule="BX-1")
    return await _wait(uow, program, student.student_id)


async def _wait(uow: UnitOfWork, program: Program, student_id: str) -> Joined:
    waitlist = await store.waitlist_of(uow.session, program_id=program.program_id)
    mine = next((n for n, entry in enumerate(waitlist, 1) if entry.student_id == student_id), None)
    if mine is not None:
        return Joined(program.program_id, student_id, "waitlisted", mine)
    rank = max((entry.rank for entry in waitlist), default=0) + 1
    uow.session.add(waiting(program, student_id, rank=rank, since=uow.clock.now()))
    position = len(waitlist) + 1
    await uow.publish(
        from_fields(ClubPlaceWaitlisted, program, student_id=student_id, position=position), school_id=program.school_id
    )
    return Joined(program.program_id, student_id, "waitlisted", position)


def waiting(
    program: Program, student_id: str, *, rank: int, since: datetime, run_id: str | None = None
) -> store.WaitlistEntry:
    """The child's entry on the club's waitlist at `rank` (1 = next), of the club's school and term."""
    return from_fields(store.WaitlistEntry, program, student_id=student_id, rank=rank, run_id=run_id, since=since)


async def place(uow: UnitOfWork, program: Program, student_id: str, *, how: str, run_id: str | None = None) -> None:
    """Record the child's place in the club (the caller has checked capacity under the term's lock)."""
    row = from_fields(store.ClubPlace, program, student_id=student_id, how=how, run_id=run_id, since=uow.clock.now())
    uow.session.add(row)
    await uow.session.flush()


async def leave_club(
    uow: UnitOfWork, *, school_id: str, program_id: str, student_id: str
) -> tuple[Program, str, list[str]]:
    """BX-1: the child gives up their place; the first child on the waitlist who can take it is promoted at once.
    The program, the child's stored id and those promoted."""
    program = await club(uow, school_id=school_id, program_id=program_id)
    student = await roster.in_school(uow.session, roster.Student, school_id=school_id, key=student_id)
    key = (program.program_id, student.student_id if student is not None else "")
    place = None if student is None else await uow.session.get(store.ClubPlace, key)
    if student is None or place is None:
        raise NotFound(f"student '{student_id}' holds no place in '{program.program_id}'")
    await release(uow, program, place, effective_on=school_today(uow.clock))
    return program, student.student_id, await fill_from_waitlist(uow, program)


async def release(uow: UnitOfWork, program: Program, place: store.ClubPlace, *, effective_on: date) -> None:
    """Give up one place from `effective_on` and announce it."""
    await uow.session.delete(place)
    await uow.session.flush()
    await uow.publish(from_fields(ClubPlaceReleased, place, effective_on=effective_on), school_id=program.school_id)


async def fill_from_waitlist(uow: UnitOfWork, program: Program) -> list[str]:
    """BX-1: while the club has free places, promote waitlisted children in order, skipping (and keeping in
    place) those who may not take one now, e.g. at their weekly maximum."""
    policy = await policy_for_term(uow, school_id=program.school_id, term_id=program.term_id)
    free = program.capacity - await store.places_taken(uow.session, program_id=program.program_id)
    promoted: list[str] = []
    for entry in await store.waitlist_of(uow.session, program_id=program.program_id):
        if len(promoted) >= free:
            break
        student = await uow.session.get(roster.Student, entry.student_id)
        if student is None or await refusal(uow, program, student, policy) is not None:
            continue
        await uow.session.delete(entry)
        await place(uow, program, entry.student_id, how="promoted")
        await uow.publish(
            ClubPlacePromoted(program_id=program.program_id, student_id=entry.student_id, school_id=program.school_id),
            school_id=program.school_id,
        )
        promoted.append(entry.student_id)
    return promoted


async def release_all(uow: UnitOfWork, *, school_id: str, student_id: str, term_id: str, effective_on: date) -> None:
    """EN-2: a child leaving the service gives up every club place and waitlist entry of the term; each freed
    place promotes the next child. The caller holds the term's place lock."""
    await store.leave_waitlists(uow.session, student_id=student_id, term_id=term_id)
    for place in await store.places_of_student(uow.session, student_id=student_id, term_id=term_id):
        program = await locked_in_school(uow.session, Program, school_id=school_id, key=place.program_id)
        if program is None:
            continue
        await release(uow, program, place, effective_on=effective_on)
        if not program.cancelled:
            await fill_from_waitlist(uow, program)


async def release_for_roster_change(
    uow: UnitOfWork, *, school_id: str, student_id: str, effective_on: date, grade: int | None
) -> None:
    """EN-8/BX-1: a child who left the school (`grade` None) gives up every club place and waitlist entry; a child
    moved to a class of another grade gives up those outside the clubs' grade ranges (EN-4). Freed places promote
    the next child at once, so a place is never held by someone who cannot use it."""
    for term_id in await store.terms_with_places(uow.session, student_id=student_id):
        await lock_term_places(uow, school_id=school_id, term_id=term_id)
        if grade is None:
            await release_all(
                uow, school_id=school_id, student_id=student_id, term_id=term_id, effective_on=effective_on
            )
            continue
        for entry in await store.waiting_of_student(uow.session, student_id=student_id, term_id=term_id):
            program = await uow.session.get(Program, entry.program_id)
            if program is not None and not program.min_grade <= grade <= program.max_grade:
                await uow.session.delete(entry)
        for held in await store.places_of_student(uow.session, student_id=student_id, term_id=term_id):
            program = await locked_in_school(uow.session, Program, school_id=school_id, key=held.program_id)
            if program is not None and not program.min_grade <= grade <= program.max_grade:
                await release(uow, program, held, effective_on=effective_on)
                if not program.cancelled:
                    await fill_from_waitlist(uow, program)


async def check_holders_fit(
    uow: UnitOfWork, program: Program, *, sessions: int, grades: tuple[int, int], policy: PolicySettings
) -> None:
    """EN-4: a club's new schedule or grade range must still suit every child holding a place (422 otherwise)."""
    for held in await store.places_of(uow.session, program_id=program.program_id, after=None, limit=program.capacity):
        student = await uow.session.get(roster.Student, held.student_id)
        grade = await grade_of(uow, student) if student is not None else 0
        if not grades[0] <= grade <= grades[1]:
            raise Unprocessable(
                f"'{held.student_id}' (grade {grade}) holds a place outside the new grades", rule="EN-4"
            )
        clubs = await store.clubs_held(uow.session, student_id=held.student_id, term_id=program.term_id)
        others = sum(len(club.weekdays) for club in clubs if club.program_id != program.program_id)
        if others + sessions > policy.max_club_sessions_per_week:
            raise Unprocessable(
                f"'{held.student_id}' would have {others + sessions} club sessions a week, more than the school's "
                f"maximum of {policy.max_club_sessions_per_week}",
                rule="EN-4",
            )
