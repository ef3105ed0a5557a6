"""Notify's copies of enrollment's facts: children's given names and grades, who is told about them, and who may
collect them; kept from enrollment's events, never asked for on the request path."""

from __future__ import annotations

from sqlalchemy import Integer, String, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from services.notify.store import Base


class KnownStudent(Base):
    """A student's given name, so alerts can address the child (from `enrollment.student_enrolled`)."""

    __tablename__ = "known_students"

    student_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    school_id: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(100))
    grade: Mapped[int | None] = mapped_column(Integer, nullable=True)


class GuardianLink(Base):
    """Who is told about a child, and in which language (from `enrollment.guardian_linked`)."""

    __tablename__ = "guardian_links"

    student_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    guardian_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    school_id: Mapped[str] = mapped_column(String(64))
    relation: Mapped[str] = mapped_column(String(32))
    language: Mapped[str] = mapped_column(String(2))


class PickupPerson(Base):
    """An adult authorised to collect a child, with the relation the school recorded (from
    `enrollment.pickup_person_added`), so a check-out alert can say who collected the child (NT-1)."""

    __tablename__ = "pickup_persons"

    person_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    student_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    school_id: Mapped[str] = mapped_column(String(64))
    relation: Mapped[str] = mapped_column(String(32))


async def guardians_of(session: AsyncSession, *, student_id: str) -> list[GuardianLink]:
    """Everyone linked to the child."""
    rows = await session.execute(select(GuardianLink).where(GuardianLink.student_id == student_id))
    return list(rows.scalars())


async def guardians_of_school(
    session: AsyncSession, *, school_id: str, grades: list[int]
) -> list[tuple[str, str, str]]:
    """(guardian id, language, one child's id) for every guardian of the school's children in `grades` (all if
    empty): one row per guardian, for school-wide broadcasts."""
    query = (
        select(GuardianLink.guardian_id, GuardianLink.language, GuardianLink.student_id)
        .join(KnownStudent, KnownStudent.student_id == GuardianLink.student_id)
        .where(GuardianLink.school_id == school_id)
    )
    if grades:
        query = query.where(KnownStudent.grade.in_(grades))
    first: dict[str, tuple[str, str, str]] = {}
    for guardian_id, language, student_id in await session.execute(query.order_by(GuardianLink.student_id)):
        first.setdefault(guardian_id, (guardian_id, language, student_id))
    return list(first.values())
