"""A school's sessions of a day, derived on demand from the reference copies (no table of their own)."""

from __future__ import annotations

from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from chassis.clock import SCHOOL_TZ
from chassis.records import from_fields
from contracts.enrollment import DayKind
from services.attendance.domain import sessions as rules
from services.attendance.domain.sessions import SessionView
from services.attendance.reference import store as ref


def _facts(row: ref.RefProgram) -> rules.ProgramFacts:
    return from_fields(rules.ProgramFacts, row, teacher_ids=tuple(row.teacher_ids), weekdays=tuple(row.weekdays))


async def _expected(session: AsyncSession, program: rules.ProgramFacts, day: date) -> list[str]:
    """Homework supervision: every active enrollment of the term in its grades; clubs: the place holders;
    early arrival, noon care, bus: the active enrollments that asked for that option (EN-4, EN-6)."""
    if program.kind == rules.CLUB:
        candidates = await ref.club_members(session, program_id=program.program_id, on=day)
    else:
        enrollments = await ref.enrollments_on(session, school_id=program.school_id, term_id=program.term_id, on=day)
        candidates = [
            e.student_id
            for e in enrollments
            if program.kind == rules.HOMEWORK_SUPERVISION or program.kind in (e.options or [])
        ]
    roster = await ref.roster_of(session, student_ids=candidates)
    grades = [
        (s, roster[s].grade)
        for s in candidates
        if s in roster and roster[s].school_id == program.school_id and ref.on_roster(roster[s], day)
    ]
    return list(rules.expected_by_grade(program, grades))


async def _view(session: AsyncSession, row: ref.RefProgram, day: date) -> SessionView | None:
    program = _facts(row)
    kind = await ref.day_kind(session, school_id=program.school_id, day=day)
    if not rules.runs_on(program, day, school_day=kind is DayKind.SCHOOL_DAY):
        return None
    policy = await ref.policy_on(session, school_id=program.school_id, day=day)
    starts_at, ends_at = rules.session_times(
        program, day, class_hour_minutes=policy.class_hour_minutes, latest_end=policy.latest_end, tz=SCHOOL_TZ
    )
    expected = await _expected(session, program, day)
    return rules.session_view(program, day, starts_at=starts_at, ends_at=ends_at, expected=expected)


async def sessions_of_day(session: AsyncSession, *, school_id: str, day: date) -> list[SessionView]:
    """The school's sessions on `day` (school-local date), by start time then id."""
    views = [await _view(session, row, day) for row in await ref.programs_of_school(session, school_id=school_id)]
    return sorted((v for v in views if v is not None), key=lambda v: (v.starts_at, v.session_id))


async def session_of(session: AsyncSession, *, session_id: str, school_id: str | None = None) -> SessionView | None:
    """One session by id, or None (also when it does not run that day, or is another school's when given)."""
    parsed = rules.parse_session_id(session_id)
    if parsed is None:
        return None
    program_id, day = parsed
    row = await ref.program(session, program_id=program_id)
    if row is None or (school_id is not None and row.school_id != school_id):
        return None
    return await _view(session, row, day)


async def sessions_of_student(
    session: AsyncSession, *, school_id: str, student_id: str, day: date
) -> list[SessionView]:
    """The sessions of `day` a child is expected in."""
    views = await sessions_of_day(session, school_id=school_id, day=day)
    return [v for v in views if student_id in v.expected_student_ids]
