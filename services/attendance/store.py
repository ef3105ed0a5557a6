"""Attendance's declarative base and what several slices share: the roster kept from enrollment, the version of
each school's reference facts, and the helpers of guarded updates; each slice keeps its own tables."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import Date, DateTime, Dialect, Integer, String, TypeDecorator, inspect, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import DeclarativeBase, InstrumentedAttribute, Mapped, mapped_column
from sqlalchemy.sql.elements import ColumnElement

from chassis.problems import Conflict
from chassis.sql import dialect_insert
from chassis.tables import ChassisTables
from chassis.uow import UnitOfWork


class Base(DeclarativeBase):
    """Attendance's own tables."""


TABLES = ChassisTables(Base.metadata)


class UtcDateTime(TypeDecorator[datetime]):
    """A moment stored in UTC and always read back timezone-aware (SQLite would otherwise return it naive)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        """Store UTC (SQLite keeps the wall time only)."""
        return value.astimezone(UTC) if value is not None and value.tzinfo is not None else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        """Read back aware."""
        return aware(value) if value is not None else None


def aware(moment: datetime) -> datetime:
    """A stored moment as an aware UTC datetime (SQLite returns naive UTC)."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


class RosterStudent(Base):
    """A student as attendance knows them, from enrollment's roster events (ids only, no personal data)."""

    __tablename__ = "roster_students"

    student_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    school_id: Mapped[str] = mapped_column(String(64), index=True)
    class_id: Mapped[str] = mapped_column(String(64), index=True)
    grade: Mapped[int] = mapped_column(Integer)
    left_on: Mapped[date | None] = mapped_column(Date, nullable=True, default=None)


async def change_once(
    session: AsyncSession, row: Base, *, pending: ColumnElement[bool], values: dict[str, Any], conflict: str
) -> None:
    """Update `row` only while `pending` still holds (of concurrent callers exactly one wins), else a 409 problem
    saying `conflict`; the row is refreshed with the change."""
    model = type(row)
    keys = inspect(model).primary_key
    identity = inspect(row).identity or ()
    statement = (
        update(model)
        .where(*(column == value for column, value in zip(keys, identity, strict=True)), pending)
        .values(**values)
        .returning(*keys)
    )
    if (await session.execute(statement)).first() is None:
        raise Conflict(conflict)
    await session.refresh(row)


async def resolve_once(session: AsyncSession, row: Base, *, by: str, at: datetime, note: str, conflict: str) -> None:
    """Close an open case (an absence, a handover discrepancy: tables with `resolved_by`, `resolved_at` and `note`)
    with who, when and a note, once (`change_once`)."""
    values = {"resolved_by": by, "resolved_at": at, "note": note}
    still_open = inspect(type(row)).columns["resolved_at"].is_(None)
    await change_once(session, row, pending=still_open, values=values, conflict=conflict)


def open_or_resolved(resolved_at: InstrumentedAttribute[Any], open_only: bool | None) -> list[ColumnElement[bool]]:
    """List filter: open cases (True), resolved ones (False) or all (None)."""
    if open_only is None:
        return []
    return [resolved_at.is_(None) if open_only else resolved_at.is_not(None)]


class ReferenceVersion(Base):
    """Counts the changes of a school's schedule, calendar and policy: a day opened from an older count is
    opened again. A counter, not a deletion of opened days, so a day being opened concurrently with the change
    (from the facts before it) is still seen as stale once the change commits."""

    __tablename__ = "reference_versions"

    school_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    version: Mapped[int] = mapped_column(Integer)


async def reopen_days(uow: UnitOfWork, *, school_id: str) -> None:
    """The school's schedule, calendar or policy changed: its days are opened again (idempotently) when next touched."""
    statement = (
        dialect_insert(uow.session, ReferenceVersion)
        .values(school_id=school_id, version=1)
        .on_conflict_do_update(index_elements=["school_id"], set_={"version": ReferenceVersion.version + 1})
    )
    await uow.session.execute(statement)
