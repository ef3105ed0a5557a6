"""Dismissal tables (check-outs, refusals, plans, not-collected cases, cleared days) and keyword-only queries."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import date, datetime
from typing import cast

from sqlalchemy import (
    Boolean,
    Date,
    DateTime,
    Index,
    Integer,
    String,
    Table,
    UniqueConstraint,
    func,
    select,
    tuple_,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from chassis.figures import count_by_school
from chassis.pagination import rows_after
from chassis.records import row_values
from chassis.sql import dialect_insert, insert_ignoring_duplicates
from services.attendance.checkins.store import CheckIn
from services.attendance.reference.store import RefPickupPerson
from services.attendance.store import Base, RosterStudent


class CheckOut(Base):
    """A handoff (AT-5, BX-2): one per child and day; who, when, where, and whether staff or the guardian did it."""

    __tablename__ = "check_outs"
    __table_args__ = (
        UniqueConstraint("student_id", "day", name="uq_check_out_student_day"),
        Index("ix_check_outs_school_day", "school_id", "day"),
    )

    check_out_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    school_id: Mapped[str] = mapped_column(String(64))
    student_id: Mapped[str] = mapped_column(String(64))
    day: Mapped[date] = mapped_column(Date)
    occurred_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    recorded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    release: Mapped[str] = mapped_column(String(16))
    person_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    handled_by: Mapped[str] = mapped_column(String(16))
    staff_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    device_id: Mapped[str | None] = mapped_column(String(128), nullable=True)
    place: Mapped[str | None] = mapped_column(String(64), nullable=True)
    early: Mapped[bool] = mapped_column(Boolean, default=False)
    late_fee_fen: Mapped[int] = mapped_column(Integer, default=0)
    recorded_by: Mapped[str] = mapped_column(String(128))


class PickupRefusal(Base):
    """A refused check-out attempt (AT-5); `reason` restricted is a custody-order alert (BX-2)."""

    __tablename__ = "pickup_refusals"
    __table_args__ = (Index("ix_pickup_refusals_school_day", "school_id", "day"),)

    refusal_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    school_id: Mapped[str] = mapped_column(String(64))
    student_id: Mapped[str] = mapped_column(String(64))
    day: Mapped[date] = mapped_column(Date)
    occurred_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    reason: Mapped[str] = mapped_column(String(32))
    person_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    device_id: Mapped[str | None] = mapped_column(String(128), nullable=True)
    place: Mapped[str | None] = mapped_column(String(64), nullable=True)
    attempted_by: Mapped[str] = mapped_column(String(128))
    recorded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class DismissalPlanChangeRow(Base):
    """BX-5: a change to a child's plan: standing from a date, for one day, or every weekday from a date."""

    __tablename__ = "dismissal_plan_changes"

    change_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    student_id: Mapped[str] = mapped_column(String(64), index=True)
    school_id: Mapped[str] = mapped_column(String(64))
    mode: Mapped[str] = mapped_column(String(16))
    on_day: Mapped[date | None] = mapped_column(Date, nullable=True)
    weekday: Mapped[int | None] = mapped_column(Integer, nullable=True)
    from_date: Mapped[date | None] = mapped_column(Date, nullable=True)
    until: Mapped[date | None] = mapped_column(Date, nullable=True)
    changed_by: Mapped[str] = mapped_column(String(128))
    changed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class NotCollectedCase(Base):
    """AT-6: a child still here after dismissal + M minutes: in reception, at an escalation step, until collected."""

    __tablename__ = "not_collected_cases"
    __table_args__ = (Index("ix_not_collected_school_day", "school_id", "day"),)

    student_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    school_id: Mapped[str] = mapped_column(String(64))
    band_key: Mapped[str] = mapped_column(String(200))
    dismissal_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    moved_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    room_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    step: Mapped[int] = mapped_column(Integer)
    resolved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    check_out_id: Mapped[str | None] = mapped_column(String(64), nullable=True)


class ClearedDay(Base):
    """AT-6 清校: the duty leader closed the school's day with every child accounted for."""

    __tablename__ = "cleared_days"

    school_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    cleared_by: Mapped[str] = mapped_column(String(128))
    cleared_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


async def check_out_of(session: AsyncSession, *, student_id: str, day: date) -> CheckOut | None:
    """The child's check-out of the day, if any."""
    query = select(CheckOut).where(CheckOut.student_id == student_id, CheckOut.day == day)
    return (await session.execute(query)).scalar_one_or_none()


async def check_outs_on(
    session: AsyncSession, *, student_ids: Collection[str], days: Collection[date]
) -> dict[tuple[str, date], CheckOut]:
    """The check-outs of these children on these days (a batch's), by (student, day)."""
    if not student_ids or not days:
        return {}
    query = select(CheckOut).where(CheckOut.student_id.in_(student_ids), CheckOut.day.in_(days))
    return {(row.student_id, row.day): row for row in (await session.execute(query)).scalars()}


async def insert_check_out(session: AsyncSession, row: CheckOut) -> bool:
    """Store the check-out unless the child already has one that day (the unique key decides a race)."""
    return bool(await insert_check_outs(session, [row]))


async def insert_check_outs(session: AsyncSession, rows: Sequence[CheckOut]) -> set[str]:
    """Store many check-outs in one statement, skipping a child who already has one that day; the ids stored."""
    if not rows:
        return set()
    table = cast(Table, CheckOut.__table__)
    values = [row_values(CheckOut, row) for row in rows]
    # The rows as the parameters of one statement, not as its VALUES: a multi-row VALUES has no cache key, so it was
    # compiled again on every call, 0.9 ms of CPU for one row and 26-29 ms for a batch of 100 (docs/measurements.md).
    statement = dialect_insert(session, table).on_conflict_do_nothing().returning(table.c.check_out_id)
    return set((await session.execute(statement, values)).scalars())


async def pickup_person(session: AsyncSession, *, student_id: str, person_id: str) -> RefPickupPerson | None:
    """A person on the child's pickup list (staff select them by id), removed or restricted ones included."""
    return await session.get(RefPickupPerson, (student_id, person_id))


async def guardian_as_pickup_person(
    session: AsyncSession, *, student_id: str, guardian_id: str
) -> RefPickupPerson | None:
    """The pickup-list entry of a guardian for the child, if the school recorded one (it may be restricted)."""
    query = select(RefPickupPerson).where(
        RefPickupPerson.student_id == student_id, RefPickupPerson.guardian_id == guardian_id
    )
    rows = list((await session.execute(query)).scalars())
    return next((r for r in rows if r.restricted), rows[0] if rows else None)


async def plan_changes(session: AsyncSession, *, student_id: str) -> list[DismissalPlanChangeRow]:
    """Every plan change of the child, oldest first."""
    query = select(DismissalPlanChangeRow).where(DismissalPlanChangeRow.student_id == student_id)
    return list(
        (
            await session.execute(query.order_by(DismissalPlanChangeRow.changed_at, DismissalPlanChangeRow.change_id))
        ).scalars()
    )


async def still_here(
    session: AsyncSession, *, school_id: str, day: date, grades: list[int] | None, known_by: datetime | None = None
) -> list[RosterStudent]:
    """Children checked in on `day` and not checked out (of `grades`, or every grade), by id; with `known_by`, only
    children whose check-in had reached the school by then (LATE-2)."""
    checked_in = select(CheckIn.student_id).where(
        CheckIn.school_id == school_id, CheckIn.session_date == day.isoformat()
    )
    if known_by is not None:
        checked_in = checked_in.where(CheckIn.recorded_at <= known_by)
    checked_out = select(CheckOut.student_id).where(CheckOut.school_id == school_id, CheckOut.day == day)
    query = select(RosterStudent).where(
        RosterStudent.school_id == school_id,
        RosterStudent.student_id.in_(checked_in),
        RosterStudent.student_id.not_in(checked_out),
    )
    if grades is not None:
        query = query.where(RosterStudent.grade.in_(grades))
    return list((await session.execute(query.order_by(RosterStudent.student_id))).scalars())


async def open_cases(
    session: AsyncSession, *, school_id: str, day: date, band_key: str | None = None
) -> list[NotCollectedCase]:
    """The day's not-collected cases not yet resolved (of one band, or all), by student."""
    query = select(NotCollectedCase).where(
        NotCollectedCase.school_id == school_id, NotCollectedCase.day == day, NotCollectedCase.resolved_at.is_(None)
    )
    if band_key is not None:
        query = query.where(NotCollectedCase.band_key == band_key)
    return list((await session.execute(query.order_by(NotCollectedCase.student_id))).scalars())


async def not_collected_by_school(session: AsyncSession, *, day: date) -> list[tuple[str, int]]:
    """AT-6: per school, the children whose not-collected case of the day is still open (a dashboard figure)."""
    return await count_by_school(
        session, NotCollectedCase.school_id, NotCollectedCase.day == day, NotCollectedCase.resolved_at.is_(None)
    )


async def open_case(session: AsyncSession, *, case: NotCollectedCase) -> bool:
    """Open a case unless the child already has one that day (timers fire at least once)."""
    values = {column.key: getattr(case, column.key) for column in NotCollectedCase.__table__.columns}
    statement = insert_ignoring_duplicates(session, NotCollectedCase, values).returning(NotCollectedCase.student_id)
    return (await session.execute(statement)).first() is not None


async def resolve_cases(session: AsyncSession, rows: Sequence[CheckOut]) -> None:
    """The children were collected: their open not-collected cases of those days (few or none) are closed."""
    if not rows:
        return
    query = select(NotCollectedCase.student_id, NotCollectedCase.day).where(
        tuple_(NotCollectedCase.student_id, NotCollectedCase.day).in_([(r.student_id, r.day) for r in rows]),
        NotCollectedCase.resolved_at.is_(None),
    )
    open_cases = {(student_id, day) for student_id, day in await session.execute(query)}
    for row in rows:
        if (row.student_id, row.day) in open_cases:
            await session.execute(
                update(NotCollectedCase)
                .where(
                    NotCollectedCase.student_id == row.student_id,
                    NotCollectedCase.day == row.day,
                    NotCollectedCase.resolved_at.is_(None),
                )
                .values(resolved_at=row.occurred_at, check_out_id=row.check_out_id)
            )


async def day_counts(session: AsyncSession, *, school_id: str, day: date) -> tuple[int, int]:
    """How many children were checked in and checked out on the day."""
    checked_in = select(func.count(func.distinct(CheckIn.student_id))).where(
        CheckIn.school_id == school_id, CheckIn.session_date == day.isoformat()
    )
    checked_out = select(func.count()).select_from(CheckOut).where(CheckOut.school_id == school_id, CheckOut.day == day)
    return int((await session.execute(checked_in)).scalar_one()), int((await session.execute(checked_out)).scalar_one())


async def list_check_outs(
    session: AsyncSession,
    *,
    school_id: str,
    day: date,
    after: str | None,
    limit: int,
    class_ids: tuple[str, ...] | None = None,
) -> list[CheckOut]:
    """A page of the day's check-outs by id (`limit + 1` rows, for `page_of`), of some classes or all."""
    query = select(CheckOut).where(CheckOut.school_id == school_id, CheckOut.day == day)
    if class_ids is not None:
        classes = select(RosterStudent.student_id).where(RosterStudent.class_id.in_(class_ids))
        query = query.where(CheckOut.student_id.in_(classes))
    return await rows_after(session, query, [CheckOut.check_out_id], after, limit + 1)


async def case_of(session: AsyncSession, *, student_id: str, day: date) -> NotCollectedCase | None:
    """The child's not-collected case of the day, if any."""
    return await session.get(NotCollectedCase, (student_id, day))


async def grades_of_school(session: AsyncSession, *, school_id: str) -> list[int]:
    """The grades that have children in this school."""
    query = select(RosterStudent.grade).where(RosterStudent.school_id == school_id).distinct()
    return sorted((await session.execute(query)).scalars())
