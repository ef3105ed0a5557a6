"""The duty roster's table and queries: one row per school, day and duty leader."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, DateTime, ForeignKey, String, delete, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from services.enrollment.store import Base


class DutyAssignment(Base):
    """A member of staff on duty (值班) at their school on one day (AT-6, AT-10)."""

    __tablename__ = "duty_roster"

    school_id: Mapped[str] = mapped_column(ForeignKey("schools.school_id"), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    staff_id: Mapped[str] = mapped_column(ForeignKey("staff_members.staff_id"), primary_key=True)
    assigned_by: Mapped[str] = mapped_column(String(64))
    assigned_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


async def leaders_on(session: AsyncSession, *, school_id: str, day: date) -> list[str]:
    """The school's duty leaders on `day`, sorted (empty when nobody is rostered)."""
    query = select(DutyAssignment.staff_id).where(DutyAssignment.school_id == school_id, DutyAssignment.day == day)
    return list((await session.execute(query.order_by(DutyAssignment.staff_id))).scalars())


async def clear_day(session: AsyncSession, *, school_id: str, day: date) -> None:
    """Take everyone off the school's roster for `day`."""
    await session.execute(
        delete(DutyAssignment).where(DutyAssignment.school_id == school_id, DutyAssignment.day == day)
    )


async def days_between(
    session: AsyncSession, *, school_id: str, first: date, last: date, after: date | None, limit: int
) -> list[tuple[date, list[str]]]:
    """Up to `limit + 1` rostered days of the school in `first..last` after the day `after`, each with its leaders."""
    days = select(DutyAssignment.day).where(
        DutyAssignment.school_id == school_id, DutyAssignment.day >= first, DutyAssignment.day <= last
    )
    if after is not None:
        days = days.where(DutyAssignment.day > after)
    chosen = list((await session.execute(days.distinct().order_by(DutyAssignment.day).limit(limit + 1))).scalars())
    if not chosen:
        return []
    rows = await session.execute(
        select(DutyAssignment.day, DutyAssignment.staff_id)
        .where(DutyAssignment.school_id == school_id, DutyAssignment.day.in_(chosen))
        .order_by(DutyAssignment.day, DutyAssignment.staff_id)
    )
    by_day: dict[date, list[str]] = {day: [] for day in chosen}
    for day, staff_id in rows:
        by_day[day].append(staff_id)
    return list(by_day.items())
