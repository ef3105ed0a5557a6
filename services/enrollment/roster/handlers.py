"""Roster commands → rules → store + events, each inside one unit of work (EN-8, EN-3)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Literal

from chassis.problems import Conflict, NotFound, Unprocessable
from chassis.uow import UnitOfWork
from contracts.enrollment import (
    ClassCreated,
    GuardianLinked,
    GuardianUnlinked,
    SchoolRegistered,
    StudentEnrolled,
    StudentLeft,
    StudentTransferred,
)
from services.enrollment import store as shared
from services.enrollment.domain import roster
from services.enrollment.domain.roster import RosterRuleBroken, check_grade
from services.enrollment.pickups import store as pickups_store
from services.enrollment.pickups.handlers import remove_pickup
from services.enrollment.places.handlers import release_for_roster_change
from services.enrollment.policy.handlers import lock_district_policy, publish_profiles_of_new_school


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
    priority_groups: tuple[str, ...] = ()


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


@dataclass(frozen=True)
class UnlinkGuardian:
    """Command: a school admin ends a guardian's link to a child."""

    school_id: str
    student_id: str
    guardian_id: str


@dataclass(frozen=True)
class TransferStudent:
    """Command: move a child to another class of the same school (EN-8)."""

    school_id: str
    student_id: str
    to_class_id: str
    effective_on: date


@dataclass(frozen=True)
class RecordLeaving:
    """Command: a child leaves the school's roster (EN-8)."""

    school_id: str
    student_id: str
    effective_on: date


@dataclass(frozen=True)
class SetPriorityGroups:
    """Command: record the EN-3 priority groups a child belongs to."""

    school_id: str
    student_id: str
    groups: tuple[str, ...] = field(default_factory=tuple)


async def _school_exists(uow: UnitOfWork, school_id: str) -> None:
    if await uow.session.get(shared.School, school_id) is None:
        raise NotFound("the school of this token is not registered")


async def register_school(uow: UnitOfWork, command: RegisterSchool) -> shared.School:
    """Add the school and announce it."""
    await lock_district_policy(uow, command.district_id)
    school = shared.School(
        school_id=await shared.new_id(uow, shared.School, command.school_id, None),
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
    await publish_profiles_of_new_school(uow, school)  # PL-1: it inherits its district's default
    return school


async def create_class(uow: UnitOfWork, command: CreateClass) -> shared.SchoolClass:
    """Set up the class and announce it."""
    try:
        grade = check_grade(command.grade)
    except RosterRuleBroken as error:
        raise Unprocessable(str(error), rule="EN-8") from error
    await _school_exists(uow, command.school_id)
    class_id = await shared.new_id(uow, shared.SchoolClass, command.class_id, command.school_id)
    school_class = shared.SchoolClass(
        class_id=class_id, school_id=command.school_id, grade=grade, name=command.name, external_id=class_id
    )
    uow.session.add(school_class)
    await uow.session.flush()
    await uow.publish(
        ClassCreated(class_id=school_class.class_id, school_id=command.school_id, grade=grade, name=command.name),
        school_id=command.school_id,
    )
    return school_class


async def enroll_student(uow: UnitOfWork, command: EnrollStudent) -> tuple[shared.Student, int]:
    """Put the child on the roster and announce it; returns the student and their grade."""
    school_class = await shared.in_school(
        uow.session, shared.SchoolClass, school_id=command.school_id, key=command.class_id
    )
    if school_class is None:
        raise NotFound(f"no class '{command.class_id}' in this school")
    try:
        groups = roster.priority_groups(command.priority_groups)
    except RosterRuleBroken as error:
        raise Unprocessable(str(error), rule="EN-3") from error
    student_id = await shared.new_id(uow, shared.Student, command.student_id, command.school_id)
    student = shared.Student(
        student_id=student_id,
        school_id=command.school_id,
        class_id=school_class.class_id,
        name=command.name,
        external_id=student_id,
        priority_groups=groups,
        status=roster.ACTIVE,
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


async def register_guardian(uow: UnitOfWork, command: RegisterGuardian) -> shared.Guardian:
    """Record the guardian (no event: nobody needs a guardian before they are linked to a child)."""
    await _school_exists(uow, command.school_id)
    guardian_id = await shared.new_id(uow, shared.Guardian, command.guardian_id, command.school_id)
    guardian = shared.Guardian(
        guardian_id=guardian_id,
        school_id=command.school_id,
        name=command.name,
        phone=command.phone,
        preferred_language=command.preferred_language,
        external_id=guardian_id,
    )
    uow.session.add(guardian)
    await uow.session.flush()
    return guardian


async def link_guardian(uow: UnitOfWork, command: LinkGuardian) -> shared.GuardianLink:
    """Link guardian and child of the same school and announce it (notify starts telling them, NT-1)."""
    student = await shared.in_school(uow.session, shared.Student, school_id=command.school_id, key=command.student_id)
    guardian = await shared.in_school(
        uow.session, shared.Guardian, school_id=command.school_id, key=command.guardian_id
    )
    if student is None or guardian is None:
        raise NotFound("no such student or guardian in this school")
    if await uow.session.get(shared.GuardianLink, (command.student_id, command.guardian_id)) is not None:
        raise Conflict("this guardian is already linked to this student")
    link = shared.GuardianLink(
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


async def unlink_guardian(uow: UnitOfWork, command: UnlinkGuardian) -> None:
    """End the link (notify stops telling them, NT-1) and the pickup authorisation it gave (BX-2)."""
    await shared.school_student(uow, command.school_id, command.student_id)
    link = await uow.session.get(shared.GuardianLink, (command.student_id, command.guardian_id))
    if link is None:
        raise NotFound("this guardian is not linked to this student")
    await uow.session.delete(link)
    for person in await pickups_store.pickups_of(uow.session, student_id=command.student_id):
        if person.guardian_id == command.guardian_id and person.status == roster.AUTHORISED:
            await remove_pickup(uow, person)
    await uow.session.flush()
    await uow.publish(
        GuardianUnlinked(guardian_id=command.guardian_id, student_id=command.student_id, school_id=command.school_id),
        school_id=command.school_id,
    )


async def transfer_student(uow: UnitOfWork, command: TransferStudent) -> shared.Student:
    """EN-8: move the child to another class of their school and announce it."""
    student = await shared.school_student(uow, command.school_id, command.student_id)
    target = await shared.in_school(
        uow.session, shared.SchoolClass, school_id=command.school_id, key=command.to_class_id
    )
    if target is None:
        raise NotFound(f"no class '{command.to_class_id}' in this school")
    try:
        roster.check_transfer(status=student.status, from_class=student.class_id, to_class=target.class_id)
    except RosterRuleBroken as error:
        raise Conflict(str(error), rule="EN-8") from error
    from_class, student.class_id, grade = student.class_id, target.class_id, target.grade
    await uow.session.flush()
    await release_for_roster_change(
        uow, school_id=command.school_id, student_id=student.student_id, effective_on=command.effective_on, grade=grade
    )
    await uow.publish(
        StudentTransferred(
            student_id=student.student_id,
            school_id=command.school_id,
            from_class_id=from_class,
            to_class_id=target.class_id,
            grade=target.grade,
            effective_on=command.effective_on,
        ),
        school_id=command.school_id,
    )
    return student


async def record_leaving(uow: UnitOfWork, command: RecordLeaving) -> shared.Student:
    """EN-8: the child leaves the roster from `effective_on` and nothing is expected of them after."""
    student = await shared.school_student(uow, command.school_id, command.student_id)
    if student.status == roster.LEFT:
        raise Conflict("the student has already left", rule="EN-8")
    student.status, student.left_on = roster.LEFT, command.effective_on
    await uow.session.flush()
    await release_for_roster_change(
        uow, school_id=command.school_id, student_id=student.student_id, effective_on=command.effective_on, grade=None
    )
    await uow.publish(
        StudentLeft(student_id=student.student_id, school_id=command.school_id, effective_on=command.effective_on),
        school_id=command.school_id,
    )
    return student


async def set_priority_groups(uow: UnitOfWork, command: SetPriorityGroups) -> shared.Student:
    """EN-3: record the child's priority groups (allocation reads them; nothing is published)."""
    student = await shared.school_student(uow, command.school_id, command.student_id)
    try:
        student.priority_groups = roster.priority_groups(command.groups)
    except RosterRuleBroken as error:
        raise Unprocessable(str(error), rule="EN-3") from error
    await uow.session.flush()
    return student
