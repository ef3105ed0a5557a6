"""Notify's copies of enrollment's facts: children's given names and grades, who is told about them, who may
collect them, the school's staff and its duty roster; kept from enrollment's events, never asked for on the request
path."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from sqlalchemy import JSON, Date, Integer, String, delete, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from chassis.uow import UnitOfWork
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


FRESH = {"populate_existing": True}
"""Rows a handler of the batch upserted with a Core statement are read as they are now, not as the session first
loaded them."""
LINKS, STUDENTS, COLLECTORS = "guardian-links", "known-students", "pickup-persons"
"""What `links_of`, `students_in` and `collectors_in` remember in a unit of work (`UnitOfWork.read_many`); a handler
that writes those rows forgets it."""


async def students_in(uow: UnitOfWork, student_ids: Iterable[str]) -> dict[str, KnownStudent | None]:
    """Each child as notify knows them (None if not on a roster), read once a transaction."""

    async def read(ids: list[str]) -> dict[str, KnownStudent]:
        found = await uow.session.execute(
            select(KnownStudent).where(KnownStudent.student_id.in_(ids)), execution_options=FRESH
        )
        return {student.student_id: student for student in found.scalars()}

    return await uow.read_many(STUDENTS, student_ids, read)


async def collectors_in(
    uow: UnitOfWork, pairs: Iterable[tuple[str, str]]
) -> dict[tuple[str, str], PickupPerson | None]:
    """Each (person, child)'s authorised adult (None if unknown), read once a transaction."""

    async def read(wanted: list[tuple[str, str]]) -> dict[tuple[str, str], PickupPerson]:
        key = tuple_(PickupPerson.person_id, PickupPerson.student_id)
        found = await uow.session.execute(select(PickupPerson).where(key.in_(wanted)), execution_options=FRESH)
        return {(person.person_id, person.student_id): person for person in found.scalars()}

    return await uow.read_many(COLLECTORS, pairs, read)


async def links_of(uow: UnitOfWork, student_ids: Iterable[str]) -> dict[str, list[GuardianLink]]:
    """Everyone linked to each child, read once a transaction for the children not asked before (a consumer's
    prefetch asks for a whole batch's)."""

    async def read(ids: list[str]) -> dict[str, list[GuardianLink]]:
        found: dict[str, list[GuardianLink]] = {}
        query = select(GuardianLink).where(GuardianLink.student_id.in_(ids))
        for link in (await uow.session.execute(query, execution_options=FRESH)).scalars():
            found.setdefault(link.student_id, []).append(link)
        return found

    return {child: links or [] for child, links in (await uow.read_many(LINKS, student_ids, read)).items()}


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
