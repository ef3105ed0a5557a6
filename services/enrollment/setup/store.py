"""Tables and queries of the school's set-up (on enrollment's metadata, `services.enrollment.store.Base`).

Other slices (programs, applications, roster, imports) read these through the keyword-only queries below;
every query is scoped to a school so another school's row is never returned.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from typing import TypeVar

from sqlalchemy import JSON, Boolean, Date, ForeignKey, Integer, String, UniqueConstraint, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute, Mapped, mapped_column

from chassis.pagination import rows_after
from services.enrollment.store import Base, SchoolClass, in_school

T = TypeVar("T")


class Term(Base):
    """A school term (学期) with its calendar (EN-5); dates are ISO strings in the JSON lists."""

    __tablename__ = "terms"
    __table_args__ = (UniqueConstraint("school_id", "external_id", name="uq_terms_school_external"),)

    term_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    school_id: Mapped[str] = mapped_column(ForeignKey("schools.school_id"), index=True)
    external_id: Mapped[str | None] = mapped_column(String(64), default=None)  # the school's code (issue 11)
    name: Mapped[str] = mapped_column(String(100))
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)
    holidays: Mapped[list[str]] = mapped_column(JSON, default=list)
    makeup_days: Mapped[list[str]] = mapped_column(JSON, default=list)
    winter_from: Mapped[date | None] = mapped_column(Date, nullable=True)
    winter_to: Mapped[date | None] = mapped_column(Date, nullable=True)


class StaffMember(Base):
    """A member of staff or an external provider's teacher; `staff_id` is their token subject."""

    __tablename__ = "staff_members"
    __table_args__ = (UniqueConstraint("school_id", "external_id", name="uq_staff_members_school_external"),)

    staff_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    school_id: Mapped[str] = mapped_column(ForeignKey("schools.school_id"), index=True)
    external_id: Mapped[str | None] = mapped_column(String(64), default=None)  # the school's code (issue 11)
    name: Mapped[str] = mapped_column(String(100))
    roles: Mapped[list[str]] = mapped_column(JSON, default=list)  # contracts.enrollment.StaffRole values
    external: Mapped[bool] = mapped_column(Boolean, default=False)


class ClassTeacher(Base):
    """The class teacher (班主任) of a class: one per class."""

    __tablename__ = "class_teachers"

    class_id: Mapped[str] = mapped_column(ForeignKey("classes.class_id"), primary_key=True)
    school_id: Mapped[str] = mapped_column(ForeignKey("schools.school_id"), index=True)
    staff_id: Mapped[str] = mapped_column(ForeignKey("staff_members.staff_id"), index=True)


class Teaching(Base):
    """A subject teacher teaches a subject to a class (HW-4: who may set that class's homework)."""

    __tablename__ = "teachings"

    class_id: Mapped[str] = mapped_column(ForeignKey("classes.class_id"), primary_key=True)
    staff_id: Mapped[str] = mapped_column(ForeignKey("staff_members.staff_id"), primary_key=True)
    school_subject: Mapped[str] = mapped_column(String(50), primary_key=True)
    school_id: Mapped[str] = mapped_column(ForeignKey("schools.school_id"), index=True)


class Room(Base):
    """A room where sessions are held; the reception room (接待室) is flagged (AT-6)."""

    __tablename__ = "rooms"
    __table_args__ = (UniqueConstraint("school_id", "external_id", name="uq_rooms_school_external"),)

    room_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    school_id: Mapped[str] = mapped_column(ForeignKey("schools.school_id"), index=True)
    external_id: Mapped[str | None] = mapped_column(String(64), default=None)  # the school's code (issue 11)
    name: Mapped[str] = mapped_column(String(100))
    capacity: Mapped[int] = mapped_column(Integer)
    is_reception: Mapped[bool] = mapped_column(Boolean, default=False)


class GradeBand(Base):
    """A band of grades (e.g. 1–2) used for staggered dismissal (AT-4) and program levels (EN-4)."""

    __tablename__ = "grade_bands"
    __table_args__ = (UniqueConstraint("school_id", "external_id", name="uq_grade_bands_school_external"),)

    band_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    school_id: Mapped[str] = mapped_column(ForeignKey("schools.school_id"), index=True)
    external_id: Mapped[str | None] = mapped_column(String(64), default=None)  # the school's code (issue 11)
    name: Mapped[str] = mapped_column(String(100))
    grades: Mapped[list[int]] = mapped_column(JSON, default=list)


async def term_in_school(session: AsyncSession, *, school_id: str, term_id: str) -> Term | None:
    """The term, only if it belongs to `school_id`."""
    return await in_school(session, Term, school_id=school_id, key=term_id)


async def class_teacher_of(session: AsyncSession, *, class_id: str) -> str | None:
    """The staff id of the class's class teacher, or None when none is assigned."""
    row = await session.get(ClassTeacher, class_id)
    return row.staff_id if row is not None else None


async def classes_of_teacher(
    session: AsyncSession, *, school_id: str, staff_id: str, after: str | None, limit: int
) -> list[tuple[SchoolClass, bool, list[str]]]:
    """Up to `limit` classes after `after` (by id) that the member of staff leads or teaches: each with whether they
    lead it and the subjects they teach there."""
    led = select(ClassTeacher.class_id).where(ClassTeacher.staff_id == staff_id, ClassTeacher.school_id == school_id)
    taught = select(Teaching.class_id).where(Teaching.staff_id == staff_id, Teaching.school_id == school_id)
    query = select(SchoolClass).where(SchoolClass.class_id.in_(led.union(taught)))
    classes: list[SchoolClass] = await rows_after(session, query, [SchoolClass.class_id], after, limit)
    ids = [c.class_id for c in classes]
    leads = set((await session.scalars(led.where(ClassTeacher.class_id.in_(ids)))).all())
    subjects: dict[str, list[str]] = defaultdict(list)
    rows = await session.execute(
        select(Teaching.class_id, Teaching.school_subject)
        .where(Teaching.staff_id == staff_id, Teaching.class_id.in_(ids))
        .order_by(Teaching.school_subject)
    )
    for class_id, subject in rows:
        subjects[class_id].append(subject)
    return [(c, c.class_id in leads, subjects[c.class_id]) for c in classes]


async def staff_in_school(session: AsyncSession, *, school_id: str, staff_id: str) -> StaffMember | None:
    """The member of staff, only if they belong to `school_id`."""
    return await in_school(session, StaffMember, school_id=school_id, key=staff_id)


async def room_in_school(session: AsyncSession, *, school_id: str, room_id: str) -> Room | None:
    """The room, only if it belongs to `school_id`."""
    return await in_school(session, Room, school_id=school_id, key=room_id)


async def terms_of(session: AsyncSession, *, school_id: str) -> list[Term]:
    """A school's terms by start date."""
    rows = await session.execute(select(Term).where(Term.school_id == school_id).order_by(Term.starts_on))
    return list(rows.scalars())


async def bands_of(session: AsyncSession, *, school_id: str) -> list[GradeBand]:
    """A school's grade bands."""
    rows = await session.execute(select(GradeBand).where(GradeBand.school_id == school_id))
    return list(rows.scalars())


async def teachings_of(
    session: AsyncSession, *, class_id: str, after: tuple[str, str] | None, limit: int
) -> list[Teaching]:
    """Up to `limit + 1` of who teaches which subject to a class, after the (staff id, subject) key."""
    query = select(Teaching).where(Teaching.class_id == class_id)
    return await rows_after(session, query, [Teaching.staff_id, Teaching.school_subject], after, limit + 1)


async def teachers_of_class(session: AsyncSession, *, school_id: str, class_id: str) -> set[str]:
    """Who teaches a subject to a class of `school_id` (HW-4), by staff id."""
    query = select(Teaching.staff_id).where(Teaching.class_id == class_id, Teaching.school_id == school_id)
    return set((await session.scalars(query)).all())


async def page_in_school(
    session: AsyncSession,
    model: type[T],
    *,
    school_id: str,
    key: InstrumentedAttribute[str],
    after: str | None,
    limit: int,
) -> list[T]:
    """Up to `limit + 1` rows of a school's `model` whose `key` comes after `after` (keyset pagination)."""
    query = select(model).where(model.school_id == school_id)  # type: ignore[attr-defined]
    return await rows_after(session, query, [key], after, limit + 1)


async def duties_of(session: AsyncSession, *, staff_id: str) -> tuple[bool, bool]:
    """Whether the member of staff is a class teacher of some class, and whether they teach some class."""
    leads = await session.scalar(select(ClassTeacher.class_id).where(ClassTeacher.staff_id == staff_id).limit(1))
    teaches = await session.scalar(select(Teaching.class_id).where(Teaching.staff_id == staff_id).limit(1))
    return leads is not None, teaches is not None
