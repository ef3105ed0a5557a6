"""Loading the stipend's facts into the pure domain's terms (keyword-only queries, no rules here)."""

from __future__ import annotations

import bisect
import json
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import BigInteger, Select, cast, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from contracts.policy import PolicySettings
from services.stipend import store
from services.stipend.domain.class_hours import Child, DayMarks, Line, Program, Timetable, day_lines, instant
from services.stipend.domain.workload import Rate, SessionFacts, StaffFact, group_sessions

_LISTED_IN_SQL = 100
"""Up to this many children are picked in SQL; more (a school's close) are picked from the school's month, which
costs less than compiling and sending an IN list of a thousand."""


async def plain_rows(session: AsyncSession, query: Select[*tuple[Any, ...]]) -> Sequence[Sequence[Any]]:
    """A read-only select's rows as plain tuples, in the session's transaction. On PostgreSQL they are fetched
    through the driver (asyncpg): SQLAlchemy's result layer costs about 10 µs a row there, asyncpg alone about 1,
    and a school's month is tens of thousands of facts (issue 9)."""
    connection = await session.connection()
    if connection.dialect.name != "postgresql":
        return (await session.execute(query)).all()
    compiled = query.compile(dialect=connection.dialect, compile_kwargs={"render_postcompile": True})
    params = compiled.construct_params()
    driver: Any = (await connection.get_raw_connection()).driver_connection
    rows: Sequence[Sequence[Any]] = await driver.fetch(
        compiled.string, *(params[n] for n in compiled.positiontup or ())
    )
    return rows


@dataclass(frozen=True)
class PolicyBook:
    """PL-1: a school's profiles by effective date; a day is judged by the profile in force that day."""

    starts: tuple[date, ...]
    settings: tuple[PolicySettings, ...]

    def on(self, day: date) -> PolicySettings:
        """The settings in force on `day` (the defaults before the first profile)."""
        at = bisect.bisect_right(self.starts, day)
        return self.settings[at - 1] if at else PolicySettings()


async def policy_book(session: AsyncSession, *, school_id: str) -> PolicyBook:
    """Every profile of a school, oldest first."""
    rows = (
        await session.execute(
            select(store.RefPolicy.effective_from, store.RefPolicy.settings)
            .where(store.RefPolicy.school_id == school_id)
            .order_by(store.RefPolicy.effective_from)
        )
    ).all()
    return PolicyBook(tuple(r[0] for r in rows), tuple(PolicySettings.model_validate(r[1]) for r in rows))


async def programs(session: AsyncSession, *, school_id: str) -> dict[str, Program]:
    """The school's programs by id."""
    rows = (await session.scalars(select(store.RefProgram).where(store.RefProgram.school_id == school_id))).all()
    return {
        r.program_id: Program(
            r.program_id,
            r.kind,
            frozenset(r.weekdays),
            r.starts_at,
            r.class_hours,
            r.min_grade,
            r.max_grade,
            r.specialty,
            r.cancelled_on,
        )
        for r in rows
    }


@dataclass(frozen=True)
class Entitlements:
    """What the roster says of a child: grade, club places (with release dates), optional services (EN-4..EN-6)."""

    grade: int | None
    clubs: tuple[tuple[str, date | None], ...]
    options: frozenset[str]

    def on(self, student_id: str, day: date) -> Child:
        """The child's lines on `day` (a club released from a date is no longer theirs from then)."""
        clubs = frozenset(p for p, released in self.clubs if released is None or day < released)
        return Child(student_id, self.grade, clubs, self.options)


async def entitlements(session: AsyncSession, *, student_ids: Collection[str]) -> dict[str, Entitlements]:
    """Every listed child's entitlements, in three queries."""
    ids = list(student_ids)
    query = select(store.RefStudent.student_id, store.RefStudent.grade).where(store.RefStudent.student_id.in_(ids))
    grades: dict[str, int] = {row[0]: row[1] for row in (await session.execute(query)).all()}
    clubs: dict[str, list[tuple[str, date | None]]] = {}
    for row in await session.scalars(select(store.RefClubPlace).where(store.RefClubPlace.student_id.in_(ids))):
        clubs.setdefault(row.student_id, []).append((row.program_id, row.released_on))
    options: dict[str, set[str]] = {}
    for asked in await session.scalars(select(store.RefOptions).where(store.RefOptions.student_id.in_(ids))):
        options.setdefault(asked.student_id, set()).update(asked.options)
    return {
        s: Entitlements(grades.get(s), tuple(sorted(clubs.get(s, []))), frozenset(options.get(s, set()))) for s in ids
    }


async def student_school(session: AsyncSession, *, student_id: str) -> str | None:
    """The school a child is known at (roster or facts), or None."""
    known = await session.scalar(select(store.RefStudent.school_id).where(store.RefStudent.student_id == student_id))
    if known is None:
        known = await session.scalar(
            select(store.CheckIn.school_id).where(store.CheckIn.student_id == student_id).limit(1)
        )
    return known


async def guardian_of(session: AsyncSession, *, guardian_id: str, student_id: str) -> bool:
    """Whether `guardian_id` is a linked guardian of the child."""
    row = await session.get(store.RefGuardian, (student_id, guardian_id))
    return row is not None


async def attended(
    session: AsyncSession, *, school_id: str, month: str, student_ids: Collection[str] | None = None
) -> dict[str, list[Line]]:
    """SR-1/SR-2: every child's class-hour lines of a school's month, by student."""
    book = await policy_book(session, school_id=school_id)
    timetable = Timetable((await programs(session, school_id=school_id)).values())
    # Plain rows, not ORM objects, nor SQLAlchemy rows (`plain_rows`): a school's month is tens of thousands of facts.
    dialect = (await session.connection()).dialect.name
    ins_q = select(*_marks(store.CheckIn, dialect)).where(
        store.CheckIn.school_id == school_id, store.CheckIn.month == month
    )
    outs_q = select(*_marks(store.CheckOut, dialect)).where(
        store.CheckOut.school_id == school_id, store.CheckOut.month == month
    )
    leaves_q = select(store.Leave.student_id, store.Leave.day, store.Leave.event_id).where(
        store.Leave.school_id == school_id, store.Leave.month == month
    )
    wanted = None if student_ids is None else set(student_ids)
    if wanted is not None and len(wanted) <= _LISTED_IN_SQL:
        ins_q = ins_q.where(store.CheckIn.student_id.in_(wanted))
        outs_q = outs_q.where(store.CheckOut.student_id.in_(wanted))
        leaves_q = leaves_q.where(store.Leave.student_id.in_(wanted))
    # One pass over the rows: each child's days, their marks as instants (one conversion a fact).
    month_of: dict[str, dict[date, DayMarks]] = {}
    for student_id, day, at, event_id in await plain_rows(session, ins_q):
        _day(month_of, student_id, day).check_ins.append((at if type(at) is int else instant(at), event_id))
    for student_id, day, event_id in await plain_rows(session, leaves_q):
        _day(month_of, student_id, day).leave_event_ids.append(event_id)
    outs: dict[str, dict[date, list[tuple[int, str]]]] = {}
    for student_id, day, at, event_id in await plain_rows(session, outs_q):
        outs.setdefault(student_id, {}).setdefault(day, []).append((at if type(at) is int else instant(at), event_id))
    students = sorted(month_of if wanted is None else month_of.keys() & wanted)
    entitled = await entitlements(session, student_ids=students)
    result: dict[str, list[Line]] = {}
    rule_on: dict[date, tuple[int, int]] = {}  # PL-1: each day's class-hour length and minimum, looked up once
    for student_id in students:
        rights, days, gone = entitled[student_id], month_of[student_id], outs.get(student_id, {})
        child = None if rights.clubs else rights.on(student_id, min(days))  # no club places: the same every day
        lines: list[Line] = []
        for day in sorted(days):
            rule = rule_on.get(day)
            if rule is None:
                policy = book.on(day)
                rule = rule_on[day] = (policy.class_hour_minutes, policy.min_class_hours_per_day)
            marks = days[day]
            if day in gone:
                marks.check_outs.extend(gone[day])
            whose = child or rights.on(student_id, day)
            lines += day_lines(whose, marks, timetable, class_hour_minutes=rule[0], min_class_hours=rule[1])
        result[student_id] = lines
    return result


def _day(month_of: dict[str, dict[date, DayMarks]], student_id: str, day: date) -> DayMarks:
    days = month_of.setdefault(student_id, {})
    found = days.get(day)
    if found is None:
        found = days[day] = DayMarks(day)
    return found


def _marks(table: type[store.CheckIn] | type[store.CheckOut], dialect: str) -> tuple[Any, ...]:
    # On PostgreSQL the moment arrives as `instant`'s whole microseconds (exact: `extract` is numeric), not as a
    # datetime converted here: a school's month is some 44,000 of them (issue 9). SQLite keeps the datetime.
    at: Any = table.occurred_at
    if dialect == "postgresql":
        at = cast(func.extract("epoch", table.occurred_at) * 1_000_000, BigInteger)
    return (table.student_id, table.day, at, table.event_id)


async def staff_sessions(
    session: AsyncSession, *, school_id: str, months: Collection[str], staff_id: str | None = None
) -> list[SessionFacts]:
    """ST-1: every teacher's session facts of a school in `months`, grouped per teacher and session."""
    t = store.StaffFact
    query = select(
        t.fact_id, t.kind, t.staff_id, t.school_id, t.session_id, t.session_date, t.session_kind, t.program_id,
        t.half_session, t.event_id, t.detail,
    ).where(t.school_id == school_id, t.month.in_(months))  # fmt: skip
    if staff_id is not None:
        query = query.where(t.staff_id == staff_id)
    return group_sessions(_fact(*row) for row in await plain_rows(session, query))


def _fact(
    fact_id: str, kind: str, staff_id: str, school_id: str, session_id: str, session_date: date, session_kind: str,
    program_id: str | None, half_session: bool, event_id: str, detail: Any,
) -> StaffFact:  # fmt: skip
    # The JSON detail arrives as text from the driver (`plain_rows` on PostgreSQL), decoded from SQLAlchemy.
    d = json.loads(detail) if isinstance(detail, str | bytes) else detail
    return StaffFact(
        fact_id, kind, staff_id, school_id, session_id, session_date, session_kind, program_id, half_session, event_id,
        status=str(d.get("status", "")),
        minutes_late=int(d.get("minutes_late", 0)),
        revision=int(d.get("revision", 0)),
        complete=bool(d.get("complete", False)),
        teacher_present=bool(d.get("teacher_present", True)),
        incident_kind=str(d.get("kind", "")),
    )  # fmt: skip


def rate_for(book: PolicyBook, known: dict[str, Program]) -> Callable[[SessionFacts], Rate]:
    """ST-2: the rate of a session from the policy in force on its day and its program's class-hours."""

    def rate(facts: SessionFacts) -> Rate:
        policy = book.on(facts.session_date)
        program = known.get(facts.program_id or "")
        hours = program.class_hours if program else policy.min_class_hours_per_day
        fen = policy.stipend_fen_per_class_hour
        if program is not None and program.specialty:
            fen += policy.specialty_supplement_fen_per_class_hour
        return Rate(hours, fen)

    return rate
