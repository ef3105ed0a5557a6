"""Reference tables (copies of enrollment's facts) and keyword-only queries every attendance slice may use.

Attendance never asks enrollment synchronously: these rows are kept by `reference/handlers.py` from the
events of `contracts/enrollment.py`. The roster itself is `services.attendance.store.RosterStudent`.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, time
from typing import Any

from sqlalchemy import JSON, Boolean, Date, Integer, String, Time, or_, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from chassis.auth import Principal, Role
from contracts.enrollment import DayKind, TermCalendarSet, kind_of_day
from contracts.policy import PolicySettings
from services.attendance.domain.pickup import PersonStanding, standing_of
from services.attendance.store import Base, RosterStudent


class RefClass(Base):
    """A class of a school and its class teacher (ClassCreated, ClassTeacherAssigned)."""

    __tablename__ = "ref_classes"

    class_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    school_id: Mapped[str] = mapped_column(String(64), index=True)
    grade: Mapped[int | None] = mapped_column(Integer, nullable=True)
    teacher_id: Mapped[str | None] = mapped_column(String(64), nullable=True, index=True)


class RefGuardian(Base):
    """A guardian linked to a child (GuardianLinked; the row goes on GuardianUnlinked)."""

    __tablename__ = "ref_guardians"

    student_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    guardian_id: Mapped[str] = mapped_column(String(64), primary_key=True, index=True)
    school_id: Mapped[str] = mapped_column(String(64))
    relation: Mapped[str] = mapped_column(String(32))


class RefPickupPerson(Base):
    """An adult who may (or, restricted, must never) collect a child (BX-2, AT-5)."""

    __tablename__ = "ref_pickup_persons"

    student_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    person_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    school_id: Mapped[str] = mapped_column(String(64))
    relation: Mapped[str | None] = mapped_column(String(32), nullable=True)
    credential_ref: Mapped[str | None] = mapped_column(String(128), nullable=True)
    guardian_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    restricted: Mapped[bool] = mapped_column(Boolean, default=False)
    removed: Mapped[bool] = mapped_column(Boolean, default=False)


class RefWalkHome(Base):
    """AT-5: a guardian's standing permission for the child to leave alone, from a date."""

    __tablename__ = "ref_walk_home"

    student_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    effective_from: Mapped[date] = mapped_column(Date, primary_key=True)
    school_id: Mapped[str] = mapped_column(String(64))
    allowed: Mapped[bool] = mapped_column(Boolean)
    guardian_id: Mapped[str] = mapped_column(String(64))


class RefPolicy(Base):
    """PL-1: a school's resolved settings in force from `effective_from` (the highest version wins)."""

    __tablename__ = "ref_policies"

    school_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    effective_from: Mapped[date] = mapped_column(Date, primary_key=True)
    version: Mapped[int] = mapped_column(Integer)
    settings: Mapped[dict[str, Any]] = mapped_column(JSON)


class RefTerm(Base):
    """EN-5: a term's calendar (the latest TermCalendarSet of the term)."""

    __tablename__ = "ref_terms"

    term_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    school_id: Mapped[str] = mapped_column(String(64), index=True)
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)
    calendar: Mapped[dict[str, Any]] = mapped_column(JSON)


class RefRoom(Base):
    """A room; the reception room (接待室) is flagged (AT-6)."""

    __tablename__ = "ref_rooms"

    room_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    school_id: Mapped[str] = mapped_column(String(64), index=True)
    is_reception: Mapped[bool] = mapped_column(Boolean, default=False)


class RefStaff(Base):
    """A member of staff and their roles (StaffMemberRegistered)."""

    __tablename__ = "ref_staff"

    staff_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    school_id: Mapped[str] = mapped_column(String(64), index=True)
    roles: Mapped[list[str]] = mapped_column(JSON)
    external: Mapped[bool] = mapped_column(Boolean, default=False)


class RefGradeBand(Base):
    """A grade band (AT-4 dismissal by band)."""

    __tablename__ = "ref_grade_bands"

    band_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    school_id: Mapped[str] = mapped_column(String(64), index=True)
    grades: Mapped[list[int]] = mapped_column(JSON)


class RefProgram(Base):
    """A program's schedule (the latest ProgramScheduled; `cancelled_on` from ProgramCancelled)."""

    __tablename__ = "ref_programs"

    program_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    school_id: Mapped[str] = mapped_column(String(64), index=True)
    term_id: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(32))
    room_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    teacher_ids: Mapped[list[str]] = mapped_column(JSON)
    weekdays: Mapped[list[int]] = mapped_column(JSON)
    starts_at: Mapped[time] = mapped_column(Time)
    class_hours: Mapped[int] = mapped_column(Integer)
    min_grade: Mapped[int] = mapped_column(Integer)
    max_grade: Mapped[int] = mapped_column(Integer)
    cancelled_on: Mapped[date | None] = mapped_column(Date, nullable=True)


class RefClubPlace(Base):
    """A child's place in a club (allocated or promoted; released from `released_on`)."""

    __tablename__ = "ref_club_places"

    program_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    student_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    school_id: Mapped[str] = mapped_column(String(64))
    released_on: Mapped[date | None] = mapped_column(Date, nullable=True)


class RefEnrollment(Base):
    """A child's enrollment in the service for a term (EN-1 signed agreement, EN-2 withdrawal)."""

    __tablename__ = "ref_enrollments"

    application_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    student_id: Mapped[str] = mapped_column(String(64), index=True)
    school_id: Mapped[str] = mapped_column(String(64), index=True)
    term_id: Mapped[str] = mapped_column(String(64))
    options: Mapped[list[str]] = mapped_column(JSON, default=list)
    active_from: Mapped[date | None] = mapped_column(Date, nullable=True)
    withdrawn_on: Mapped[date | None] = mapped_column(Date, nullable=True)


@dataclass(frozen=True)
class PickupMatch:
    """The person a credential belongs to, for this child, and whether they may collect them."""

    status: PersonStanding
    person_id: str | None = None
    guardian_id: str | None = None
    relation: str | None = None


# --- the roster ------------------------------------------------------------------------------------------------


async def student(session: AsyncSession, *, school_id: str, student_id: str) -> RosterStudent | None:
    """The child in this school (class, grade, `left_on`), or None (another school's child is None too)."""
    row = await session.get(RosterStudent, student_id)
    return row if row is not None and row.school_id == school_id else None


def on_roster(row: RosterStudent | None, day: date) -> bool:
    """Whether the child is on the roster on `day` (EN-8: nothing is expected from the day they left)."""
    return row is not None and (row.left_on is None or day < row.left_on)


async def students_of_class(session: AsyncSession, *, class_id: str, on: date) -> list[RosterStudent]:
    """The children of a class on a day, by id."""
    query = select(RosterStudent).where(
        RosterStudent.class_id == class_id, or_(RosterStudent.left_on.is_(None), RosterStudent.left_on > on)
    )
    return list((await session.execute(query.order_by(RosterStudent.student_id))).scalars())


async def guardian_ids_of(session: AsyncSession, *, student_id: str) -> list[str]:
    """The child's linked guardians, by id."""
    query = select(RefGuardian.guardian_id).where(RefGuardian.student_id == student_id)
    return list((await session.execute(query.order_by(RefGuardian.guardian_id))).scalars())


async def is_guardian_of(session: AsyncSession, *, guardian_id: str, student_id: str) -> bool:
    """Whether `guardian_id` is a linked guardian of the child (a guardian acts only for their own children)."""
    return await session.get(RefGuardian, (student_id, guardian_id)) is not None


async def children_of(session: AsyncSession, *, guardian_id: str) -> list[str]:
    """The ids of a guardian's children."""
    query = select(RefGuardian.student_id).where(RefGuardian.guardian_id == guardian_id)
    return list((await session.execute(query.order_by(RefGuardian.student_id))).scalars())


async def pickup_person_by_credential(session: AsyncSession, *, student_id: str, credential_ref: str) -> PickupMatch:
    """BX-2: authorised, restricted (custody order: refuse and alert) or unknown, for this child."""
    return (await pickup_people_by_credential(session, keys=[(student_id, credential_ref)]))[student_id, credential_ref]


async def pickup_people_by_credential(
    session: AsyncSession, *, keys: Collection[tuple[str, str]]
) -> dict[tuple[str, str], PickupMatch]:
    """`pickup_person_by_credential` for many (student, credential) pairs in one statement (a batch's cards)."""
    if not keys:
        return {}
    query = select(RefPickupPerson).where(tuple_(RefPickupPerson.student_id, RefPickupPerson.credential_ref).in_(keys))
    holders: dict[tuple[str, str], list[RefPickupPerson]] = {}
    for row in (await session.execute(query)).scalars():
        holders.setdefault((row.student_id, row.credential_ref or ""), []).append(row)
    return {key: _match(holders.get(key, [])) for key in keys}


def _match(rows: list[RefPickupPerson]) -> PickupMatch:
    # A restriction wins over any authorisation the same credential might also carry.
    for row in sorted(rows, key=lambda r: not r.restricted):
        found = standing_of(restricted=row.restricted, removed=row.removed)
        if found is not PersonStanding.UNKNOWN:
            return PickupMatch(found, row.person_id, row.guardian_id, row.relation)
    return PickupMatch(PersonStanding.UNKNOWN)


async def walk_home_allowed(session: AsyncSession, *, student_id: str, on: date) -> bool:
    """AT-5: the guardian's standing permission in force on `on` (the latest one from before or on that day)."""
    query = (
        select(RefWalkHome.allowed)
        .where(RefWalkHome.student_id == student_id, RefWalkHome.effective_from <= on)
        .order_by(RefWalkHome.effective_from.desc())
        .limit(1)
    )
    return bool((await session.execute(query)).scalar_one_or_none())


# --- the school ------------------------------------------------------------------------------------------------


async def class_of(session: AsyncSession, *, class_id: str) -> RefClass | None:
    """A class (its school, grade and class teacher), or None."""
    return await session.get(RefClass, class_id)


async def class_teacher_of(session: AsyncSession, *, class_id: str) -> str | None:
    """The class teacher's staff id (班主任), or None when none is assigned."""
    row = await session.get(RefClass, class_id)
    return row.teacher_id if row is not None else None


async def classes_of_teacher(session: AsyncSession, *, school_id: str, staff_id: str) -> list[str]:
    """The classes whose class teacher `staff_id` is, in this school."""
    query = select(RefClass.class_id).where(RefClass.school_id == school_id, RefClass.teacher_id == staff_id)
    return list((await session.execute(query.order_by(RefClass.class_id))).scalars())


async def staff_member(session: AsyncSession, *, school_id: str, staff_id: str) -> RefStaff | None:
    """A member of staff of this school, or None."""
    row = await session.get(RefStaff, staff_id)
    return row if row is not None and row.school_id == school_id else None


async def policy_on(session: AsyncSession, *, school_id: str, day: date) -> PolicySettings:
    """PL-1: the settings in force on `day` (the latest profile from on or before it), else the defaults."""
    query = (
        select(RefPolicy.settings)
        .where(RefPolicy.school_id == school_id, RefPolicy.effective_from <= day)
        .order_by(RefPolicy.effective_from.desc())
        .limit(1)
    )
    settings = (await session.execute(query)).scalar_one_or_none()
    return PolicySettings() if settings is None else PolicySettings.model_validate(settings)


async def term_on(session: AsyncSession, *, school_id: str, day: date) -> TermCalendarSet | None:
    """The school's term calendar that contains `day`, or None."""
    query = select(RefTerm.calendar).where(
        RefTerm.school_id == school_id, RefTerm.starts_on <= day, RefTerm.ends_on >= day
    )
    calendar = (await session.execute(query.order_by(RefTerm.starts_on.desc()).limit(1))).scalar_one_or_none()
    return None if calendar is None else TermCalendarSet.model_validate(calendar)


async def day_kind(session: AsyncSession, *, school_id: str, day: date) -> DayKind:
    """EN-5: school day, weekend, holiday or vacation (`contracts.enrollment.kind_of_day`)."""
    term = await term_on(session, school_id=school_id, day=day)
    any_term = select(RefTerm.term_id).where(RefTerm.school_id == school_id).limit(1)
    has_calendar = term is not None or (await session.execute(any_term)).first() is not None
    return kind_of_day(day, term, school_has_calendar=has_calendar)


async def reception_room(session: AsyncSession, *, school_id: str) -> str | None:
    """AT-6: the school's reception room (接待室), or None when none is flagged."""
    query = select(RefRoom.room_id).where(RefRoom.school_id == school_id, RefRoom.is_reception.is_(True))
    return (await session.execute(query.order_by(RefRoom.room_id).limit(1))).scalar_one_or_none()


async def grade_bands(session: AsyncSession, *, school_id: str) -> list[RefGradeBand]:
    """The school's grade bands (AT-4), by id."""
    query = select(RefGradeBand).where(RefGradeBand.school_id == school_id).order_by(RefGradeBand.band_id)
    return list((await session.execute(query)).scalars())


async def school_ids(session: AsyncSession) -> list[str]:
    """Every school attendance knows of (from its programs and its roster)."""
    programs = select(RefProgram.school_id).distinct()
    roster = select(RosterStudent.school_id).distinct()
    found = set((await session.execute(programs)).scalars()) | set((await session.execute(roster)).scalars())
    return sorted(found)


# --- programs, places and enrollments --------------------------------------------------------------------------


async def program(session: AsyncSession, *, program_id: str) -> RefProgram | None:
    """A program's schedule, or None."""
    return await session.get(RefProgram, program_id)


async def programs_of_school(session: AsyncSession, *, school_id: str) -> list[RefProgram]:
    """A school's programs (cancelled ones too: `cancelled_on` says from when), by id."""
    query = select(RefProgram).where(RefProgram.school_id == school_id).order_by(RefProgram.program_id)
    return list((await session.execute(query)).scalars())


async def club_members(session: AsyncSession, *, program_id: str, on: date) -> list[str]:
    """BX-1: the children holding a place in the club on `on`, by id."""
    query = select(RefClubPlace.student_id).where(
        RefClubPlace.program_id == program_id,
        or_(RefClubPlace.released_on.is_(None), RefClubPlace.released_on > on),
    )
    return list((await session.execute(query.order_by(RefClubPlace.student_id))).scalars())


async def enrollments_on(session: AsyncSession, *, school_id: str, term_id: str, on: date) -> list[RefEnrollment]:
    """EN-1/EN-2: the enrollments of a term active on `on` (signed, active from then, not yet withdrawn)."""
    query = select(RefEnrollment).where(
        RefEnrollment.school_id == school_id,
        RefEnrollment.term_id == term_id,
        RefEnrollment.active_from.is_not(None),
        RefEnrollment.active_from <= on,
        or_(RefEnrollment.withdrawn_on.is_(None), RefEnrollment.withdrawn_on > on),
    )
    return list((await session.execute(query.order_by(RefEnrollment.student_id))).scalars())


async def roster_of(session: AsyncSession, *, student_ids: list[str]) -> dict[str, RosterStudent]:
    """The roster rows of these children, by id."""
    if not student_ids:
        return {}
    rows = await session.execute(select(RosterStudent).where(RosterStudent.student_id.in_(student_ids)))
    return {row.student_id: row for row in rows.scalars()}


# --- who may follow up a child's case ---------------------------------------------------------------------------

SCHOOL_WIDE = (Role.SCHOOL_ADMIN, Role.DUTY_LEADER)


async def may_follow_up(
    session: AsyncSession, principal: Principal, *, class_id: str, teacher_ids: Collection[str]
) -> bool:
    """Whether the caller (already of the case's school) may resolve a case of this class and session."""
    if principal.role in SCHOOL_WIDE:
        return True
    if principal.role is Role.CLASS_TEACHER:
        return await class_teacher_of(session, class_id=class_id) == principal.subject
    if principal.role is Role.SERVICE_TEACHER:
        return principal.subject in teacher_ids
    return False
