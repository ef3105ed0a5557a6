"""Board queries (BX-6) and the one enrollment fact only the board needs: a school's district."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from chassis.consumer import Handler
from chassis.sql import upsert
from chassis.uow import UnitOfWork
from contracts.enrollment import SchoolRegistered
from contracts.envelope import Envelope, Event
from services.attendance.board.store import Presence, SchoolDistrict, day_presence
from services.attendance.domain import board as rules
from services.attendance.domain.reconciliation import check_due
from services.attendance.domain.sessions import SessionView
from services.attendance.reference.store import policy_on
from services.attendance.sessions.store import sessions_of_day
from services.attendance.staff.store import absent_teachers


async def school_registered(uow: UnitOfWork, event: SchoolRegistered, _envelope: Envelope) -> None:
    """Remember the school's district (a district operator's board lists the district's schools)."""
    values = {"school_id": event.school_id, "district_id": event.district_id}
    await uow.session.execute(upsert(uow.session, SchoolDistrict, values, ["school_id"]))


HANDLERS: dict[type[Event], Handler] = {SchoolRegistered: school_registered}
"""For `consumers.py`: the board's subscription to enrollment's events."""


def _facts(view: SessionView, seen: Presence, teachers: int, now: datetime, absence_after: int) -> rules.SessionFacts:
    return rules.SessionFacts(
        expected=frozenset(view.expected_student_ids),
        checked_in=seen.checked_in,
        checked_out=seen.checked_out,
        on_leave=seen.on_leave,
        teachers=teachers,
        missing_due=now >= check_due(view.starts_at, absence_after),
    )


@dataclass(frozen=True)
class SessionLine:
    """One session on the board with its counts."""

    view: SessionView
    counts: rules.Counts


@dataclass(frozen=True)
class SchoolState:
    """A school's board: each session's line, the school's totals over distinct children, the policy's ratio."""

    lines: list[SessionLine]
    totals: rules.Counts
    ratio_limit: int


async def school_state(
    session: AsyncSession, *, school_id: str, day: date, now: datetime, only: str | None = None
) -> SchoolState:
    """BX-6: the counts of each of the school's sessions on `day` (or of the one session `only`), as of `now`;
    one presence query for the whole school, not one per session or child."""
    views = [v for v in await sessions_of_day(session, school_id=school_id, day=day) if only in (None, v.session_id)]
    policy = await policy_on(session, school_id=school_id, day=day)
    everyone = {s for v in views for s in v.expected_student_ids}
    seen = await day_presence(session, school_id=school_id, day=day, student_ids=everyone)
    absent = await absent_teachers(session, session_ids=[v.session_id for v in views])
    on_duty = {v.session_id: set(v.teacher_ids) - absent.get(v.session_id, set()) for v in views}
    after = policy.absence_after_minutes
    facts = [_facts(view, seen.of(view), len(on_duty[view.session_id]), now, after) for view in views]
    ratio = policy.students_per_teacher
    lines = [
        SessionLine(view, rules.session_counts(one, students_per_teacher=ratio))
        for view, one in zip(views, facts, strict=True)
    ]
    teachers = len(set().union(*on_duty.values())) if on_duty else 0
    totals = rules.school_counts(facts, teachers=teachers, students_per_teacher=ratio)
    return SchoolState(lines, totals, ratio)
