"""Commands of the school's set-up: rules → store + events, each inside one unit of work."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from typing import TypeVar

from chassis.problems import Conflict, NotFound, Unprocessable
from chassis.records import from_fields
from chassis.uow import UnitOfWork
from contracts.enrollment import (
    ClassTeacherAssigned,
    GradeBandDefined,
    RoomDefined,
    StaffMemberRegistered,
    StaffRole,
    TeachingAssigned,
    TeachingUnassigned,
    TermCalendarSet,
)
from services.enrollment import store as roster
from services.enrollment.domain.calendar import TermDates, check_no_overlap, check_term
from services.enrollment.domain.setup import RuleBroken, check_band, check_staff_roles, require_role
from services.enrollment.setup import store

T = TypeVar("T")


@contextmanager
def refusing() -> Iterator[None]:
    """Turn a broken rule into a 422 problem naming the rule and the field."""
    try:
        yield
    except RuleBroken as error:
        raise Unprocessable(str(error), rule=error.rule, field=error.field) from error


@dataclass(frozen=True)
class SetTerm:
    """Command: a school admin creates (`create`) or changes a term and its calendar (EN-5)."""

    school_id: str
    term_id: str | None
    name: str
    dates: TermDates
    create: bool


@dataclass(frozen=True)
class DefineBand:
    """Command: a school admin creates or changes a grade band."""

    school_id: str
    band_id: str | None
    name: str
    grades: list[int]
    create: bool


@dataclass(frozen=True)
class DefineRoom:
    """Command: a school admin creates or changes a room (AT-6: the reception room is flagged)."""

    school_id: str
    room_id: str | None
    name: str
    capacity: int
    is_reception: bool
    create: bool


@dataclass(frozen=True)
class RegisterStaff:
    """Command: a school admin registers or changes a member of staff (or an external provider's teacher)."""

    school_id: str
    staff_id: str | None
    name: str
    roles: list[StaffRole]
    external: bool
    create: bool


@dataclass(frozen=True)
class AssignClassTeacher:
    """Command: a school admin makes a member of staff the class teacher of a class."""

    school_id: str
    class_id: str
    staff_id: str


@dataclass(frozen=True)
class Teach:
    """Command: a subject teacher teaches (or no longer teaches) a subject to a class."""

    school_id: str
    class_id: str
    staff_id: str
    school_subject: str


async def _row(uow: UnitOfWork, model: type[T], *, school_id: str, key: str | None, create: bool) -> T | None:
    """The row to change (404 unless it is the school's), or None for a new one (409 if the id is taken)."""
    if create:
        if await uow.session.get(roster.School, school_id) is None:
            raise NotFound("the school of this token is not registered")
        if key is not None and await uow.session.get(model, key) is not None:
            raise Conflict(f"'{key}' already exists")
        return None
    row = await roster.in_school(uow.session, model, school_id=school_id, key=key or "")
    if row is None:
        raise NotFound(f"no '{key}' in this school")
    return row


def term_event(term: store.Term) -> TermCalendarSet:
    """The event (and public view) of a term's calendar."""
    return from_fields(
        TermCalendarSet,
        term,
        holidays=[date.fromisoformat(d) for d in term.holidays],
        makeup_days=[date.fromisoformat(d) for d in term.makeup_days],
    )


async def set_term(uow: UnitOfWork, command: SetTerm) -> store.Term:
    """EN-5: validate the term's calendar, keep it and announce it (`TermCalendarSet` replaces earlier ones)."""
    term = await _row(uow, store.Term, school_id=command.school_id, key=command.term_id, create=command.create)
    term_id = term.term_id if term is not None else command.term_id or str(uuid.uuid4())
    others = await store.terms_of(uow.session, school_id=command.school_id)
    with refusing():
        dates = check_term(command.dates)
        check_no_overlap(dates, [(o.term_id, o.starts_on, o.ends_on) for o in others if o.term_id != term_id])
    if term is None:
        term = store.Term(term_id=term_id, school_id=command.school_id)
        uow.session.add(term)
    term.name, term.starts_on, term.ends_on = command.name, dates.starts_on, dates.ends_on
    term.holidays = [d.isoformat() for d in dates.holidays]
    term.makeup_days = [d.isoformat() for d in dates.makeup_days]
    term.winter_from, term.winter_to = dates.winter_from, dates.winter_to
    await uow.session.flush()
    await uow.publish(term_event(term), school_id=command.school_id)
    return term


async def define_band(uow: UnitOfWork, command: DefineBand) -> store.GradeBand:
    """AT-4/EN-4: keep a grade band whose grades no other band of the school holds, and announce it."""
    band = await _row(uow, store.GradeBand, school_id=command.school_id, key=command.band_id, create=command.create)
    band_id = band.band_id if band is not None else command.band_id or str(uuid.uuid4())
    others = {b.band_id: b.grades for b in await store.bands_of(uow.session, school_id=command.school_id)}
    others.pop(band_id, None)
    with refusing():
        grades = check_band(command.grades, others)
    if band is None:
        band = store.GradeBand(band_id=band_id, school_id=command.school_id)
        uow.session.add(band)
    band.name, band.grades = command.name, grades
    await uow.session.flush()
    event = GradeBandDefined(band_id=band_id, school_id=command.school_id, name=command.name, grades=grades)
    await uow.publish(event, school_id=command.school_id)
    return band


async def define_room(uow: UnitOfWork, command: DefineRoom) -> store.Room:
    """Keep a room (AT-6: `is_reception` marks where uncollected children wait) and announce it."""
    room = await _row(uow, store.Room, school_id=command.school_id, key=command.room_id, create=command.create)
    if room is None:
        room = store.Room(room_id=command.room_id or str(uuid.uuid4()), school_id=command.school_id)
        uow.session.add(room)
    room.name, room.capacity, room.is_reception = command.name, command.capacity, command.is_reception
    await uow.session.flush()
    event = from_fields(RoomDefined, room, school_id=command.school_id)
    await uow.publish(event, school_id=command.school_id)
    return room


async def register_staff(uow: UnitOfWork, command: RegisterStaff) -> store.StaffMember:
    """Keep a member of staff with their roles and announce them; a role still in use cannot be taken away."""
    staff = await _row(uow, store.StaffMember, school_id=command.school_id, key=command.staff_id, create=command.create)
    with refusing():
        roles = check_staff_roles(command.roles, external=command.external)
    if staff is None:
        staff = store.StaffMember(staff_id=command.staff_id or str(uuid.uuid4()), school_id=command.school_id)
        uow.session.add(staff)
    else:
        leads, teaches = await store.duties_of(uow.session, staff_id=staff.staff_id)
        if leads and StaffRole.CLASS_TEACHER not in roles:
            raise Conflict("this member of staff is a class teacher: assign another class teacher first")
        if teaches and StaffRole.SUBJECT_TEACHER not in roles:
            raise Conflict("this member of staff still teaches a class: unassign the teaching first")
    staff.name, staff.roles, staff.external = command.name, [str(r) for r in roles], command.external
    await uow.session.flush()
    event = StaffMemberRegistered(
        staff_id=staff.staff_id, school_id=command.school_id, roles=roles, external=command.external
    )
    await uow.publish(event, school_id=command.school_id)
    return staff


async def _class_and_staff(uow: UnitOfWork, school_id: str, class_id: str, staff_id: str) -> store.StaffMember:
    if await roster.in_school(uow.session, roster.SchoolClass, school_id=school_id, key=class_id) is None:
        raise NotFound(f"no class '{class_id}' in this school")
    staff = await store.staff_in_school(uow.session, school_id=school_id, staff_id=staff_id)
    if staff is None:
        raise NotFound(f"no member of staff '{staff_id}' in this school")
    return staff


async def assign_class_teacher(uow: UnitOfWork, command: AssignClassTeacher) -> store.ClassTeacher:
    """EN-1/AT-1: the class's class teacher (first reviewer, approver of leave); announced when it changes."""
    staff = await _class_and_staff(uow, command.school_id, command.class_id, command.staff_id)
    with refusing():
        require_role(staff.roles, StaffRole.CLASS_TEACHER, rule="EN-1")
    row = await uow.session.get(store.ClassTeacher, command.class_id)
    if row is not None and row.staff_id == command.staff_id:
        return row
    if row is None:
        row = store.ClassTeacher(class_id=command.class_id, school_id=command.school_id)
        uow.session.add(row)
    row.staff_id = command.staff_id
    await uow.session.flush()
    event = ClassTeacherAssigned(class_id=command.class_id, school_id=command.school_id, staff_id=command.staff_id)
    await uow.publish(event, school_id=command.school_id)
    return row


async def assign_teaching(uow: UnitOfWork, command: Teach) -> store.Teaching:
    """HW-4: a subject teacher teaches a subject to a class (so may set its homework); announced once."""
    staff = await _class_and_staff(uow, command.school_id, command.class_id, command.staff_id)
    with refusing():
        require_role(staff.roles, StaffRole.SUBJECT_TEACHER, rule="HW-4")
    key = (command.class_id, command.staff_id, command.school_subject)
    existing = await uow.session.get(store.Teaching, key)
    if existing is not None:
        return existing
    teaching = store.Teaching(
        class_id=command.class_id,
        staff_id=command.staff_id,
        school_subject=command.school_subject,
        school_id=command.school_id,
    )
    uow.session.add(teaching)
    await uow.session.flush()
    await uow.publish(TeachingAssigned(**_teaching_fields(command)), school_id=command.school_id)
    return teaching


async def unassign_teaching(uow: UnitOfWork, command: Teach) -> None:
    """HW-4: the teacher no longer teaches the subject to the class; announced."""
    teaching = await uow.session.get(store.Teaching, (command.class_id, command.staff_id, command.school_subject))
    if teaching is None or teaching.school_id != command.school_id:
        raise NotFound("this teacher does not teach this subject to this class")
    await uow.session.delete(teaching)
    await uow.session.flush()
    await uow.publish(TeachingUnassigned(**_teaching_fields(command)), school_id=command.school_id)


def _teaching_fields(command: Teach) -> dict[str, str]:
    return {
        "class_id": command.class_id,
        "school_id": command.school_id,
        "staff_id": command.staff_id,
        "school_subject": command.school_subject,
    }
