"""Dismissal commands: each child's plan (BX-5: standing, one-day and repeating changes, the school's cutoff) and
clearing the school (清校, AT-6: who is not accounted for, and closing the day only when nobody is)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, timedelta

from prometheus_client import Gauge
from sqlalchemy.ext.asyncio import AsyncSession

from chassis.clock import SCHOOL_TZ
from chassis.figures import SchoolFigure
from chassis.problems import Conflict, Unprocessable
from chassis.records import from_fields
from chassis.uow import UnitOfWork
from contracts.attendance.dismissal import DayCleared, DismissalMode, DismissalPlanChanged
from services.attendance.dismissal import store
from services.attendance.domain.dismissal import (
    PlanChange,
    PlanChangeTooLate,
    check_change_in_time,
    first_day_of_repeating,
    plan_for,
)
from services.attendance.reference import store as ref

NOT_COLLECTED = Gauge(
    "afterschool_school_children_not_collected",
    "AT-6: children of the school day whose not-collected case is still open, per school (read from the table)",
    ["service", "school"],
)
NOT_COLLECTED_FIGURE = SchoolFigure(NOT_COLLECTED, store.not_collected_by_school)


@dataclass(frozen=True)
class ChangePlan:
    """Command: standing from now on (neither `on` nor `weekday`), for one day, or every weekday."""

    school_id: str
    student_id: str
    mode: DismissalMode
    changed_by: str
    on: date | None = None
    weekday: int | None = None
    until: date | None = None


def as_change(row: store.DismissalPlanChangeRow) -> PlanChange:
    """The pure rule's view of a stored change."""
    return PlanChange(DismissalMode(row.mode), row.on_day, row.weekday, row.from_date, row.until)


async def plan_of_day(session: AsyncSession, *, student_id: str, day: date) -> DismissalMode:
    """BX-5: how the child leaves on `day`."""
    return plan_for(day, [as_change(r) for r in await store.plan_changes(session, student_id=student_id)])


async def change_plan(uow: UnitOfWork, command: ChangePlan) -> store.DismissalPlanChangeRow:
    """BX-5: record a change, refused when it would touch today after the school's cutoff."""
    now = uow.clock.now()
    today = now.astimezone(SCHOOL_TZ).date()
    policy = await ref.policy_on(uow.session, school_id=command.school_id, day=today)
    cutoff = policy.dismissal_plan_cutoff
    try:
        if command.on is not None:
            check_change_in_time(command.on, now, cutoff)
            from_date = command.on
        elif command.weekday is not None:
            from_date = first_day_of_repeating(command.weekday, now, cutoff)
        else:
            from_date = today if now.astimezone(SCHOOL_TZ).time() <= cutoff else today + timedelta(days=1)
    except PlanChangeTooLate as error:
        raise Unprocessable(str(error), rule="BX-5") from error
    if command.until is not None and command.until < from_date:
        raise Unprocessable("the change would end before it starts", rule="BX-5")
    row = from_fields(
        store.DismissalPlanChangeRow,
        command,
        change_id=str(uuid.uuid4()),
        mode=command.mode.value,
        on_day=command.on,
        from_date=from_date,
        changed_at=now,
    )
    uow.session.add(row)
    await uow.publish(from_fields(DismissalPlanChanged, command), school_id=command.school_id)
    return row


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
