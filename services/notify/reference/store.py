"""Notify's copies of enrollment's facts: children's given names and grades, who is told about them, who may
collect them, the school's staff and its duty roster; kept from enrollment's events, never asked for on the request
path."""

from __future__ import annotations

from datetime import date

from sqlalchemy import JSON, Date, Integer, String, delete, select
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
    `enrollment.pickup_person_added`) and their name, so a check-out alert can say who collected the child
    (NT-1)."""

    __tablename__ = "pickup_persons"

    person_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    student_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    school_id: Mapped[str] = mapped_column(String(64))
    relation: Mapped[str] = mapped_column(String(32))
    name: Mapped[str | None] = mapped_column(String(100), nullable=True)


class KnownStaff(Base):
    """A member of a school's staff and their roles (from `enrollment.staff_member_registered`), so the school
    office (its school admins) can be told (BX-2)."""

    __tablename__ = "known_staff"

    staff_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    school_id: Mapped[str] = mapped_column(String(64), index=True)
    roles: Mapped[list[str]] = mapped_column(JSON)


class DutyLeaderOnDay(Base):
    """A duty leader (值班) of a school on one day (from `enrollment.duty_roster_set`), called at the duty-leader
    steps (AT-6, BX-3)."""

    __tablename__ = "duty_roster"

    school_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    staff_id: Mapped[str] = mapped_column(String(64), primary_key=True)


async def school_admins(session: AsyncSession, *, school_id: str) -> list[str]:
    """The staff ids of the school's office: everyone holding the school_admin role there, sorted."""
    rows = await session.execute(select(KnownStaff).where(KnownStaff.school_id == school_id))
    return sorted(s.staff_id for s in rows.scalars() if "school_admin" in s.roles)


async def duty_leaders_on(session: AsyncSession, *, school_id: str, day: date) -> list[str]:
    """The school's duty leaders on `day`, sorted (empty when nobody is rostered)."""
    query = select(DutyLeaderOnDay.staff_id).where(DutyLeaderOnDay.school_id == school_id, DutyLeaderOnDay.day == day)
    return list((await session.execute(query.order_by(DutyLeaderOnDay.staff_id))).scalars())


async def replace_duty_day(session: AsyncSession, *, school_id: str, day: date, staff_ids: list[str]) -> None:
    """The day's duty leaders become exactly `staff_ids`."""
    await session.execute(
        delete(DutyLeaderOnDay).where(DutyLeaderOnDay.school_id == school_id, DutyLeaderOnDay.day == day)
    )
    session.add_all(DutyLeaderOnDay(school_id=school_id, day=day, staff_id=s) for s in staff_ids)
    await session.flush()


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
