"""Clearing the school (清校, AT-6): who is not accounted for, and closing the day only when nobody is."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from chassis.problems import Conflict
from chassis.uow import UnitOfWork
from contracts.attendance.dismissal import DayCleared
from services.attendance.dismissal import store


@dataclass(frozen=True)
class Unaccounted:
    """A child checked in and not checked out: where they are and how far the escalation went."""

    student_id: str
    class_id: str
    grade: int
    in_reception: bool
    step: int | None


async def unaccounted(session: AsyncSession, *, school_id: str, day: date) -> list[Unaccounted]:
    """AT-6: every child checked in on `day` and not handed over, by id."""
    cases = {c.student_id: c for c in await store.open_cases(session, school_id=school_id, day=day)}
    return [
        Unaccounted(
            child.student_id,
            child.class_id,
            child.grade,
            child.student_id in cases,
            cases[child.student_id].step if child.student_id in cases else None,
        )
        for child in await store.still_here(session, school_id=school_id, day=day, grades=None)
    ]


async def clear_day(uow: UnitOfWork, *, school_id: str, day: date, by: str) -> tuple[store.ClearedDay, bool]:
    """AT-6: close the day and publish `DayCleared`; 409 with the list while anyone is unaccounted for; closing
    again returns the first closing."""
    existing = await uow.session.get(store.ClearedDay, (school_id, day))
    if existing is not None:
        return existing, False
    missing = await unaccounted(uow.session, school_id=school_id, day=day)
    if missing:
        raise Conflict(
            f"{len(missing)} children are not accounted for",
            rule="AT-6",
            unaccounted=[m.__dict__ for m in missing],
        )
    row = store.ClearedDay(school_id=school_id, day=day, cleared_by=by, cleared_at=uow.clock.now())
    uow.session.add(row)
    checked_in, checked_out = await store.day_counts(uow.session, school_id=school_id, day=day)
    await uow.publish(
        DayCleared(school_id=school_id, day=day, cleared_by=by, checked_in=checked_in, checked_out=checked_out),
        school_id=school_id,
    )
    return row, True
