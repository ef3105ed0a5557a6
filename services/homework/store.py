"""Homework's declarative base, and the rows several slices write.

A class-day's row is locked by every writer of that day's homework (assignments, plans, the burden flags of
sessions); the weekly plan is published by `plans/` and read by `assignments/`, which marks homework changed after
publication (HW-8). Each slice keeps its own tables in its own `store.py`.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Boolean, Date, DateTime, Integer, String, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from chassis.sql import insert_ignoring_duplicates
from chassis.tables import ChassisTables


class Base(DeclarativeBase):
    """Homework's own tables."""


TABLES = ChassisTables(Base.metadata)


class ClassDay(Base):
    """One row per class and day: locked FOR UPDATE by every writer of that day's homework (HW-4 race)."""

    __tablename__ = "class_days"

    class_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    on: Mapped[date] = mapped_column("day", Date, primary_key=True)
    school_id: Mapped[str] = mapped_column(String(64))
    over_cap_rule: Mapped[str | None] = mapped_column(String(8), nullable=True)


class WeeklyPlan(Base):
    """HW-8: one published version of a class's plan for a week."""

    __tablename__ = "weekly_plans"

    class_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    week_start: Mapped[date] = mapped_column(Date, primary_key=True)
    version: Mapped[int] = mapped_column(Integer, primary_key=True)
    plan_id: Mapped[str] = mapped_column(String(64), unique=True)
    school_id: Mapped[str] = mapped_column(String(64))
    assignment_ids: Mapped[list[str]] = mapped_column(JSON)
    versions: Mapped[dict[str, int]] = mapped_column(JSON, doc="each planned assignment's version when published")
    published_by: Mapped[str] = mapped_column(String(64))
    published_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    late: Mapped[bool] = mapped_column(Boolean)


async def lock_class_day(session: AsyncSession, *, school_id: str, class_id: str, on: date) -> ClassDay:
    """Create the class-day row if new, then lock it until commit: writers of one class-day go one at a time.

    Insert-ignore first, because FOR UPDATE cannot lock a row that does not exist yet (two first writers would
    both pass). SQLite has no row locks, but it runs one write transaction at a time anyway.
    """
    values = {"class_id": class_id, "on": on, "school_id": school_id}
    await session.execute(insert_ignoring_duplicates(session, ClassDay, values))
    query = select(ClassDay).where(ClassDay.class_id == class_id, ClassDay.on == on).with_for_update()
    return (await session.execute(query)).scalar_one()


async def latest_plan(session: AsyncSession, *, class_id: str, week_start: date) -> WeeklyPlan | None:
    """The newest published version of a class's plan for a week."""
    query = (
        select(WeeklyPlan)
        .where(WeeklyPlan.class_id == class_id, WeeklyPlan.week_start == week_start)
        .order_by(WeeklyPlan.version.desc())
        .limit(1)
    )
    return (await session.execute(query)).scalar_one_or_none()
