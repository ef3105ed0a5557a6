"""Assignments (HW-5) and their queries: the homework each class has for each day."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Date, DateTime, Index, Integer, String, Text, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from chassis.pagination import rows_after
from chassis.problems import NotFound
from contracts.homework import HomeworkKind
from services.homework.domain import caps
from services.homework.store import Base


class Assignment(Base):
    """HW-5: homework set for a class (or tiers of it) for the day `on`."""

    __tablename__ = "assignments"
    __table_args__ = (Index("ix_assignments_class_on", "class_id", "day"),)

    assignment_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    school_id: Mapped[str] = mapped_column(String(64))
    class_id: Mapped[str] = mapped_column(String(64))
    teacher_id: Mapped[str] = mapped_column(String(64))
    school_subject: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(16))
    layer: Mapped[str | None] = mapped_column(String(16), nullable=True)
    tiers: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    counted_minutes: Mapped[int] = mapped_column(Integer)
    on: Mapped[date] = mapped_column("day", Date)
    due_on: Mapped[date] = mapped_column(Date)
    instructions: Mapped[str] = mapped_column(Text)
    withdrawn: Mapped[bool] = mapped_column(Boolean, default=False)
    version: Mapped[int] = mapped_column(Integer)
    after_plan_published: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


async def school_assignment(
    session: AsyncSession, *, school_id: str, assignment_id: str, locked: bool = False
) -> Assignment:
    """The school's assignment (withdrawn too), or 404: another school's is never revealed; `locked` reads it FOR
    UPDATE, afresh."""
    row = await session.get(Assignment, assignment_id, with_for_update=locked, populate_existing=locked)
    if row is None or row.school_id != school_id:
        raise NotFound(f"no assignment '{assignment_id}'")
    return row


async def day_assignments(session: AsyncSession, *, class_id: str, on: date) -> list[Assignment]:
    """The class's homework of a day that still counts (not withdrawn), oldest first."""
    query = (
        select(Assignment)
        .where(Assignment.class_id == class_id, Assignment.on == on, Assignment.withdrawn.is_(False))
        .order_by(Assignment.created_at, Assignment.assignment_id)
    )
    return list((await session.execute(query)).scalars())


async def range_assignments(session: AsyncSession, *, class_id: str, first: date, last: date) -> list[Assignment]:
    """The class's homework that counts, from `first` to `last` inclusive."""
    query = (
        select(Assignment)
        .where(
            Assignment.class_id == class_id,
            Assignment.on >= first,
            Assignment.on <= last,
            Assignment.withdrawn.is_(False),
        )
        .order_by(Assignment.on, Assignment.created_at, Assignment.assignment_id)
    )
    return list((await session.execute(query)).scalars())


async def assignments_page(
    session: AsyncSession, *, class_id: str, first: date, last: date, after: tuple[date, str] | None, limit: int
) -> list[Assignment]:
    """Up to `limit` of the class's assignments between two days (withdrawn too), after the cursor, by day and id."""
    query = select(Assignment).where(Assignment.class_id == class_id, Assignment.on >= first, Assignment.on <= last)
    return await rows_after(session, query, (Assignment.on, Assignment.assignment_id), after, limit)


def load_of(row: Assignment) -> caps.Load:
    """A stored assignment as the caps see it."""
    return caps.Load(row.school_subject, HomeworkKind(row.kind), row.counted_minutes)
