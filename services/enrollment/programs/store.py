"""Tables and queries of programs (on enrollment's metadata, `services.enrollment.store.Base`)."""

from __future__ import annotations

from datetime import date, time

from sqlalchemy import JSON, Boolean, Date, ForeignKey, Integer, String, Time, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from chassis.uow import UnitOfWork
from services.enrollment.store import Base


class Program(Base):
    """EN-4/EN-6: the base service, a club or an optional service of one school's term."""

    __tablename__ = "programs"

    program_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    school_id: Mapped[str] = mapped_column(ForeignKey("schools.school_id"), index=True)
    term_id: Mapped[str] = mapped_column(String(64), index=True)
    kind: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(100))
    capacity: Mapped[int] = mapped_column(Integer)
    room_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    teacher_ids: Mapped[list[str]] = mapped_column(JSON)
    weekdays: Mapped[list[int]] = mapped_column(JSON)
    starts_at: Mapped[time] = mapped_column(Time)
    class_hours: Mapped[int] = mapped_column(Integer)
    min_grade: Mapped[int] = mapped_column(Integer)
    max_grade: Mapped[int] = mapped_column(Integer)
    specialty: Mapped[bool] = mapped_column(Boolean, default=False)
    cancelled_on: Mapped[date | None] = mapped_column(Date, nullable=True)

    @property
    def cancelled(self) -> bool:
        """Whether the program was cancelled (it keeps its row for audit and fees)."""
        return self.cancelled_on is not None


async def program_in_school(session: AsyncSession, *, school_id: str, program_id: str) -> Program | None:
    """The program, only if it belongs to `school_id`."""
    program = await session.get(Program, program_id)
    return program if program is not None and program.school_id == school_id else None


async def locked_program(session: AsyncSession, *, school_id: str, program_id: str) -> Program | None:
    """The program row locked for this transaction (BX-1: place changes of one program queue on it)."""
    query = (
        select(Program)
        .where(Program.program_id == program_id, Program.school_id == school_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return (await session.execute(query)).scalar_one_or_none()


async def lock_term_places(uow: UnitOfWork, *, school_id: str, term_id: str) -> None:
    """BX-1/EN-4: queue every change of a term's club places behind one lock until commit.

    A program row lock alone would keep each club within capacity, but a child's weekly maximum spans clubs
    and an allocation run touches them all; one lock per school term orders every place change (joins,
    releases, promotions, runs, capacity changes) without deadlocks.
    """
    await uow.lock(f"places:{school_id}:{term_id}")


async def programs_page(
    session: AsyncSession, *, school_id: str, term_id: str | None, kind: str | None, after: str | None, limit: int
) -> list[Program]:
    """Up to `limit` of a school's programs after the cursor, by id, optionally of one term and kind."""
    query = select(Program).where(Program.school_id == school_id)
    if term_id is not None:
        query = query.where(Program.term_id == term_id)
    if kind is not None:
        query = query.where(Program.kind == kind)
    if after is not None:
        query = query.where(Program.program_id > after)
    return list((await session.execute(query.order_by(Program.program_id).limit(limit))).scalars())
