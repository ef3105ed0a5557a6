"""Enrollment's declarative base and the tables every slice reads: schools, classes, students, guardians, pickup
people, programs and applications, with the queries and locks several slices share."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from datetime import date, datetime, time
from typing import Any, TypeVar

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
    and_,
    inspect,
    select,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from chassis.crypto import SealedText
from chassis.problems import Conflict, NotFound
from chassis.tables import ChassisTables
from chassis.uow import UnitOfWork
from services.enrollment.domain.imports import new_id as derived_id
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


# EN-8/issue 11: the kind each table's rows are derived under (imports use the same kinds, so a row created through
# the API and the same row met in a spreadsheet get one id). Pickup persons are derived per child.
KINDS: dict[str, str] = {
    "classes": "class",
    "students": "student",
    "guardians": "guardian",
    "pickup_persons": "pickup",
    "terms": "term",
    "grade_bands": "band",
    "rooms": "room",
    "staff_members": "staff",
    "programs": "program",
    "fee_waivers": "waiver",
    "applications": "application",
}


def stored_id(model: type[Any], *, school_id: str, code: str, within: tuple[str, ...] = ()) -> str:
    """EN-8/issue 11: the stored id of the school's row of `model` whose school code is `code` (pure: the same
    school, kind and code always give the same id, and no other school's code gives it)."""
    return derived_id(school_id, KINDS[model.__tablename__], *within, code)


async def new_id(
    uow: UnitOfWork, model: type[Base], wanted: str | None, school_id: str | None, *, within: tuple[str, ...] = ()
) -> str:
    """The stored id of a new row: derived from the school's code `wanted` (409 only if this school already uses the
    code for this kind), or a new one. Schools (`school_id` None) keep their global id: the national school code."""
    if wanted is None:
        return str(uuid.uuid4())
    if school_id is None:
        if await uow.session.get(model, wanted) is not None:
            raise Conflict(f"'{wanted}' already exists")
        return wanted
    key = stored_id(model, school_id=school_id, code=wanted, within=within)
    if await uow.session.get(model, key) is not None or await external_id_taken(
        uow.session, model, school_id=school_id, external_id=wanted
    ):
        raise Conflict(f"'{wanted}' already exists in this school")
    return key


async def school_student(uow: UnitOfWork, school_id: str, student_id: str) -> Student:
    """The child on the school's roster, or a 404 problem."""
    student = await in_school(uow.session, Student, school_id=school_id, key=student_id)
    if student is None:
        raise NotFound(f"no student '{student_id}' in this school")
    return student


def _named(model: type[Any], *, school_id: str, key: str) -> Any:
    """Issue 11: the condition "the school's row that `key` names": its stored id or the school's code for it (the
    code resolves by derivation, so no other school's row can match)."""
    mapper = inspect(model)
    (primary_key,) = mapper.primary_key
    # A pickup person's code is the child's (see pickups/handlers.py), so only their stored id names them here.
    derived = model.__tablename__ in KINDS and model.__tablename__ != "pickup_persons"
    keys = [key, stored_id(model, school_id=school_id, code=key)] if derived else [key]
    return and_(primary_key.in_(keys), mapper.columns["school_id"] == school_id)


async def in_school(session: AsyncSession, model: type[T], *, school_id: str, key: str) -> T | None:
    """The row of `model` that `key` (its stored id or the school's code) names, only if it belongs to `school_id`."""
    return _pick((await session.scalars(select(model).where(_named(model, school_id=school_id, key=key)))).all(), key)


async def stored_key(session: AsyncSession, model: type[Any], *, school_id: str, key: str | None) -> str | None:
    """Issue 11: the stored id of the school's row that `key` (stored id or school code) names, for a list's filter;
    `key` itself when it names none of the school's rows (the filter then matches nothing)."""
    if key is None:
        return None
    row = await in_school(session, model, school_id=school_id, key=key)
    return key if row is None else str(inspect(row).identity[0])


def _pick(rows: Sequence[T], key: str) -> T | None:
    # A stored id wins over a code that happens to derive another row's id.
    return next((r for r in rows if inspect(r).identity == (key,)), rows[0] if rows else None)


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
    __table_args__ = (UniqueConstraint("school_id", "external_id", name="uq_programs_school_external"),)

    program_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    school_id: Mapped[str] = mapped_column(ForeignKey("schools.school_id"), index=True)
    external_id: Mapped[str | None] = mapped_column(String(64), default=None)  # the school's code (issue 11)
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
    """The program (by stored id or the school's code), only if it belongs to `school_id`."""
    return await in_school(session, Program, school_id=school_id, key=program_id)


async def locked_in_school(session: AsyncSession, model: type[T], *, school_id: str, key: str) -> T | None:
    """`in_school`, locked for this transaction and read afresh: commands on one row queue on it (BX-1: a program's
    place changes; EN-1: two steps on one application)."""
    query = (
        select(model)
        .where(_named(model, school_id=school_id, key=key))
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return _pick((await session.scalars(query)).all(), key)


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
    __table_args__ = (UniqueConstraint("school_id", "external_id", name="uq_applications_school_external"),)

    application_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    school_id: Mapped[str] = mapped_column(ForeignKey("schools.school_id"), index=True)
    external_id: Mapped[str | None] = mapped_column(String(64), default=None)  # the school's code (issue 11)
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
