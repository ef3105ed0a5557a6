"""Tables and queries of club places and waitlists (BX-1, EN-4), on enrollment's metadata."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, Integer, String, delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from chassis.pagination import rows_after
from services.enrollment.store import Base, Program


class ClubPlace(Base):
    """BX-1: a child's place in a club (released places are deleted; the events keep the history)."""

    __tablename__ = "club_places"

    program_id: Mapped[str] = mapped_column(ForeignKey("programs.program_id"), primary_key=True)
    student_id: Mapped[str] = mapped_column(ForeignKey("students.student_id"), primary_key=True, index=True)
    school_id: Mapped[str] = mapped_column(String(64), index=True)
    term_id: Mapped[str] = mapped_column(String(64), index=True)
    how: Mapped[str] = mapped_column(String(16))  # run | direct | promoted
    run_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    since: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class WaitlistEntry(Base):
    """BX-1: a child waiting for a club place; the lowest rank is promoted first."""

    __tablename__ = "club_waitlist"

    program_id: Mapped[str] = mapped_column(ForeignKey("programs.program_id"), primary_key=True)
    student_id: Mapped[str] = mapped_column(ForeignKey("students.student_id"), primary_key=True, index=True)
    school_id: Mapped[str] = mapped_column(String(64), index=True)
    term_id: Mapped[str] = mapped_column(String(64), index=True)
    rank: Mapped[int] = mapped_column(Integer)
    run_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    since: Mapped[datetime] = mapped_column(DateTime(timezone=True))


async def places_taken(session: AsyncSession, *, program_id: str) -> int:
    """How many places of the program are held."""
    query = select(func.count()).select_from(ClubPlace).where(ClubPlace.program_id == program_id)
    return int((await session.execute(query)).scalar_one())


async def counts_by_program(session: AsyncSession, program_ids: list[str]) -> tuple[dict[str, int], dict[str, int]]:
    """Places held and waitlist lengths of the programs."""
    places = await session.execute(
        select(ClubPlace.program_id, func.count())
        .where(ClubPlace.program_id.in_(program_ids))
        .group_by(ClubPlace.program_id)
    )
    waiting = await session.execute(
        select(WaitlistEntry.program_id, func.count())
        .where(WaitlistEntry.program_id.in_(program_ids))
        .group_by(WaitlistEntry.program_id)
    )
    return {p: int(n) for p, n in places}, {p: int(n) for p, n in waiting}


async def clubs_held(session: AsyncSession, *, student_id: str, term_id: str) -> list[Program]:
    """The clubs (not cancelled) of the term in which the child holds a place."""
    query = (
        select(Program)
        .join(ClubPlace, ClubPlace.program_id == Program.program_id)
        .where(ClubPlace.student_id == student_id, ClubPlace.term_id == term_id, Program.cancelled_on.is_(None))
    )
    return list((await session.execute(query.order_by(Program.program_id))).scalars())


async def places_of(session: AsyncSession, *, program_id: str, after: str | None, limit: int) -> list[ClubPlace]:
    """Up to `limit` places of the program after the cursor, by student id."""
    query = select(ClubPlace).where(ClubPlace.program_id == program_id)
    return await rows_after(session, query, [ClubPlace.student_id], after, limit)


async def waitlist_of(session: AsyncSession, *, program_id: str) -> list[WaitlistEntry]:
    """The program's waitlist in promotion order."""
    query = select(WaitlistEntry).where(WaitlistEntry.program_id == program_id)
    return list((await session.execute(query.order_by(WaitlistEntry.rank, WaitlistEntry.student_id))).scalars())


async def places_of_student(session: AsyncSession, *, student_id: str, term_id: str) -> list[ClubPlace]:
    """The child's club places in the term."""
    query = select(ClubPlace).where(ClubPlace.student_id == student_id, ClubPlace.term_id == term_id)
    return list((await session.execute(query.order_by(ClubPlace.program_id))).scalars())


async def waiting_of_student(session: AsyncSession, *, student_id: str, term_id: str) -> list[WaitlistEntry]:
    """The child's waitlist entries in the term."""
    query = select(WaitlistEntry).where(WaitlistEntry.student_id == student_id, WaitlistEntry.term_id == term_id)
    return list((await session.execute(query.order_by(WaitlistEntry.program_id))).scalars())


async def terms_with_places(session: AsyncSession, *, student_id: str) -> list[str]:
    """The terms in which the child holds a club place or waits for one."""
    held = select(ClubPlace.term_id).where(ClubPlace.student_id == student_id)
    waiting = select(WaitlistEntry.term_id).where(WaitlistEntry.student_id == student_id)
    return sorted(set((await session.execute(held.union(waiting))).scalars()))


async def clear_waitlists(session: AsyncSession, *, program_ids: list[str]) -> None:
    """Drop the waitlists of the programs (a run rebuilds them; a cancelled program has none)."""
    await session.execute(delete(WaitlistEntry).where(WaitlistEntry.program_id.in_(program_ids)))


async def leave_waitlists(session: AsyncSession, *, student_id: str, term_id: str) -> None:
    """Take the child off every waitlist of the term."""
    await session.execute(
        delete(WaitlistEntry).where(WaitlistEntry.student_id == student_id, WaitlistEntry.term_id == term_id)
    )
