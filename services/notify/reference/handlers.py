"""Incoming enrollment events → notify's own copies: children's names and grades, their guardians, who may
collect them (so a check-out alert names who collected the child, NT-1), the staff's roles and the duty roster (so
the school office and the day's duty leader are told, BX-2, AT-6)."""

from __future__ import annotations

from typing import Any

from chassis.consumer import Handler
from chassis.records import row_values
from chassis.sql import upsert
from chassis.uow import UnitOfWork
from contracts.enrollment import (
    DutyRosterSet,
    GuardianLinked,
    GuardianUnlinked,
    PickupPersonAdded,
    PickupPersonRemoved,
    StaffMemberRegistered,
    StudentEnrolled,
    StudentTransferred,
)
from contracts.envelope import Envelope, Event
from services.notify.reference import store
from services.notify.store import Base


async def _keep(uow: UnitOfWork, table: type[Base], values: dict[str, Any], key: list[str], kind: str) -> None:
    """Store the row of `values` (the latest event replaces the earlier) and drop what the batch read of `kind`."""
    await uow.session.execute(upsert(uow.session, table, values, key))
    uow.forget(kind)


async def _drop(uow: UnitOfWork, table: type[Base], key: tuple[str, str], kind: str) -> None:
    """Delete the row with primary key `key`, if kept, and drop what the batch read of `kind`."""
    row = await uow.session.get(table, key)
    if row is not None:
        await uow.session.delete(row)
        await uow.session.flush()
        uow.forget(kind)


async def remember_student(uow: UnitOfWork, event: StudentEnrolled, _envelope: Envelope) -> None:
    """Keep the child's given name for the alerts."""
    values = {"student_id": event.student_id, "school_id": event.school_id, "name": event.name, "grade": event.grade}
    await _keep(uow, store.KnownStudent, values, ["student_id"], store.STUDENTS)


async def move_student(uow: UnitOfWork, event: StudentTransferred, _envelope: Envelope) -> None:
    """Keep the child's grade, so a broadcast to some grades reaches the right guardians (AT-7)."""
    student = await uow.session.get(store.KnownStudent, event.student_id)
    if student is not None:
        student.grade = event.grade
        await uow.session.flush()


async def link_guardian(uow: UnitOfWork, event: GuardianLinked, _envelope: Envelope) -> None:
    """Remember who is told about the child."""
    values = row_values(store.GuardianLink, event, language=event.preferred_language)
    await _keep(uow, store.GuardianLink, values, ["student_id", "guardian_id"], store.LINKS)


async def unlink_guardian(uow: UnitOfWork, event: GuardianUnlinked, _envelope: Envelope) -> None:
    """A guardian no longer linked to the child is told nothing more about them."""
    await _drop(uow, store.GuardianLink, (event.student_id, event.guardian_id), store.LINKS)


async def remember_pickup_person(uow: UnitOfWork, event: PickupPersonAdded, _envelope: Envelope) -> None:
    """Keep the adult's relation to the child and their name."""
    values = row_values(store.PickupPerson, event)
    await _keep(uow, store.PickupPerson, values, ["person_id", "student_id"], store.COLLECTORS)


async def forget_pickup_person(uow: UnitOfWork, event: PickupPersonRemoved, _envelope: Envelope) -> None:
    """The adult may no longer collect the child."""
    await _drop(uow, store.PickupPerson, (event.person_id, event.student_id), store.COLLECTORS)


async def remember_staff(uow: UnitOfWork, event: StaffMemberRegistered, _envelope: Envelope) -> None:
    """Keep the member of staff's roles (the school office are its school admins, BX-2)."""
    values = {"staff_id": event.staff_id, "school_id": event.school_id, "roles": [str(r) for r in event.roles]}
    await uow.session.execute(upsert(uow.session, store.KnownStaff, values, ["staff_id"]))


async def remember_duty_roster(uow: UnitOfWork, event: DutyRosterSet, _envelope: Envelope) -> None:
    """Keep the day's duty leaders (AT-6): the latest roster of a day replaces the one before."""
    await store.replace_duty_day(uow.session, school_id=event.school_id, day=event.day, staff_ids=event.staff_ids)


HANDLERS: dict[type[Event], Handler] = {
    StudentEnrolled: remember_student,
    GuardianLinked: link_guardian,
    GuardianUnlinked: unlink_guardian,
    StudentTransferred: move_student,
    PickupPersonAdded: remember_pickup_person,
    PickupPersonRemoved: forget_pickup_person,
    StaffMemberRegistered: remember_staff,
    DutyRosterSet: remember_duty_roster,
}
"""For `consumers.py`: listed first, so a batch applies the roster before the alerts that read it."""
