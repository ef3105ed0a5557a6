"""Incoming events → homework's own copies of classes, teaching, roster, guardians, policy, calendars, presence."""

from __future__ import annotations

from datetime import date

from sqlalchemy import delete, update

from chassis.consumer import Handler
from chassis.sql import copied, insert_ignoring_duplicates, upsert
from chassis.uow import UnitOfWork
from contracts.attendance import StudentCheckedIn
from contracts.enrollment import (
    ClassCreated,
    ClassTeacherAssigned,
    GuardianLinked,
    GuardianUnlinked,
    PolicyProfileSet,
    StudentEnrolled,
    StudentLeft,
    StudentTransferred,
    TeachingAssigned,
    TeachingUnassigned,
    TermCalendarSet,
)
from contracts.envelope import Envelope, Event
from services.homework.reference import store


async def record_class(uow: UnitOfWork, event: ClassCreated, _envelope: Envelope) -> None:
    """A class and its grade (HW-1/HW-2 depend on the grade)."""
    values = {"class_id": event.class_id, "school_id": event.school_id, "grade": event.grade}
    await uow.session.execute(upsert(uow.session, store.SchoolClass, values, ["class_id"]))


async def record_class_teacher(uow: UnitOfWork, event: ClassTeacherAssigned, _envelope: Envelope) -> None:
    """HW-4: the class teacher coordinates (and sees) the class's homework."""
    query = update(store.SchoolClass).where(
        store.SchoolClass.class_id == event.class_id, store.SchoolClass.school_id == event.school_id
    )
    await uow.session.execute(query.values(class_teacher_id=event.staff_id))


async def record_teaching(uow: UnitOfWork, event: TeachingAssigned, _envelope: Envelope) -> None:
    """A subject teacher may now set homework for the class in that subject."""
    values = copied(event, "class_id", "staff_id", "school_subject", "school_id")
    await uow.session.execute(insert_ignoring_duplicates(uow.session, store.Teaching, values))


async def forget_teaching(uow: UnitOfWork, event: TeachingUnassigned, _envelope: Envelope) -> None:
    """The teacher may no longer set homework for the class in that subject."""
    query = delete(store.Teaching).where(
        store.Teaching.class_id == event.class_id,
        store.Teaching.staff_id == event.staff_id,
        store.Teaching.school_subject == event.school_subject,
    )
    await uow.session.execute(query)


async def record_student(uow: UnitOfWork, event: StudentEnrolled, _envelope: Envelope) -> None:
    """A child and their class (ids only)."""
    values = {"student_id": event.student_id, "school_id": event.school_id, "class_id": event.class_id}
    await uow.session.execute(upsert(uow.session, store.Student, values, ["student_id"]))


async def move_student(uow: UnitOfWork, event: StudentTransferred, _envelope: Envelope) -> None:
    """The child now gets the new class's homework."""
    values = {"student_id": event.student_id, "school_id": event.school_id, "class_id": event.to_class_id}
    await uow.session.execute(upsert(uow.session, store.Student, values, ["student_id"]))


async def remove_student(uow: UnitOfWork, event: StudentLeft, _envelope: Envelope) -> None:
    """The child gets no more homework (their past results stay)."""
    values = {"student_id": event.student_id, "school_id": event.school_id, "class_id": None}
    await uow.session.execute(upsert(uow.session, store.Student, values, ["student_id"]))


async def link_guardian(uow: UnitOfWork, event: GuardianLinked, _envelope: Envelope) -> None:
    """The guardian may see the child's homework, status and feedback (HW-7)."""
    values = {"student_id": event.student_id, "guardian_id": event.guardian_id, "school_id": event.school_id}
    await uow.session.execute(insert_ignoring_duplicates(uow.session, store.GuardianLink, values))


async def unlink_guardian(uow: UnitOfWork, event: GuardianUnlinked, _envelope: Envelope) -> None:
    """The former guardian sees nothing more of the child."""
    query = delete(store.GuardianLink).where(
        store.GuardianLink.student_id == event.student_id, store.GuardianLink.guardian_id == event.guardian_id
    )
    await uow.session.execute(query)


async def record_policy(uow: UnitOfWork, event: PolicyProfileSet, _envelope: Envelope) -> None:
    """PL-1: keep every profile; a later version for the same effective date replaces the earlier one."""
    existing = await uow.session.get(store.PolicyProfile, (event.school_id, event.effective_from))
    if existing is not None and existing.version > event.version:
        return
    values = copied(event, "school_id", "effective_from", "version", settings=event.settings.model_dump(mode="json"))
    await uow.session.execute(upsert(uow.session, store.PolicyProfile, values, ["school_id", "effective_from"]))


async def record_calendar(uow: UnitOfWork, event: TermCalendarSet, _envelope: Envelope) -> None:
    """EN-5: the latest calendar of a term replaces the earlier ones."""
    values = {"term_id": event.term_id, "school_id": event.school_id, "calendar": event.model_dump(mode="json")}
    await uow.session.execute(upsert(uow.session, store.TermCalendar, values, ["term_id"]))


async def record_presence(uow: UnitOfWork, event: StudentCheckedIn, _envelope: Envelope) -> None:
    """HW-7: the child is in that day's supervised session, so their completion may be recorded. Kept for the
    commit: a consumer batch's check-ins are one INSERT, not a round trip each (a backlog of check-ins reaches
    homework too, and a round trip each kept it on 70 % of a core beside notify's catch-up; issue 13)."""
    uow.keep(
        store.Presence, copied(event, "student_id", "school_id", session_date=date.fromisoformat(event.session_date))
    )


HANDLERS: dict[type[Event], Handler] = {
    ClassCreated: record_class,
    ClassTeacherAssigned: record_class_teacher,
    TeachingAssigned: record_teaching,
    TeachingUnassigned: forget_teaching,
    StudentEnrolled: record_student,
    StudentTransferred: move_student,
    StudentLeft: remove_student,
    GuardianLinked: link_guardian,
    GuardianUnlinked: unlink_guardian,
    PolicyProfileSet: record_policy,
    TermCalendarSet: record_calendar,
    StudentCheckedIn: record_presence,
}
"""For `consumers.py`: classes, teaching, roster, guardians, policy and calendars from enrollment; presence from
attendance (enrollment's first, so a batch applies the roster before the check-ins that need it)."""
