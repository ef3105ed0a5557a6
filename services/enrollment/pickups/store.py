"""Tables and queries of who may collect a child: the walk-home permission, and a child's pickup people.

The `PickupPerson` table itself is in the root store: bulk imports write it too."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, Date, DateTime, ForeignKey, String, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from services.enrollment.store import Base, PickupPerson


class WalkHomePermission(Base):
    """AT-5: the latest statement of a child's standing permission to leave alone, and who gave it."""

    __tablename__ = "walk_home_permissions"

    student_id: Mapped[str] = mapped_column(ForeignKey("students.student_id"), primary_key=True)
    school_id: Mapped[str] = mapped_column(String(64))
    allowed: Mapped[bool] = mapped_column(Boolean)
    guardian_id: Mapped[str] = mapped_column(String(64))
    effective_from: Mapped[date] = mapped_column(Date)
    set_by: Mapped[str] = mapped_column(String(64))
    set_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


async def pickups_of(session: AsyncSession, *, student_id: str) -> list[PickupPerson]:
    """Every pickup person ever recorded for the child (authorised, restricted or removed)."""
    rows = await session.execute(
        select(PickupPerson).where(PickupPerson.student_id == student_id).order_by(PickupPerson.person_id)
    )
    return list(rows.scalars())
