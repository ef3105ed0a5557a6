"""Enrollment tables and keyword-only queries."""

from __future__ import annotations

from datetime import date, datetime
from typing import TypeVar

from sqlalchemy import JSON, Boolean, Date, DateTime, ForeignKey, Integer, String, Text, UniqueConstraint, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from chassis.tables import ChassisTables


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
    id_number: Mapped[str | None] = mapped_column(String(32), default=None)  # EN-8; never leaves enrollment
    guardian_id: Mapped[str | None] = mapped_column(String(64), default=None)
    status: Mapped[str] = mapped_column(String(16))  # authorised | restricted | removed
    note: Mapped[str | None] = mapped_column(Text, default=None)  # the custody order; never in an event


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


async def in_school(session: AsyncSession, model: type[T], *, school_id: str, key: str) -> T | None:
    """The row of `model` with primary key `key`, only if it belongs to `school_id`."""
    row = await session.get(model, key)
    return row if row is not None and getattr(row, "school_id", None) == school_id else None


async def guardians_of(session: AsyncSession, *, student_id: str) -> list[str]:
    """Ids of the child's guardians."""
    rows = await session.execute(select(GuardianLink.guardian_id).where(GuardianLink.student_id == student_id))
    return list(rows.scalars())


async def classes_page(session: AsyncSession, *, school_id: str, after: str | None, limit: int) -> list[SchoolClass]:
    """Up to `limit` of a school's classes after the cursor, by id."""
    query = select(SchoolClass).where(SchoolClass.school_id == school_id)
    if after is not None:
        query = query.where(SchoolClass.class_id > after)
    rows = await session.execute(query.order_by(SchoolClass.class_id).limit(limit))
    return list(rows.scalars())


async def external_id_taken(session: AsyncSession, model: type[Base], *, school_id: str, external_id: str) -> bool:
    """Whether the school already uses `external_id` for a row of `model` (its spreadsheets' id)."""
    column = model.__table__.c
    query = select(column.school_id).where(column.school_id == school_id, column.external_id == external_id)
    return (await session.execute(query.limit(1))).first() is not None


async def students_page(
    session: AsyncSession, *, school_id: str, class_id: str | None, status: str | None, after: str | None, limit: int
) -> list[Student]:
    """Up to `limit` of a school's students after the cursor, by id."""
    query = select(Student).where(Student.school_id == school_id)
    if class_id is not None:
        query = query.where(Student.class_id == class_id)
    if status is not None:
        query = query.where(Student.status == status)
    if after is not None:
        query = query.where(Student.student_id > after)
    rows = await session.execute(query.order_by(Student.student_id).limit(limit))
    return list(rows.scalars())


async def children_page(
    session: AsyncSession, *, school_id: str, guardian_id: str, after: str | None, limit: int
) -> list[Student]:
    """Up to `limit` of a guardian's children after the cursor, by id."""
    query = (
        select(Student)
        .join(GuardianLink, GuardianLink.student_id == Student.student_id)
        .where(GuardianLink.guardian_id == guardian_id, Student.school_id == school_id)
    )
    if after is not None:
        query = query.where(Student.student_id > after)
    rows = await session.execute(query.order_by(Student.student_id).limit(limit))
    return list(rows.scalars())


async def links_of_guardian(session: AsyncSession, *, guardian_id: str) -> list[GuardianLink]:
    """The guardian's links to children."""
    rows = await session.execute(
        select(GuardianLink).where(GuardianLink.guardian_id == guardian_id).order_by(GuardianLink.student_id)
    )
    return list(rows.scalars())


async def pickups_of(session: AsyncSession, *, student_id: str) -> list[PickupPerson]:
    """Every pickup person ever recorded for the child (authorised, restricted or removed)."""
    rows = await session.execute(
        select(PickupPerson).where(PickupPerson.student_id == student_id).order_by(PickupPerson.person_id)
    )
    return list(rows.scalars())
