"""Tables and queries of applications, club places, waitlists and allocation runs (enrollment's metadata)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Date,
    DateTime,
    ForeignKey,
    Integer,
    String,
    Text,
    delete,
    func,
    select,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from services.enrollment.domain.workflow import HOLDS_PLACES, MAY_TAKE_PLACES, Stage
from services.enrollment.programs.store import Program
from services.enrollment.setup.store import ClassTeacher
from services.enrollment.store import Base, GuardianLink, Student


class Application(Base):
    """EN-1: one child's application for a term and where it stands."""

    __tablename__ = "applications"

    application_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    school_id: Mapped[str] = mapped_column(ForeignKey("schools.school_id"), index=True)
    student_id: Mapped[str] = mapped_column(ForeignKey("students.student_id"), index=True)
    term_id: Mapped[str] = mapped_column(String(64), index=True)
    stage: Mapped[str] = mapped_column(String(24))
    club_choices: Mapped[list[str]] = mapped_column(JSON)
    options: Mapped[list[str]] = mapped_column(JSON)
    # "student:term" while the application is open, NULL once final: the unique index allows one open
    # application per child and term on PostgreSQL and SQLite alike (both let NULLs repeat).
    open_key: Mapped[str | None] = mapped_column(String(140), unique=True, nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    withdrawal_effective_on: Mapped[date | None] = mapped_column(Date, nullable=True)


class ApplicationEntry(Base):
    """EN-1: one recorded step of an application: what was done, by whom, when, why."""

    __tablename__ = "application_history"

    entry_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    application_id: Mapped[str] = mapped_column(ForeignKey("applications.application_id"), index=True)
    action: Mapped[str] = mapped_column(String(24))
    stage: Mapped[str] = mapped_column(String(24))
    by: Mapped[str] = mapped_column(String(64))
    role: Mapped[str] = mapped_column(String(32))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    effective_on: Mapped[date | None] = mapped_column(Date, nullable=True)


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


class AllocationRun(Base):
    """EN-3: an allocation run with its seed, the inputs it saw and its result, kept for audit and re-running."""

    __tablename__ = "allocation_runs"

    run_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    school_id: Mapped[str] = mapped_column(ForeignKey("schools.school_id"), index=True)
    term_id: Mapped[str] = mapped_column(String(64), index=True)
    seed: Mapped[int] = mapped_column(BigInteger)
    by: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    inputs: Mapped[dict[str, Any]] = mapped_column(JSON)
    result: Mapped[dict[str, Any]] = mapped_column(JSON)


async def locked_application(session: AsyncSession, *, school_id: str, application_id: str) -> Application | None:
    """The application row locked for this transaction (two steps on one application queue), if in the school."""
    query = (
        select(Application)
        .where(Application.application_id == application_id, Application.school_id == school_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return (await session.execute(query)).scalar_one_or_none()


async def open_application(session: AsyncSession, *, student_id: str, term_id: str) -> Application | None:
    """The child's application for the term that is not yet final, if any."""
    query = select(Application).where(Application.open_key == f"{student_id}:{term_id}")
    return (await session.execute(query)).scalar_one_or_none()


async def in_service(session: AsyncSession, *, student_id: str, term_id: str, stages: Iterable[Stage]) -> bool:
    """Whether the child's application for the term stands at one of `stages`."""
    query = select(Application.application_id).where(
        Application.student_id == student_id, Application.term_id == term_id, Application.stage.in_(list(stages))
    )
    return (await session.execute(query.limit(1))).first() is not None


async def may_take_places(session: AsyncSession, *, student_id: str, term_id: str) -> bool:
    """EN-3: the child's application for the term is approved or active."""
    return await in_service(session, student_id=student_id, term_id=term_id, stages=MAY_TAKE_PLACES)


async def history_of(session: AsyncSession, *, application_id: str) -> list[ApplicationEntry]:
    """Every recorded step of an application, oldest first."""
    query = select(ApplicationEntry).where(ApplicationEntry.application_id == application_id)
    return list((await session.execute(query.order_by(ApplicationEntry.entry_id))).scalars())


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
    if after is not None:
        query = query.where(ClubPlace.student_id > after)
    return list((await session.execute(query.order_by(ClubPlace.student_id).limit(limit))).scalars())


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


def holds_places(stage: str) -> bool:
    """Whether an application at `stage` keeps its club places."""
    return Stage(stage) in HOLDS_PLACES


async def applications_page(
    session: AsyncSession,
    *,
    school_id: str,
    term_id: str | None,
    stage: str | None,
    guardian_id: str | None,
    class_teacher_id: str | None,
    after: str | None,
    limit: int,
) -> list[Application]:
    """Up to `limit` of a school's applications after the cursor, by id; only a guardian's children or a class
    teacher's classes when those are given."""
    query = select(Application).where(Application.school_id == school_id)
    if guardian_id is not None:
        children = select(GuardianLink.student_id).where(GuardianLink.guardian_id == guardian_id)
        query = query.where(Application.student_id.in_(children))
    if class_teacher_id is not None:
        classes = select(ClassTeacher.class_id).where(ClassTeacher.staff_id == class_teacher_id)
        pupils = select(Student.student_id).where(Student.class_id.in_(classes))
        query = query.where(Application.student_id.in_(pupils))
    if term_id is not None:
        query = query.where(Application.term_id == term_id)
    if stage is not None:
        query = query.where(Application.stage == stage)
    if after is not None:
        query = query.where(Application.application_id > after)
    return list((await session.execute(query.order_by(Application.application_id).limit(limit))).scalars())
