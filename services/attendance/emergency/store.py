"""Emergency broadcasts (AT-7, BX-7) and keyword-only queries."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Boolean, Date, DateTime, Index, String, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from chassis.pagination import rows_after
from services.attendance.store import Base


class Broadcast(Base):
    """An early-dismissal broadcast for a school or some grades; a drill changes nothing but says so (BX-7)."""

    __tablename__ = "emergency_broadcasts"
    __table_args__ = (Index("ix_emergency_broadcasts_school_day", "school_id", "day"),)

    broadcast_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    school_id: Mapped[str] = mapped_column(String(64))
    day: Mapped[date] = mapped_column(Date)
    grades: Mapped[list[int]] = mapped_column(JSON)
    drill: Mapped[bool] = mapped_column(Boolean)
    reason: Mapped[str] = mapped_column(String(16))
    note: Mapped[str | None] = mapped_column(String(500), nullable=True)
    dismiss_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    issued_by: Mapped[str] = mapped_column(String(128))
    issued_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    cleared_by: Mapped[str | None] = mapped_column(String(128), nullable=True)
    cleared_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


async def broadcast(session: AsyncSession, *, school_id: str, broadcast_id: str) -> Broadcast | None:
    """A broadcast of this school (another school's is None)."""
    row = await session.get(Broadcast, broadcast_id)
    return row if row is not None and row.school_id == school_id else None


async def list_broadcasts(session: AsyncSession, *, school_id: str, after: str | None, limit: int) -> list[Broadcast]:
    """A page of the school's broadcasts by id (`limit + 1` rows, for `page_of`)."""
    query = select(Broadcast).where(Broadcast.school_id == school_id)
    return await rows_after(session, query, [Broadcast.broadcast_id], after, limit + 1)
