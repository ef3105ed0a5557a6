"""Loading the stipend's facts into the pure domain's terms (keyword-only queries, no rules here)."""

from __future__ import annotations

import bisect
from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from contracts.policy import PolicySettings
from services.stipend import store
from services.stipend.domain.class_hours import Child, Line, Mark, Program, attended_lines, presence_by_day
from services.stipend.domain.workload import Rate, SessionFacts, StaffFact, group_sessions


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
    known = list((await programs(session, school_id=school_id)).values())
    # Plain rows, not ORM objects: a school's month is tens of thousands of facts, read only (the month's close).
    ins_q = select(*_marks(store.CheckIn)).where(store.CheckIn.school_id == school_id, store.CheckIn.month == month)
    outs_q = select(*_marks(store.CheckOut)).where(store.CheckOut.school_id == school_id, store.CheckOut.month == month)
    leaves_q = select(store.Leave.student_id, store.Leave.day, store.Leave.event_id).where(
        store.Leave.school_id == school_id, store.Leave.month == month
    )
    if student_ids is not None:
        ins_q = ins_q.where(store.CheckIn.student_id.in_(student_ids))
        outs_q = outs_q.where(store.CheckOut.student_id.in_(student_ids))
        leaves_q = leaves_q.where(store.Leave.student_id.in_(student_ids))
    ins = list(await session.execute(ins_q))
    outs = list(await session.execute(outs_q))
    leaves = list(await session.execute(leaves_q))
    students = sorted({r.student_id for r in ins} | {r.student_id for r in leaves})
    entitled = await entitlements(session, student_ids=students)
    ins_of, outs_of, leaves_of = _by_student(ins), _by_student(outs), _by_student(leaves)
    result: dict[str, list[Line]] = {}
    for student_id in students:
        days = presence_by_day(
            [(r.day, Mark(r.occurred_at, r.event_id)) for r in ins_of.get(student_id, [])],
            [(r.day, Mark(r.occurred_at, r.event_id)) for r in outs_of.get(student_id, [])],
            [(r.day, r.event_id) for r in leaves_of.get(student_id, [])],
        )
        lines: list[Line] = []
        for day, presence in days.items():
            policy = book.on(day)
            lines += attended_lines(
                entitled[student_id].on(student_id, day),
                presence,
                known,
                class_hour_minutes=policy.class_hour_minutes,
                min_class_hours=policy.min_class_hours_per_day,
            )
        result[student_id] = lines
    return result


def _marks(table: type[store.CheckIn] | type[store.CheckOut]) -> tuple[Any, ...]:
    return (table.student_id, table.day, table.occurred_at, table.event_id)


def _by_student(rows: list[Any]) -> dict[str, list[Any]]:
    grouped: dict[str, list[Any]] = {}
    for row in rows:
        grouped.setdefault(row.student_id, []).append(row)
    return grouped


async def staff_sessions(
    session: AsyncSession, *, school_id: str, months: Collection[str], staff_id: str | None = None
) -> list[SessionFacts]:
    """ST-1: every teacher's session facts of a school in `months`, grouped per teacher and session."""
    query = select(store.StaffFact).where(store.StaffFact.school_id == school_id, store.StaffFact.month.in_(months))
    if staff_id is not None:
        query = query.where(store.StaffFact.staff_id == staff_id)
    return group_sessions(_fact(row) for row in await session.scalars(query))


def _fact(row: store.StaffFact) -> StaffFact:
    d = row.detail
    return StaffFact(
        fact_id=row.fact_id,
        kind=row.kind,
        staff_id=row.staff_id,
        school_id=row.school_id,
        session_id=row.session_id,
        session_date=row.session_date,
        session_kind=row.session_kind,
        program_id=row.program_id,
        half_session=row.half_session,
        event_id=row.event_id,
        status=str(d.get("status", "")),
        minutes_late=int(d.get("minutes_late", 0)),
        revision=int(d.get("revision", 0)),
        complete=bool(d.get("complete", False)),
        teacher_present=bool(d.get("teacher_present", True)),
        incident_kind=str(d.get("kind", "")),
    )


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
