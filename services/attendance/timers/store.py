"""The due-timer and opened-day tables, and the commands slices use to schedule and cancel timers.

A timer is one row per (kind, key): scheduling the same timer again only moves an unfired one, so retries and
re-opened days never double anything. Timers are per session or per dismissal band, never per student.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Date, Integer, String, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from chassis.sql import dialect_insert
from chassis.uow import UnitOfWork
from services.attendance.domain.late_uploads import is_history
from services.attendance.store import Base, ReferenceVersion, UtcDateTime


class DueTimer(Base):
    """A persisted due time; `fired_at` is set in the same transaction as the handler's effects."""

    __tablename__ = "due_timers"

    kind: Mapped[str] = mapped_column(String(64), primary_key=True)
    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    school_id: Mapped[str] = mapped_column(String(64))
    due_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    fired_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    cancelled_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(String(500), nullable=True)


class OpenedDay(Base):
    """A school's day whose timers were materialised (by the first touch or the worker's tick), and from which
    version of the school's reference facts."""

    __tablename__ = "opened_days"

    school_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    opened_at: Mapped[datetime] = mapped_column(UtcDateTime)
    version: Mapped[int] = mapped_column(Integer, default=0)


async def schedule(
    uow: UnitOfWork, *, kind: str, key: str, due_at: datetime, school_id: str, payload: dict[str, Any] | None = None
) -> None:
    """Set the (kind, key) timer to fire at `due_at`; a timer that already fired or was cancelled stays so.

    A due time already history when it is set (LATE-3: a day first opened by a late upload) is recorded as
    expired (cancelled now) instead: it would only alarm someone about a moment long past."""
    now = uow.clock.now()
    expired_at = now if is_history(due_at, now) else None
    values = {
        "kind": kind,
        "key": key,
        "school_id": school_id,
        "due_at": due_at,
        "payload": payload or {},
        "attempts": 0,
        "cancelled_at": expired_at,
    }
    statement = dialect_insert(uow.session, DueTimer).values(**values)
    statement = statement.on_conflict_do_update(
        index_elements=["kind", "key"],
        set_={"due_at": due_at, "payload": payload or {}, "cancelled_at": expired_at},
        where=(DueTimer.fired_at.is_(None) & DueTimer.cancelled_at.is_(None)),
    )
    await uow.session.execute(statement)


async def cancel(uow: UnitOfWork, *, kind: str, key: str) -> bool:
    """Cancel the (kind, key) timer if it has not fired; True if it was pending."""
    result = await uow.session.execute(
        update(DueTimer)
        .where(DueTimer.kind == kind, DueTimer.key == key, DueTimer.fired_at.is_(None), DueTimer.cancelled_at.is_(None))
        .values(cancelled_at=uow.clock.now())
        .returning(DueTimer.key)
    )
    return result.first() is not None


async def timer(session: AsyncSession, *, kind: str, key: str) -> DueTimer | None:
    """The (kind, key) timer, fired, cancelled or pending, or None."""
    return await session.get(DueTimer, (kind, key))


async def _versions(session: AsyncSession, school_ids: list[str]) -> dict[str, int]:
    query = select(ReferenceVersion.school_id, ReferenceVersion.version).where(
        ReferenceVersion.school_id.in_(school_ids)
    )
    return dict((await session.execute(query)).all())


async def claim_day(uow: UnitOfWork, *, school_id: str, day: date) -> bool:
    """Mark the school's day opened from the current reference version; True if this caller must (re)open it.

    The version is read before the openers read the facts, so the facts they see are at least that new."""
    version = (await _versions(uow.session, [school_id])).get(school_id, 0)
    values = {"school_id": school_id, "day": day, "opened_at": uow.clock.now(), "version": version}
    statement = (
        dialect_insert(uow.session, OpenedDay)
        .values(**values)
        .on_conflict_do_update(
            index_elements=["school_id", "day"],
            set_={"version": version, "opened_at": values["opened_at"]},
            where=OpenedDay.version < version,
        )
        .returning(OpenedDay.day)
    )
    return (await uow.session.execute(statement)).first() is not None


async def unopened_schools(session: AsyncSession, *, school_ids: list[str], day: date) -> list[str]:
    """Of these schools, those whose `day` is not opened yet, or was opened before their latest change."""
    versions = await _versions(session, school_ids)
    opened = select(OpenedDay.school_id, OpenedDay.version).where(
        OpenedDay.day == day, OpenedDay.school_id.in_(school_ids)
    )
    done = dict((await session.execute(opened)).all())
    return [school for school in school_ids if school not in done or done[school] < versions.get(school, 0)]


async def due_keys(session: AsyncSession, *, now: datetime, limit: int) -> list[tuple[str, str]]:
    """The (kind, key) of pending timers due by `now`, earliest first."""
    query = (
        select(DueTimer.kind, DueTimer.key)
        .where(DueTimer.due_at <= now, DueTimer.fired_at.is_(None), DueTimer.cancelled_at.is_(None))
        .order_by(DueTimer.due_at, DueTimer.kind, DueTimer.key)
        .limit(limit)
    )
    return [(kind, key) for kind, key in (await session.execute(query)).all()]


async def lock_pending(uow: UnitOfWork, *, kind: str, key: str, now: datetime) -> DueTimer | None:
    """Lock the timer if it is still pending and due. A timer another worker is firing is waited for (not
    skipped), and then found fired: when `fire_due` returns, every timer due by then has fired."""
    query = select(DueTimer).where(
        DueTimer.kind == kind,
        DueTimer.key == key,
        DueTimer.due_at <= now,
        DueTimer.fired_at.is_(None),
        DueTimer.cancelled_at.is_(None),
    )
    if uow.session.get_bind().dialect.name != "sqlite":
        query = query.with_for_update()
    return (await uow.session.execute(query)).scalar_one_or_none()
