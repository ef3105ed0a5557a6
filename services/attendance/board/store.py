"""Who is where today, read from the other slices' tables: checked in, collected, on leave (BX-4, BX-6),
judged per session by AT-3's own rules;
and which district each school belongs to.

Read-only queries over the check-in (AT-2), check-out (AT-5) and leave (AT-3) tables, batched for a whole
session's roster so a board of hundreds of children costs a handful of queries, not one per child.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import String, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from chassis.pagination import rows_after
from services.attendance.absence.store import leaves_of_day
from services.attendance.checkins.store import CheckIn
from services.attendance.dismissal.store import CheckOut
from services.attendance.domain import absence as absence_rules
from services.attendance.domain.sessions import SessionView
from services.attendance.store import Base


@dataclass(frozen=True)
class Presence:
    """Of some children in one session: who checked in for it, who went home today, who has leave from it."""

    checked_in: frozenset[str]
    checked_out: frozenset[str]
    on_leave: frozenset[str]


@dataclass(frozen=True)
class DayPresence:
    """The day's check-ins, check-outs and leave of some children, read once and judged per session."""

    day: date
    check_ins: tuple[tuple[str, datetime], ...]
    checked_out: frozenset[str]
    leaves: tuple[absence_rules.Leave, ...]

    def of(self, view: SessionView) -> Presence:
        """AT-3's own rules decide which check-in stands for the session and which leave excuses from it."""
        arrived = frozenset(child for child, at in self.check_ins if absence_rules.counts_for(at, view.starts_at))
        excused = absence_rules.on_leave(self.leaves, day=self.day, session_id=view.session_id)
        return Presence(arrived, self.checked_out, frozenset(excused))


async def day_presence(
    session: AsyncSession, *, school_id: str, day: date, student_ids: Collection[str]
) -> DayPresence:
    """Check-ins, check-outs and leave of these children of the school on `day` (school-local): three queries."""
    if not student_ids:
        return DayPresence(day, (), frozenset(), ())
    ids = list(student_ids)
    arrived = select(CheckIn.student_id, CheckIn.occurred_at).where(
        CheckIn.school_id == school_id, CheckIn.session_date == day.isoformat(), CheckIn.student_id.in_(ids)
    )
    left = select(CheckOut.student_id).where(
        CheckOut.school_id == school_id, CheckOut.day == day, CheckOut.student_id.in_(ids)
    )
    return DayPresence(
        day=day,
        check_ins=tuple((child, at) for child, at in (await session.execute(arrived)).all()),
        checked_out=frozenset((await session.execute(left)).scalars()),
        leaves=tuple(await leaves_of_day(session, school_id=school_id, day=day, student_ids=ids)),
    )


class SchoolDistrict(Base):
    """Which district a school belongs to (SchoolRegistered), so a district operator sees their schools' boards."""

    __tablename__ = "school_districts"

    school_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    district_id: Mapped[str] = mapped_column(String(64), index=True)


async def schools_of_district(session: AsyncSession, *, district_id: str, after: str | None, limit: int) -> list[str]:
    """A page of the district's school ids, in order."""
    query = select(SchoolDistrict.school_id).where(SchoolDistrict.district_id == district_id)
    return await rows_after(session, query, [SchoolDistrict.school_id], after, limit)
