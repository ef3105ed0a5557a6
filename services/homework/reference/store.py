"""Homework's own copies of enrollment's facts (classes, teaching, roster, guardians, policy profiles, calendars)
and attendance's presence, kept from their events: homework never asks another service on the request path.
Also who may see what through them: the school comes from the token; a class teacher sees their class, a subject
teacher the classes they teach, service teachers and the school admin the whole school, a guardian only their
own child."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import JSON, Date, Integer, String, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from chassis.auth import Principal, Role
from chassis.problems import NotFound
from contracts.enrollment import TermCalendarSet
from contracts.policy import PolicySettings, policy_on
from services.homework.domain import caps
from services.homework.domain.calendar import day_kind
from services.homework.store import Base


class SchoolClass(Base):
    """A class as homework knows it: its grade (HW-1/HW-2) and class teacher (HW-4)."""

    __tablename__ = "classes"

    class_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    school_id: Mapped[str] = mapped_column(String(64), index=True)
    grade: Mapped[int] = mapped_column(Integer)
    class_teacher_id: Mapped[str | None] = mapped_column(String(64), nullable=True)


class Teaching(Base):
    """A subject teacher teaches a subject to a class, so may set its homework."""

    __tablename__ = "teachings"

    class_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    staff_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    school_subject: Mapped[str] = mapped_column(String(64), primary_key=True)
    school_id: Mapped[str] = mapped_column(String(64))


class Student(Base):
    """A child on the roster: their class (None once they left)."""

    __tablename__ = "students"

    student_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    school_id: Mapped[str] = mapped_column(String(64))
    class_id: Mapped[str | None] = mapped_column(String(64), index=True, nullable=True)


class GuardianLink(Base):
    """Who may see a child's homework."""

    __tablename__ = "guardian_links"

    student_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    guardian_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    school_id: Mapped[str] = mapped_column(String(64))


class PolicyProfile(Base):
    """PL-1: a school's resolved settings from `effective_from`; every one is kept."""

    __tablename__ = "policy_profiles"

    school_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    effective_from: Mapped[date] = mapped_column(Date, primary_key=True)
    version: Mapped[int] = mapped_column(Integer)
    settings: Mapped[dict[str, Any]] = mapped_column(JSON)


class TermCalendar(Base):
    """EN-5: a term's calendar (the event as published), for the kind of each day."""

    __tablename__ = "term_calendars"

    term_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    school_id: Mapped[str] = mapped_column(String(64), index=True)
    calendar: Mapped[dict[str, Any]] = mapped_column(JSON)


class Presence(Base):
    """A child checked in to the supervised session of a day (from attendance)."""

    __tablename__ = "presences"

    student_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    session_date: Mapped[date] = mapped_column(Date, primary_key=True)
    school_id: Mapped[str] = mapped_column(String(64))


async def get_class(session: AsyncSession, *, school_id: str, class_id: str) -> SchoolClass | None:
    """A class of this school (None for another school's class, so it is never revealed)."""
    row = await session.get(SchoolClass, class_id)
    return row if row is not None and row.school_id == school_id else None


async def teaches(session: AsyncSession, *, class_id: str, staff_id: str, school_subject: str | None = None) -> bool:
    """Whether the teacher teaches the class (the subject, when given)."""
    query = select(Teaching.staff_id).where(Teaching.class_id == class_id, Teaching.staff_id == staff_id)
    if school_subject is not None:
        query = query.where(Teaching.school_subject == school_subject)
    return (await session.execute(query.limit(1))).first() is not None


async def teachings_of(session: AsyncSession, *, class_id: str) -> list[Teaching]:
    """Who teaches what to the class."""
    query = select(Teaching).where(Teaching.class_id == class_id).order_by(Teaching.school_subject, Teaching.staff_id)
    return list((await session.execute(query)).scalars())


async def policies(session: AsyncSession, *, school_id: str) -> list[tuple[date, PolicySettings]]:
    """Every policy profile of the school, by effective date."""
    rows = await session.execute(select(PolicyProfile).where(PolicyProfile.school_id == school_id))
    return [(row.effective_from, PolicySettings.model_validate(row.settings)) for row in rows.scalars()]


async def calendars(session: AsyncSession, *, school_id: str) -> list[TermCalendarSet]:
    """Every term calendar of the school."""
    rows = await session.execute(select(TermCalendar).where(TermCalendar.school_id == school_id))
    return [TermCalendarSet.model_validate(row.calendar) for row in rows.scalars()]


async def is_present(session: AsyncSession, *, school_id: str, student_id: str, on: date) -> bool:
    """Whether the child checked in to that day's supervised session."""
    row = await session.get(Presence, (student_id, on))
    return row is not None and row.school_id == school_id


async def is_guardian(session: AsyncSession, *, guardian_id: str, student_id: str, school_id: str) -> bool:
    """Whether the guardian is linked to the child in this school."""
    row = await session.get(GuardianLink, (student_id, guardian_id))
    return row is not None and row.school_id == school_id


async def guardian_in_class(session: AsyncSession, *, guardian_id: str, class_id: str) -> bool:
    """Whether the guardian has a child in the class (so may see its published plan)."""
    query = (
        select(GuardianLink.student_id)
        .join(Student, Student.student_id == GuardianLink.student_id)
        .where(GuardianLink.guardian_id == guardian_id, Student.class_id == class_id)
        .limit(1)
    )
    return (await session.execute(query)).first() is not None


async def students_of(session: AsyncSession, *, class_id: str) -> list[str]:
    """The ids of the children now in the class."""
    query = select(Student.student_id).where(Student.class_id == class_id).order_by(Student.student_id)
    return list((await session.execute(query)).scalars())


async def class_day(session: AsyncSession, *, school_id: str, grade: int, on: date) -> caps.ClassDay:
    """The grade, the kind of day and the policy profile in force that day (PL-1, EN-5)."""
    profiles = await policies(session, school_id=school_id)
    terms = await calendars(session, school_id=school_id)
    return caps.ClassDay(grade=grade, kind=day_kind(terms, on), policy=policy_on(profiles, on))


async def class_for(session: AsyncSession, principal: Principal, class_id: str) -> SchoolClass:
    """The class, if the caller may see it; 404 otherwise (another school's class is never revealed)."""
    school_class = await get_class(session, school_id=principal.school(), class_id=class_id)
    if school_class is not None and await _may_see(session, principal, school_class):
        return school_class
    raise NotFound(f"no class '{class_id}' for you")


async def _may_see(session: AsyncSession, principal: Principal, school_class: SchoolClass) -> bool:
    if principal.role in (Role.SCHOOL_ADMIN, Role.SERVICE_TEACHER):
        return True
    if principal.role is Role.CLASS_TEACHER:
        return school_class.class_teacher_id == principal.subject
    if principal.role is Role.SUBJECT_TEACHER:
        return await teaches(session, class_id=school_class.class_id, staff_id=principal.subject)
    if principal.role is Role.GUARDIAN:
        return await guardian_in_class(session, guardian_id=principal.subject, class_id=school_class.class_id)
    return False


async def student_for(session: AsyncSession, principal: Principal, student_id: str) -> Student:
    """The child, if the caller is their guardian, their class's teacher or the school; 404 otherwise."""
    student = await session.get(Student, student_id)
    if student is not None and student.school_id == principal.school() and student.class_id is not None:
        if principal.role is Role.GUARDIAN:
            if await is_guardian(
                session, guardian_id=principal.subject, student_id=student_id, school_id=principal.school()
            ):
                return student
        elif await _may_see(session, principal, await _class(session, student.class_id)):
            return student
    raise NotFound(f"no student '{student_id}' for you")


async def _class(session: AsyncSession, class_id: str) -> SchoolClass:
    school_class = await session.get(SchoolClass, class_id)
    if school_class is None:
        raise NotFound(f"no class '{class_id}'")
    return school_class
