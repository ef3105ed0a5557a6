"""Who is where today, read from the other slices' tables: checked in, collected, on leave (BX-4, BX-6);
and which district each school belongs to.

Read-only queries over the check-in (AT-2), check-out (AT-5) and leave (AT-3) tables, batched for a whole
session's roster so a board of hundreds of children costs a handful of queries, not one per child.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import date

from sqlalchemy import String, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from services.attendance.checkins.store import CheckIn
from services.attendance.dismissal.store import CheckOut
from services.attendance.store import Base


@dataclass(frozen=True)
class Presence:
    """Of some children on one day: who checked in, who was checked out, who has approved leave."""

    checked_in: frozenset[str]
    checked_out: frozenset[str]
    on_leave: frozenset[str]


async def presence(session: AsyncSession, *, school_id: str, day: date, student_ids: Collection[str]) -> Presence:
    """Presence of these children of the school on `day` (school-local date)."""
    if not student_ids:
        return Presence(frozenset(), frozenset(), frozenset())
    ids = list(student_ids)
    arrived = select(CheckIn.student_id).where(
        CheckIn.school_id == school_id, CheckIn.session_date == day.isoformat(), CheckIn.student_id.in_(ids)
    )
    left = select(CheckOut.student_id).where(
        CheckOut.school_id == school_id, CheckOut.day == day, CheckOut.student_id.in_(ids)
    )
    return Presence(
        checked_in=frozenset((await session.execute(arrived.distinct())).scalars()),
        checked_out=frozenset((await session.execute(left)).scalars()),
        on_leave=await on_leave(session, school_id=school_id, day=day, student_ids=ids),
    )


async def on_leave(session: AsyncSession, *, school_id: str, day: date, student_ids: list[str]) -> frozenset[str]:
    """AT-3: the children with approved leave on `day` (none until the leave slice exists)."""
    return frozenset()


class SchoolDistrict(Base):
    """Which district a school belongs to (SchoolRegistered), so a district operator sees their schools' boards."""

    __tablename__ = "school_districts"

    school_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    district_id: Mapped[str] = mapped_column(String(64), index=True)


async def schools_of_district(session: AsyncSession, *, district_id: str, after: str | None, limit: int) -> list[str]:
    """A page of the district's school ids, in order."""
    query = select(SchoolDistrict.school_id).where(SchoolDistrict.district_id == district_id)
    if after is not None:
        query = query.where(SchoolDistrict.school_id > after)
    return list((await session.execute(query.order_by(SchoolDistrict.school_id).limit(limit))).scalars())
