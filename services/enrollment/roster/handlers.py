"""Roster commands → rules → store + events, each inside one unit of work (EN-8, EN-3, BX-2, AT-5)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date
from typing import Literal

from chassis.problems import Conflict, NotFound, Unprocessable
from chassis.uow import UnitOfWork
from contracts.enrollment import (
    ClassCreated,
    GuardianLinked,
    GuardianUnlinked,
    PickupPersonAdded,
    PickupPersonRemoved,
    PickupPersonRestricted,
    SchoolRegistered,
    StudentEnrolled,
    StudentLeft,
    StudentTransferred,
    WalkHomePermissionSet,
)
from services.enrollment import store as shared
from services.enrollment.domain import roster
from services.enrollment.domain.roster import PickupRuleBroken, RosterRuleBroken, check_grade
from services.enrollment.places.handlers import release_for_roster_change
from services.enrollment.policy.handlers import lock_district_policy, publish_profiles_of_new_school
from services.enrollment.roster import store


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


@dataclass(frozen=True)
class AddPickupPerson:
    """Command: authorise an adult to collect a child, with their own kiosk credential (BX-2, AT-5)."""

    school_id: str
    student_id: str
    name: str
    relation: str
    credential_ref: str
    id_number: str | None = None
    guardian_id: str | None = None
    person_id: str | None = None


@dataclass(frozen=True)
class RestrictPickupPerson:
    """Command: record a person who must never collect the child (custody order, BX-2)."""

    school_id: str
    student_id: str
    name: str
    relation: str
    note: str
    credential_ref: str | None = None
    id_number: str | None = None
    person_id: str | None = None


@dataclass(frozen=True)
class SetWalkHomePermission:
    """Command: a guardian's standing permission for the child to leave alone (AT-5)."""

    school_id: str
    student_id: str
    guardian_id: str
    allowed: bool
    effective_from: date
    set_by: str


async def _new_id(uow: UnitOfWork, model: type[shared.Base], wanted: str | None, school_id: str | None) -> str:
    if wanted is None:
        return str(uuid.uuid4())
    if await uow.session.get(model, wanted) is not None:
        raise Conflict(f"'{wanted}' already exists")
    # The id the school gives is also its spreadsheets' id (EN-8 imports match rows by it).
    if school_id and await shared.external_id_taken(uow.session, model, school_id=school_id, external_id=wanted):
        raise Conflict(f"'{wanted}' already exists")
    return wanted


async def _school_exists(uow: UnitOfWork, school_id: str) -> None:
    if await uow.session.get(shared.School, school_id) is None:
        raise NotFound("the school of this token is not registered")


async def _student(uow: UnitOfWork, school_id: str, student_id: str) -> shared.Student:
    student = await shared.in_school(uow.session, shared.Student, school_id=school_id, key=student_id)
    if student is None:
        raise NotFound(f"no student '{student_id}' in this school")
    return student


async def register_school(uow: UnitOfWork, command: RegisterSchool) -> shared.School:
    """Add the school and announce it."""
    await lock_district_policy(uow, command.district_id)
    school = shared.School(
        school_id=await _new_id(uow, shared.School, command.school_id, None),
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
    class_id = await _new_id(uow, shared.SchoolClass, command.class_id, command.school_id)
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
    student_id = await _new_id(uow, shared.Student, command.student_id, command.school_id)
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
    guardian_id = await _new_id(uow, shared.Guardian, command.guardian_id, command.school_id)
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
    await _student(uow, command.school_id, command.student_id)
    link = await uow.session.get(shared.GuardianLink, (command.student_id, command.guardian_id))
    if link is None:
        raise NotFound("this guardian is not linked to this student")
    await uow.session.delete(link)
    for person in await store.pickups_of(uow.session, student_id=command.student_id):
        if person.guardian_id == command.guardian_id and person.status == roster.AUTHORISED:
            await _remove_pickup(uow, person)
    await uow.session.flush()
    await uow.publish(
        GuardianUnlinked(guardian_id=command.guardian_id, student_id=command.student_id, school_id=command.school_id),
        school_id=command.school_id,
    )


async def transfer_student(uow: UnitOfWork, command: TransferStudent) -> shared.Student:
    """EN-8: move the child to another class of their school and announce it."""
    student = await _student(uow, command.school_id, command.student_id)
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
    student = await _student(uow, command.school_id, command.student_id)
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
    student = await _student(uow, command.school_id, command.student_id)
    try:
        student.priority_groups = roster.priority_groups(command.groups)
    except RosterRuleBroken as error:
        raise Unprocessable(str(error), rule="EN-3") from error
    await uow.session.flush()
    return student


def _entries(people: list[shared.PickupPerson]) -> list[roster.PickupEntry]:
    return [roster.PickupEntry(p.person_id, p.status, p.credential_ref, p.id_number) for p in people]


async def _record_person(
    uow: UnitOfWork,
    command: AddPickupPerson | RestrictPickupPerson,
    status: str,
    *,
    guardian_id: str | None = None,
    note: str | None = None,
) -> shared.PickupPerson:
    person_id = await _new_id(uow, shared.PickupPerson, command.person_id, None)
    existing = await store.pickups_of(uow.session, student_id=command.student_id)
    if any(p.external_id == person_id for p in existing):
        raise Conflict(f"'{person_id}' already exists")
    person = shared.PickupPerson(
        person_id=person_id,
        school_id=command.school_id,
        student_id=command.student_id,
        external_id=person_id,
        name=command.name,
        relation=command.relation,
        credential_ref=command.credential_ref,
        id_number=command.id_number,
        guardian_id=guardian_id,
        status=status,
        note=note,
    )
    uow.session.add(person)
    await uow.session.flush()
    return person


async def add_pickup_person(uow: UnitOfWork, command: AddPickupPerson) -> shared.PickupPerson:
    """BX-2/AT-5: authorise the adult to collect the child, unless they are restricted (409)."""
    await _student(uow, command.school_id, command.student_id)
    if (
        command.guardian_id is not None
        and await uow.session.get(shared.GuardianLink, (command.student_id, command.guardian_id)) is None
    ):
        raise NotFound(f"'{command.guardian_id}' is not a guardian of this child")
    people = await store.pickups_of(uow.session, student_id=command.student_id)
    try:
        roster.check_may_authorise(_entries(people), credential_ref=command.credential_ref, id_number=command.id_number)
    except PickupRuleBroken as error:
        raise Conflict(str(error), rule="BX-2") from error
    if any(p.status == roster.AUTHORISED and p.credential_ref == command.credential_ref for p in people):
        raise Conflict("this credential already collects this child")
    person = await _record_person(uow, command, roster.AUTHORISED, guardian_id=command.guardian_id)
    await uow.publish(pickup_added(person), school_id=command.school_id)
    return person


def pickup_added(person: shared.PickupPerson) -> PickupPersonAdded:
    """The event announcing an authorised pickup person (no name, no id number)."""
    return PickupPersonAdded(
        person_id=person.person_id,
        student_id=person.student_id,
        school_id=person.school_id,
        relation=person.relation,
        credential_ref=person.credential_ref or "",
        guardian_id=person.guardian_id,
    )


def pickup_restricted(person: shared.PickupPerson) -> PickupPersonRestricted:
    """The event announcing a restricted person; the court-order note stays in enrollment."""
    return PickupPersonRestricted(
        person_id=person.person_id,
        student_id=person.student_id,
        school_id=person.school_id,
        credential_ref=person.credential_ref,
    )


async def _remove_pickup(uow: UnitOfWork, person: shared.PickupPerson) -> None:
    person.status = roster.REMOVED
    await uow.publish(
        PickupPersonRemoved(person_id=person.person_id, student_id=person.student_id, school_id=person.school_id),
        school_id=person.school_id,
    )


async def remove_pickup_person(uow: UnitOfWork, *, school_id: str, student_id: str, person_id: str) -> None:
    """The adult may no longer collect the child."""
    await _student(uow, school_id, student_id)
    person = await uow.session.get(shared.PickupPerson, person_id)
    if person is None or person.student_id != student_id or person.status != roster.AUTHORISED:
        raise NotFound(f"no authorised pickup person '{person_id}' for this child")
    await _remove_pickup(uow, person)
    await uow.session.flush()


async def restrict_pickup_person(uow: UnitOfWork, command: RestrictPickupPerson) -> shared.PickupPerson:
    """BX-2: record the restriction; any authorisation of the same person for the child ends first."""
    await _student(uow, command.school_id, command.student_id)
    people = await store.pickups_of(uow.session, student_id=command.student_id)
    lifted = roster.authorisations_lifted_by_restriction(
        _entries(people), credential_ref=command.credential_ref, id_number=command.id_number
    )
    for person in people:
        if person.person_id in lifted:
            await _remove_pickup(uow, person)
    restricted = await _record_person(uow, command, roster.RESTRICTED, note=command.note)
    await uow.publish(pickup_restricted(restricted), school_id=command.school_id)
    return restricted


async def set_walk_home_permission(uow: UnitOfWork, command: SetWalkHomePermission) -> store.WalkHomePermission:
    """AT-5: record the guardian's standing permission (or its withdrawal) and announce it."""
    await _student(uow, command.school_id, command.student_id)
    try:
        roster.check_walk_home_guardian(
            guardian_id=command.guardian_id,
            guardians_of_child=await shared.guardians_of(uow.session, student_id=command.student_id),
        )
    except RosterRuleBroken as error:
        raise Unprocessable(str(error), rule="AT-5") from error
    permission = await uow.session.get(store.WalkHomePermission, command.student_id)
    if permission is None:
        permission = store.WalkHomePermission(student_id=command.student_id, school_id=command.school_id)
        uow.session.add(permission)
    permission.allowed, permission.guardian_id = command.allowed, command.guardian_id
    permission.effective_from, permission.set_by, permission.set_at = (
        command.effective_from,
        command.set_by,
        uow.clock.now(),
    )
    await uow.session.flush()
    await uow.publish(
        WalkHomePermissionSet(
            student_id=command.student_id,
            school_id=command.school_id,
            allowed=command.allowed,
            guardian_id=command.guardian_id,
            effective_from=command.effective_from,
        ),
        school_id=command.school_id,
    )
    return permission
