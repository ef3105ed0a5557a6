"""Roster commands → rules → store + events, each inside one unit of work (EN-8, EN-3)."""

from __future__ import annotations

from chassis.clock import school_today
from chassis.problems import Conflict, NotFound, Unprocessable
from chassis.records import from_fields
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
from services.enrollment.roster.schemas import (
    ClassCreate,
    GuardianCreate,
    GuardianLinkCreate,
    LeavingCreate,
    PriorityGroupsSet,
    SchoolCreate,
    StudentCreate,
    TransferCreate,
)


async def _school_exists(uow: UnitOfWork, school_id: str) -> None:
    if await uow.session.get(shared.School, school_id) is None:
        raise NotFound("the school of this token is not registered")


async def register_school(uow: UnitOfWork, body: SchoolCreate, *, district_id: str) -> shared.School:
    """A district operator adds a school to their district: kept and announced."""
    await lock_district_policy(uow, district_id)
    school_id = await shared.new_id(uow, shared.School, body.id, None)
    school = shared.School(school_id=school_id, district_id=district_id, name=body.name, timezone="Asia/Shanghai")
    uow.session.add(school)
    await uow.session.flush()
    await uow.publish(from_fields(SchoolRegistered, school), school_id=school.school_id)
    await publish_profiles_of_new_school(uow, school)  # PL-1: it inherits its district's default
    return school


async def create_class(uow: UnitOfWork, body: ClassCreate, *, school_id: str) -> shared.SchoolClass:
    """A school admin sets up a class: kept and announced."""
    try:
        grade = check_grade(body.grade)
    except RosterRuleBroken as error:
        raise Unprocessable(str(error), rule="EN-8") from error
    await _school_exists(uow, school_id)
    class_id = await shared.new_id(uow, shared.SchoolClass, body.id, school_id)
    school_class = shared.SchoolClass(
        class_id=class_id, school_id=school_id, grade=grade, name=body.name, external_id=body.id
    )
    uow.session.add(school_class)
    await uow.session.flush()
    await uow.publish(from_fields(ClassCreated, school_class), school_id=school_id)
    return school_class


async def enroll_student(uow: UnitOfWork, body: StudentCreate, *, school_id: str) -> shared.Student:
    """A school admin puts a child on the roster in a class: kept and announced."""
    school_class = await shared.in_school(uow.session, shared.SchoolClass, school_id=school_id, key=body.class_id)
    if school_class is None:
        raise NotFound(f"no class '{body.class_id}' in this school")
    try:
        groups = roster.priority_groups(tuple(body.priority_groups))
    except RosterRuleBroken as error:
        raise Unprocessable(str(error), rule="EN-3") from error
    student_id = await shared.new_id(uow, shared.Student, body.id, school_id)
    student = shared.Student(
        student_id=student_id,
        school_id=school_id,
        class_id=school_class.class_id,
        name=body.name,
        external_id=body.id,
        priority_groups=groups,
        status=roster.ACTIVE,
    )
    uow.session.add(student)
    await uow.session.flush()
    await uow.publish(from_fields(StudentEnrolled, student, grade=school_class.grade), school_id=school_id)
    return student


async def register_guardian(uow: UnitOfWork, body: GuardianCreate, *, school_id: str) -> shared.Guardian:
    """A school admin records a guardian (no event: nobody needs a guardian before they are linked to a child)."""
    await _school_exists(uow, school_id)
    guardian_id = await shared.new_id(uow, shared.Guardian, body.id, school_id)
    guardian = from_fields(shared.Guardian, body, guardian_id=guardian_id, school_id=school_id, external_id=body.id)
    uow.session.add(guardian)
    await uow.session.flush()
    return guardian


async def link_guardian(
    uow: UnitOfWork, body: GuardianLinkCreate, *, school_id: str, student_id: str
) -> shared.GuardianLink:
    """Link guardian and child of the same school and announce it (notify starts telling them, NT-1)."""
    student = await shared.in_school(uow.session, shared.Student, school_id=school_id, key=student_id)
    guardian = await shared.in_school(uow.session, shared.Guardian, school_id=school_id, key=body.guardian_id)
    if student is None or guardian is None:
        raise NotFound("no such student or guardian in this school")
    if await uow.session.get(shared.GuardianLink, (student.student_id, guardian.guardian_id)) is not None:
        raise Conflict("this guardian is already linked to this student")
    link = shared.GuardianLink(student_id=student.student_id, guardian_id=guardian.guardian_id, relation=body.relation)
    uow.session.add(link)
    await uow.session.flush()
    language = "en" if guardian.preferred_language == "en" else "zh"
    await uow.publish(
        from_fields(GuardianLinked, link, school_id=school_id, preferred_language=language), school_id=school_id
    )
    return link


async def unlink_guardian(uow: UnitOfWork, *, school_id: str, student_id: str, guardian_id: str) -> None:
    """End a guardian's link to a child (notify stops telling them, NT-1) and the pickup authorisation it gave
    (BX-2)."""
    student_id = (await shared.school_student(uow, school_id, student_id)).student_id
    guardian = await shared.in_school(uow.session, shared.Guardian, school_id=school_id, key=guardian_id)
    link = None if guardian is None else await uow.session.get(shared.GuardianLink, (student_id, guardian.guardian_id))
    if guardian is None or link is None:
        raise NotFound("this guardian is not linked to this student")
    guardian_id = guardian.guardian_id
    await uow.session.delete(link)
    for person in await pickups_store.pickups_of(uow.session, student_id=student_id):
        if person.guardian_id == guardian_id and person.status == roster.AUTHORISED:
            await remove_pickup(uow, person)
    await uow.session.flush()
    await uow.publish(
        GuardianUnlinked(guardian_id=guardian_id, student_id=student_id, school_id=school_id), school_id=school_id
    )


async def transfer_student(uow: UnitOfWork, body: TransferCreate, *, school_id: str, student_id: str) -> shared.Student:
    """EN-8: move the child to another class of their school (from `effective_on` or today) and announce it."""
    student = await shared.school_student(uow, school_id, student_id)
    effective_on = body.effective_on or school_today(uow.clock)
    target = await shared.in_school(uow.session, shared.SchoolClass, school_id=school_id, key=body.to_class_id)
    if target is None:
        raise NotFound(f"no class '{body.to_class_id}' in this school")
    try:
        roster.check_transfer(status=student.status, from_class=student.class_id, to_class=target.class_id)
    except RosterRuleBroken as error:
        raise Conflict(str(error), rule="EN-8") from error
    from_class, student.class_id, grade = student.class_id, target.class_id, target.grade
    await uow.session.flush()
    await release_for_roster_change(
        uow, school_id=school_id, student_id=student.student_id, effective_on=effective_on, grade=grade
    )
    await uow.publish(
        StudentTransferred(
            student_id=student.student_id,
            school_id=school_id,
            from_class_id=from_class,
            to_class_id=target.class_id,
            grade=target.grade,
            effective_on=effective_on,
        ),
        school_id=school_id,
    )
    return student


async def record_leaving(uow: UnitOfWork, body: LeavingCreate, *, school_id: str, student_id: str) -> shared.Student:
    """EN-8: the child leaves the roster from `effective_on` (or today) and nothing is expected of them after."""
    student = await shared.school_student(uow, school_id, student_id)
    if student.status == roster.LEFT:
        raise Conflict("the student has already left", rule="EN-8")
    effective_on = body.effective_on or school_today(uow.clock)
    student.status, student.left_on = roster.LEFT, effective_on
    await uow.session.flush()
    await release_for_roster_change(
        uow, school_id=school_id, student_id=student.student_id, effective_on=effective_on, grade=None
    )
    await uow.publish(
        StudentLeft(student_id=student.student_id, school_id=school_id, effective_on=effective_on), school_id=school_id
    )
    return student


async def set_priority_groups(
    uow: UnitOfWork, body: PriorityGroupsSet, *, school_id: str, student_id: str
) -> shared.Student:
    """EN-3: record the child's priority groups (allocation reads them; nothing is published)."""
    student = await shared.school_student(uow, school_id, student_id)
    try:
        student.priority_groups = roster.priority_groups(tuple(body.priority_groups))
    except RosterRuleBroken as error:
        raise Unprocessable(str(error), rule="EN-3") from error
    await uow.session.flush()
    return student
