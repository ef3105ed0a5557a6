"""Roster commands → rules → store + events, each inside one unit of work."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Literal

from chassis.problems import Conflict, NotFound, Unprocessable
from chassis.uow import UnitOfWork
from contracts.enrollment import ClassCreated, GuardianLinked, SchoolRegistered, StudentEnrolled
from services.enrollment import store
from services.enrollment.domain.roster import RosterRuleBroken, check_grade


@dataclass(frozen=True)
class RegisterSchool:
    """Command: a district operator adds a school."""

    district_id: str
    name: str
    school_id: str | None = None


@dataclass(frozen=True)
class CreateClass:
    """Command: a school admin sets up a class."""

    school_id: str
    grade: int
    name: str
    class_id: str | None = None


@dataclass(frozen=True)
class EnrollStudent:
    """Command: a school admin puts a child on the roster in a class."""

    school_id: str
    class_id: str
    name: str
    student_id: str | None = None


@dataclass(frozen=True)
class RegisterGuardian:
    """Command: a school admin records a guardian."""

    school_id: str
    name: str
    phone: str
    preferred_language: Literal["zh", "en"]
    guardian_id: str | None = None


@dataclass(frozen=True)
class LinkGuardian:
    """Command: a school admin links a guardian to a child."""

    school_id: str
    student_id: str
    guardian_id: str
    relation: str


async def _new_id(uow: UnitOfWork, model: type[object], wanted: str | None) -> str:
    if wanted is None:
        return str(uuid.uuid4())
    if await uow.session.get(model, wanted) is not None:
        raise Conflict(f"'{wanted}' already exists")
    return wanted


async def register_school(uow: UnitOfWork, command: RegisterSchool) -> store.School:
    """Add the school and announce it."""
    school = store.School(
        school_id=await _new_id(uow, store.School, command.school_id),
        district_id=command.district_id,
        name=command.name,
        timezone="Asia/Shanghai",
    )
    uow.session.add(school)
    await uow.session.flush()
    await uow.publish(
        SchoolRegistered(school_id=school.school_id, district_id=school.district_id, name=school.name),
        school_id=school.school_id,
    )
    return school


async def create_class(uow: UnitOfWork, command: CreateClass) -> store.SchoolClass:
    """Set up the class and announce it."""
    try:
        grade = check_grade(command.grade)
    except RosterRuleBroken as error:
        raise Unprocessable(str(error), rule="EN-8") from error
    if await uow.session.get(store.School, command.school_id) is None:
        raise NotFound("the school of this token is not registered")
    school_class = store.SchoolClass(
        class_id=await _new_id(uow, store.SchoolClass, command.class_id),
        school_id=command.school_id,
        grade=grade,
        name=command.name,
    )
    uow.session.add(school_class)
    await uow.session.flush()
    await uow.publish(
        ClassCreated(class_id=school_class.class_id, school_id=command.school_id, grade=grade, name=command.name),
        school_id=command.school_id,
    )
    return school_class


async def enroll_student(uow: UnitOfWork, command: EnrollStudent) -> tuple[store.Student, int]:
    """Put the child on the roster and announce it; returns the student and their grade."""
    school_class = await store.in_school(
        uow.session, store.SchoolClass, school_id=command.school_id, key=command.class_id
    )
    if school_class is None:
        raise NotFound(f"no class '{command.class_id}' in this school")
    student = store.Student(
        student_id=await _new_id(uow, store.Student, command.student_id),
        school_id=command.school_id,
        class_id=school_class.class_id,
        name=command.name,
    )
    uow.session.add(student)
    await uow.session.flush()
    await uow.publish(
        StudentEnrolled(
            student_id=student.student_id,
            school_id=command.school_id,
            class_id=student.class_id,
            grade=school_class.grade,
            name=student.name,
        ),
        school_id=command.school_id,
    )
    return student, school_class.grade


async def register_guardian(uow: UnitOfWork, command: RegisterGuardian) -> store.Guardian:
    """Record the guardian (no event: nobody needs a guardian before they are linked to a child)."""
    if await uow.session.get(store.School, command.school_id) is None:
        raise NotFound("the school of this token is not registered")
    guardian = store.Guardian(
        guardian_id=await _new_id(uow, store.Guardian, command.guardian_id),
        school_id=command.school_id,
        name=command.name,
        phone=command.phone,
        preferred_language=command.preferred_language,
    )
    uow.session.add(guardian)
    await uow.session.flush()
    return guardian


async def link_guardian(uow: UnitOfWork, command: LinkGuardian) -> store.GuardianLink:
    """Link guardian and child of the same school and announce it (notify starts telling them, NT-1)."""
    student = await store.in_school(uow.session, store.Student, school_id=command.school_id, key=command.student_id)
    guardian = await store.in_school(uow.session, store.Guardian, school_id=command.school_id, key=command.guardian_id)
    if student is None or guardian is None:
        raise NotFound("no such student or guardian in this school")
    if await uow.session.get(store.GuardianLink, (command.student_id, command.guardian_id)) is not None:
        raise Conflict("this guardian is already linked to this student")
    link = store.GuardianLink(
        student_id=student.student_id, guardian_id=guardian.guardian_id, relation=command.relation
    )
    uow.session.add(link)
    await uow.session.flush()
    await uow.publish(
        GuardianLinked(
            guardian_id=guardian.guardian_id,
            student_id=student.student_id,
            school_id=command.school_id,
            relation=command.relation,
            preferred_language="en" if guardian.preferred_language == "en" else "zh",
        ),
        school_id=command.school_id,
    )
    return link
