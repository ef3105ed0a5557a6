"""Enrollment tables and keyword-only queries."""

from __future__ import annotations

from typing import TypeVar

from sqlalchemy import ForeignKey, Integer, String, select
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

    class_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    school_id: Mapped[str] = mapped_column(ForeignKey("schools.school_id"), index=True)
    grade: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(100))


class Student(Base):
    """A child on a school's roster."""

    __tablename__ = "students"

    student_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    school_id: Mapped[str] = mapped_column(ForeignKey("schools.school_id"), index=True)
    class_id: Mapped[str] = mapped_column(ForeignKey("classes.class_id"))
    name: Mapped[str] = mapped_column(String(100))


class Guardian(Base):
    """A parent or other guardian; the phone number stays in this service."""

    __tablename__ = "guardians"

    guardian_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    school_id: Mapped[str] = mapped_column(ForeignKey("schools.school_id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    phone: Mapped[str] = mapped_column(String(32))
    preferred_language: Mapped[str] = mapped_column(String(2))


class GuardianLink(Base):
    """A guardian of a child, with the relation the school records."""

    __tablename__ = "guardian_links"

    student_id: Mapped[str] = mapped_column(ForeignKey("students.student_id"), primary_key=True)
    guardian_id: Mapped[str] = mapped_column(ForeignKey("guardians.guardian_id"), primary_key=True)
    relation: Mapped[str] = mapped_column(String(32))


async def in_school(session: AsyncSession, model: type[T], *, school_id: str, key: str) -> T | None:
    """The row of `model` with primary key `key`, only if it belongs to `school_id`."""
    row = await session.get(model, key)
    return row if row is not None and getattr(row, "school_id", None) == school_id else None


async def guardians_of(session: AsyncSession, *, student_id: str) -> list[str]:
    """Ids of the child's guardians."""
    rows = await session.execute(select(GuardianLink.guardian_id).where(GuardianLink.student_id == student_id))
    return list(rows.scalars())


async def classes_of(session: AsyncSession, *, school_id: str) -> list[SchoolClass]:
    """A school's classes by grade and name."""
    rows = await session.execute(
        select(SchoolClass).where(SchoolClass.school_id == school_id).order_by(SchoolClass.grade, SchoolClass.name)
    )
    return list(rows.scalars())
