"""Enrollment's events → attendance's reference copies, inside the consumer's unit of work (idempotent upserts)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import delete, update

from chassis.consumer import Handler
from chassis.records import row_values
from chassis.sql import copied, insert_ignoring_duplicates, upsert
from chassis.uow import UnitOfWork
from contracts.enrollment import (
    AgreementSigned,
    ApplicationSubmitted,
    ClassCreated,
    ClassTeacherAssigned,
    ClubPlaceAllocated,
    ClubPlacePromoted,
    ClubPlaceReleased,
    EnrollmentWithdrawn,
    GradeBandDefined,
    GuardianLinked,
    GuardianUnlinked,
    PickupPersonAdded,
    PickupPersonRemoved,
    PickupPersonRestricted,
    PolicyProfileSet,
    ProgramCancelled,
    ProgramScheduled,
    RoomDefined,
    StaffMemberRegistered,
    StudentEnrolled,
    StudentErased,
    StudentLeft,
    StudentTransferred,
    TermCalendarSet,
    WalkHomePermissionSet,
)
from contracts.envelope import Envelope, Event
from services.attendance.reference import store as ref
from services.attendance.store import RosterStudent, reopen_days


async def _upsert(uow: UnitOfWork, table: Any, values: Mapping[str, Any], keys: list[str]) -> None:
    # A fact that sets every column of its copy is `row_values(table, event, ...)`; one that must leave some columns
    # of an existing row alone (an enrollment's options, dates) names the columns it sets with `copied`.
    await uow.session.execute(upsert(uow.session, table, values, keys))


async def student_enrolled(uow: UnitOfWork, event: StudentEnrolled, _envelope: Envelope) -> None:
    """The child joins the roster (a re-enrolment clears an earlier leaving date)."""
    values = row_values(RosterStudent, event, left_on=None)
    await _upsert(uow, RosterStudent, values, ["student_id"])


async def student_transferred(uow: UnitOfWork, event: StudentTransferred, _envelope: Envelope) -> None:
    """EN-8: the child is in the new class (a student's events arrive in order, keyed by student)."""
    await uow.session.execute(
        update(RosterStudent)
        .where(RosterStudent.student_id == event.student_id)
        .values(class_id=event.to_class_id, grade=event.grade)
    )


async def student_left(uow: UnitOfWork, event: StudentLeft, _envelope: Envelope) -> None:
    """EN-8: nothing is expected of the child from `effective_on`."""
    await uow.session.execute(
        update(RosterStudent).where(RosterStudent.student_id == event.student_id).values(left_on=event.effective_on)
    )


async def class_created(uow: UnitOfWork, event: ClassCreated, _envelope: Envelope) -> None:
    """A class and its grade (its teacher, if assigned first, is kept)."""
    values = {"class_id": event.class_id, "school_id": event.school_id, "grade": event.grade}
    await _upsert(uow, ref.RefClass, values, ["class_id"])


async def class_teacher_assigned(uow: UnitOfWork, event: ClassTeacherAssigned, _envelope: Envelope) -> None:
    """The class teacher (班主任) of a class: who hands over its children (AT-1) and approves its leave (AT-3)."""
    values = {"class_id": event.class_id, "school_id": event.school_id, "teacher_id": event.staff_id}
    await _upsert(uow, ref.RefClass, values, ["class_id"])


async def guardian_linked(uow: UnitOfWork, event: GuardianLinked, _envelope: Envelope) -> None:
    """A guardian of the child (acts for them: leave requests, pickup)."""
    values = row_values(ref.RefGuardian, event, relation=event.relation[:32])
    await _upsert(uow, ref.RefGuardian, values, ["student_id", "guardian_id"])


async def guardian_unlinked(uow: UnitOfWork, event: GuardianUnlinked, _envelope: Envelope) -> None:
    """No longer a guardian of the child."""
    await uow.session.execute(
        delete(ref.RefGuardian).where(
            ref.RefGuardian.student_id == event.student_id, ref.RefGuardian.guardian_id == event.guardian_id
        )
    )


async def pickup_person_added(uow: UnitOfWork, event: PickupPersonAdded, _envelope: Envelope) -> None:
    """BX-2: an adult authorised to collect the child with their own credential."""
    values = row_values(ref.RefPickupPerson, event, relation=event.relation[:32], restricted=False, removed=False)
    await _upsert(uow, ref.RefPickupPerson, values, ["student_id", "person_id"])


async def pickup_person_removed(uow: UnitOfWork, event: PickupPersonRemoved, _envelope: Envelope) -> None:
    """The adult may no longer collect the child (a restriction, if any, stays)."""
    values = {"student_id": event.student_id, "person_id": event.person_id, "school_id": event.school_id}
    await uow.session.execute(insert_ignoring_duplicates(uow.session, ref.RefPickupPerson, values | {"removed": True}))
    await uow.session.execute(
        update(ref.RefPickupPerson)
        .where(ref.RefPickupPerson.student_id == event.student_id, ref.RefPickupPerson.person_id == event.person_id)
        .values(removed=True)
    )


async def student_erased(uow: UnitOfWork, event: StudentErased, _envelope: Envelope) -> None:
    """PIPL: enrollment erased the leaver; the credentials of who could collect them and the walk-home statement go
    too (the child's attendance, by id, stays for fees and counts)."""
    for table in (ref.RefPickupPerson, ref.RefWalkHome):
        await uow.session.execute(delete(table).where(table.student_id == event.student_id))


async def pickup_person_restricted(uow: UnitOfWork, event: PickupPersonRestricted, _envelope: Envelope) -> None:
    """BX-2: a person who must never collect the child (custody order)."""
    values: dict[str, Any] = copied(event, "student_id", "person_id", "school_id", restricted=True, removed=False)
    if event.credential_ref is not None:
        values["credential_ref"] = event.credential_ref
    await _upsert(uow, ref.RefPickupPerson, values, ["student_id", "person_id"])


async def walk_home_permission_set(uow: UnitOfWork, event: WalkHomePermissionSet, _envelope: Envelope) -> None:
    """AT-5: the guardian's standing permission (granted or withdrawn) from a date."""
    values = row_values(ref.RefWalkHome, event)
    await _upsert(uow, ref.RefWalkHome, values, ["student_id", "effective_from"])


async def policy_profile_set(uow: UnitOfWork, event: PolicyProfileSet, _envelope: Envelope) -> None:
    """PL-1: keep every (school, effective_from); a lower version never overwrites a higher one."""
    key = (event.school_id, event.effective_from)
    existing = await uow.session.get(ref.RefPolicy, key)
    if existing is not None and existing.version > event.version:
        return
    values = row_values(ref.RefPolicy, event, settings=event.settings.model_dump(mode="json"))
    await _upsert(uow, ref.RefPolicy, values, ["school_id", "effective_from"])
    await reopen_days(uow, school_id=event.school_id)


async def term_calendar_set(uow: UnitOfWork, event: TermCalendarSet, _envelope: Envelope) -> None:
    """EN-5: the term's calendar (the latest event for a term replaces the earlier ones)."""
    values = row_values(ref.RefTerm, event, calendar=event.model_dump(mode="json"))
    await _upsert(uow, ref.RefTerm, values, ["term_id"])
    await reopen_days(uow, school_id=event.school_id)


async def room_defined(uow: UnitOfWork, event: RoomDefined, _envelope: Envelope) -> None:
    """A room; the reception room is flagged (AT-6)."""
    values = {"room_id": event.room_id, "school_id": event.school_id, "is_reception": event.is_reception}
    await _upsert(uow, ref.RefRoom, values, ["room_id"])


async def staff_member_registered(uow: UnitOfWork, event: StaffMemberRegistered, _envelope: Envelope) -> None:
    """A member of staff and their roles."""
    values = row_values(ref.RefStaff, event, roles=[role.value for role in event.roles])
    await _upsert(uow, ref.RefStaff, values, ["staff_id"])


async def grade_band_defined(uow: UnitOfWork, event: GradeBandDefined, _envelope: Envelope) -> None:
    """A grade band (AT-4)."""
    values = {"band_id": event.band_id, "school_id": event.school_id, "grades": list(event.grades)}
    await _upsert(uow, ref.RefGradeBand, values, ["band_id"])


async def program_scheduled(uow: UnitOfWork, event: ProgramScheduled, _envelope: Envelope) -> None:
    """A program's schedule (the latest replaces the earlier; a re-published program runs again)."""
    values = row_values(
        ref.RefProgram,
        event,
        kind=event.kind.value,
        teacher_ids=list(event.teacher_ids),
        weekdays=sorted(set(event.weekdays)),
        cancelled_on=None,
    )
    await _upsert(uow, ref.RefProgram, values, ["program_id"])
    await reopen_days(uow, school_id=event.school_id)


async def program_cancelled(uow: UnitOfWork, event: ProgramCancelled, _envelope: Envelope) -> None:
    """The program does not run from `effective_on`."""
    await uow.session.execute(
        update(ref.RefProgram)
        .where(ref.RefProgram.program_id == event.program_id)
        .values(cancelled_on=event.effective_on)
    )
    await reopen_days(uow, school_id=event.school_id)


async def club_place_held(uow: UnitOfWork, event: ClubPlaceAllocated | ClubPlacePromoted, _envelope: Envelope) -> None:
    """BX-1: the child holds a place in the club."""
    values = row_values(ref.RefClubPlace, event, released_on=None)
    await _upsert(uow, ref.RefClubPlace, values, ["program_id", "student_id"])


async def club_place_released(uow: UnitOfWork, event: ClubPlaceReleased, _envelope: Envelope) -> None:
    """The child gives up the place from `effective_on`."""
    values = row_values(ref.RefClubPlace, event, released_on=event.effective_on)
    await _upsert(uow, ref.RefClubPlace, values, ["program_id", "student_id"])


async def application_submitted(uow: UnitOfWork, event: ApplicationSubmitted, _envelope: Envelope) -> None:
    """EN-6: the optional services asked for (early arrival, noon care, bus) go with the enrollment."""
    values = copied(
        event,
        "application_id",
        "student_id",
        "school_id",
        "term_id",
        options=[option.value for option in event.options],
    )
    await _upsert(uow, ref.RefEnrollment, values, ["application_id"])


async def agreement_signed(uow: UnitOfWork, event: AgreementSigned, _envelope: Envelope) -> None:
    """EN-1: the enrollment is active from `active_from`."""
    values = copied(event, "application_id", "student_id", "school_id", "term_id", "active_from", withdrawn_on=None)
    await _upsert(uow, ref.RefEnrollment, values, ["application_id"])


async def enrollment_withdrawn(uow: UnitOfWork, event: EnrollmentWithdrawn, _envelope: Envelope) -> None:
    """EN-2: the child leaves the service on `effective_on`."""
    values = copied(event, "application_id", "student_id", "school_id", "term_id", withdrawn_on=event.effective_on)
    await _upsert(uow, ref.RefEnrollment, values, ["application_id"])


HANDLERS: dict[type[Event], Handler] = {
    # Set-up and policy first: a batch is applied in this order, so a program finds its calendar and policy.
    TermCalendarSet: term_calendar_set,
    PolicyProfileSet: policy_profile_set,
    RoomDefined: room_defined,
    StaffMemberRegistered: staff_member_registered,
    GradeBandDefined: grade_band_defined,
    ClassCreated: class_created,
    ClassTeacherAssigned: class_teacher_assigned,
    StudentEnrolled: student_enrolled,
    StudentTransferred: student_transferred,
    StudentLeft: student_left,
    StudentErased: student_erased,
    GuardianLinked: guardian_linked,
    GuardianUnlinked: guardian_unlinked,
    PickupPersonAdded: pickup_person_added,
    PickupPersonRemoved: pickup_person_removed,
    PickupPersonRestricted: pickup_person_restricted,
    WalkHomePermissionSet: walk_home_permission_set,
    ProgramScheduled: program_scheduled,
    ProgramCancelled: program_cancelled,
    ClubPlaceAllocated: club_place_held,
    ClubPlacePromoted: club_place_held,
    ClubPlaceReleased: club_place_released,
    ApplicationSubmitted: application_submitted,
    AgreementSigned: agreement_signed,
    EnrollmentWithdrawn: enrollment_withdrawn,
}
"""Every enrollment event attendance keeps a copy of, and its handler."""
