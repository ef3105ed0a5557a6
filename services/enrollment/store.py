"""Enrollment's declarative base and the tables every slice reads: schools, classes, students, guardians, pickup
people, programs and applications, with the queries and locks several slices share."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import date, datetime, time
from typing import TypeVar

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Integer,
    String,
    Time,
    UniqueConstraint,
    inspect,
    select,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from chassis.crypto import SealedText
from chassis.problems import Conflict, NotFound
from chassis.tables import ChassisTables
from chassis.uow import UnitOfWork
from services.enrollment.domain.workflow import MAY_TAKE_PLACES, Stage


class Base(DeclarativeBase):
    """Enrollment's own tables."""


TABLES = ChassisTables(Base.metadata)
T = TypeVar("T")


class School(Base):
    """A school of the district."""

    __tablename__ = "schools"

    school_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    district_id: Mapped[str] = mapped_column(String(64), index=True)
    name: Mapped[str] = mapped_column(String(200))
    timezone: Mapped[str] = mapped_column(String(64))


class SchoolClass(Base):
    """A class (班级) of one grade."""

    __tablename__ = "classes"
    __table_args__ = (UniqueConstraint("school_id", "external_id", name="uq_classes_school_external"),)

    class_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    school_id: Mapped[str] = mapped_column(ForeignKey("schools.school_id"), index=True)
    grade: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(100))
    external_id: Mapped[str | None] = mapped_column(String(64), default=None)


class Student(Base):
    """A child on a school's roster."""

    __tablename__ = "students"
    __table_args__ = (UniqueConstraint("school_id", "external_id", name="uq_students_school_external"),)

    student_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    school_id: Mapped[str] = mapped_column(ForeignKey("schools.school_id"), index=True)
    class_id: Mapped[str] = mapped_column(ForeignKey("classes.class_id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    external_id: Mapped[str | None] = mapped_column(String(64), default=None)
    # EN-3: `contracts.enrollment.PriorityGroup` values; allocation reads them (lower grades come from the class).
    priority_groups: Mapped[list[str]] = mapped_column(JSON, default=list, server_default="[]")
    status: Mapped[str] = mapped_column(String(8), default="active", server_default="active")  # active | left
    left_on: Mapped[date | None] = mapped_column(Date, default=None)
    erased_on: Mapped[date | None] = mapped_column(Date, default=None)  # PIPL: personal data erased (privacy/)


class Guardian(Base):
    """A parent or other guardian; the phone number stays in this service."""

    __tablename__ = "guardians"
    __table_args__ = (UniqueConstraint("school_id", "external_id", name="uq_guardians_school_external"),)

    guardian_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    school_id: Mapped[str] = mapped_column(ForeignKey("schools.school_id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    phone: Mapped[str] = mapped_column(String(32))
    preferred_language: Mapped[str] = mapped_column(String(2))
    external_id: Mapped[str | None] = mapped_column(String(64), default=None)


class GuardianLink(Base):
    """A guardian of a child, with the relation the school records."""

    __tablename__ = "guardian_links"

    student_id: Mapped[str] = mapped_column(ForeignKey("students.student_id"), primary_key=True)
    guardian_id: Mapped[str] = mapped_column(ForeignKey("guardians.guardian_id"), primary_key=True)
    relation: Mapped[str] = mapped_column(String(32))


class PickupPerson(Base):
    """BX-2/AT-5: an adult who may (status authorised) or must never (restricted) collect one child."""

    __tablename__ = "pickup_persons"
    __table_args__ = (UniqueConstraint("student_id", "external_id", name="uq_pickup_persons_student_external"),)

    person_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    school_id: Mapped[str] = mapped_column(ForeignKey("schools.school_id"), index=True)
    student_id: Mapped[str] = mapped_column(ForeignKey("students.student_id"))
    external_id: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(100))
    relation: Mapped[str] = mapped_column(String(32))
    credential_ref: Mapped[str | None] = mapped_column(String(128), default=None)
    # EN-8; never leaves enrollment. Sealed at rest (PIPL): only the school admin reads it unmasked, and is logged.
    id_number: Mapped[str | None] = mapped_column(SealedText("pickup_persons.id_number"), default=None)
    guardian_id: Mapped[str | None] = mapped_column(String(64), default=None)
    status: Mapped[str] = mapped_column(String(16))  # authorised | restricted | removed
    # The custody order; never in an event, sealed at rest like the ID number.
    note: Mapped[str | None] = mapped_column(SealedText("pickup_persons.note"), default=None)


async def new_id(uow: UnitOfWork, model: type[Base], wanted: str | None, school_id: str | None) -> str:
    """The id the caller asked for (409 if the school already uses it), or a new one."""
    if wanted is None:
        return str(uuid.uuid4())
    if await uow.session.get(model, wanted) is not None:
        raise Conflict(f"'{wanted}' already exists")
    # The id the school gives is also its spreadsheets' id (EN-8 imports match rows by it).
    if school_id and await external_id_taken(uow.session, model, school_id=school_id, external_id=wanted):
        raise Conflict(f"'{wanted}' already exists")
    return wanted


async def school_student(uow: UnitOfWork, school_id: str, student_id: str) -> Student:
    """The child on the school's roster, or a 404 problem."""
    student = await in_school(uow.session, Student, school_id=school_id, key=student_id)
    if student is None:
        raise NotFound(f"no student '{student_id}' in this school")
    return student


async def in_school(session: AsyncSession, model: type[T], *, school_id: str, key: str) -> T | None:
    """The row of `model` with primary key `key`, only if it belongs to `school_id`."""
    row = await session.get(model, key)
    return row if row is not None and getattr(row, "school_id", None) == school_id else None


async def guardians_of(session: AsyncSession, *, student_id: str) -> list[str]:
    """Ids of the child's guardians."""
    rows = await session.execute(select(GuardianLink.guardian_id).where(GuardianLink.student_id == student_id))
    return list(rows.scalars())


async def external_id_taken(session: AsyncSession, model: type[Base], *, school_id: str, external_id: str) -> bool:
    """Whether the school already uses `external_id` for a row of `model` (its spreadsheets' id)."""
    column = model.__table__.c
    query = select(column.school_id).where(column.school_id == school_id, column.external_id == external_id)
    return (await session.execute(query.limit(1))).first() is not None


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


async def locked_in_school(session: AsyncSession, model: type[T], *, school_id: str, key: str) -> T | None:
    """`in_school`, locked for this transaction and read afresh: commands on one row queue on it (BX-1: a program's
    place changes; EN-1: two steps on one application)."""
    mapper = inspect(model)
    (primary_key,) = mapper.primary_key
    query = (
        select(model)
        .where(primary_key == key, mapper.columns["school_id"] == school_id)
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


async def live_program(uow: UnitOfWork, *, school_id: str, program_id: str) -> Program:
    """The program with its term's place lock held (BX-1); 404 if not in the school, 409 if cancelled."""
    program = await program_in_school(uow.session, school_id=school_id, program_id=program_id)
    if program is None:
        raise NotFound(f"no program '{program_id}' in this school")
    await lock_term_places(uow, school_id=school_id, term_id=program.term_id)
    program = await locked_in_school(uow.session, Program, school_id=school_id, key=program_id)
    if program is None:
        raise NotFound(f"no program '{program_id}' in this school")
    if program.cancelled:
        raise Conflict(f"program '{program_id}' was cancelled on {program.cancelled_on}")
    return program


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


async def in_service(session: AsyncSession, *, student_id: str, term_id: str, stages: Iterable[Stage]) -> bool:
    """Whether the child's application for the term stands at one of `stages`."""
    query = select(Application.application_id).where(
        Application.student_id == student_id, Application.term_id == term_id, Application.stage.in_(list(stages))
    )
    return (await session.execute(query.limit(1))).first() is not None


async def may_take_places(session: AsyncSession, *, student_id: str, term_id: str) -> bool:
    """EN-3: the child's application for the term is approved or active."""
    return await in_service(session, student_id=student_id, term_id=term_id, stages=MAY_TAKE_PLACES)
