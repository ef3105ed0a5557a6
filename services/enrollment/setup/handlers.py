"""Commands of the school's set-up: rules → store + events, each inside one unit of work."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from typing import TypeVar

from sqlalchemy import inspect

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
from services.enrollment.setup.schemas import (
    BandFields,
    ClassTeacherBody,
    RoomFields,
    StaffFields,
    TeachingBody,
    TermFields,
)

T = TypeVar("T")


@contextmanager
def refusing() -> Iterator[None]:
    """Turn a broken rule into a 422 problem naming the rule and the field."""
    try:
        yield
    except RuleBroken as error:
        raise Unprocessable(str(error), rule=error.rule, field=error.field) from error


async def _row(
    uow: UnitOfWork, model: type[T], *, school_id: str, key: str | None, create: bool
) -> tuple[T | None, str]:
    """The row to change and its stored id (404 unless `key`, its stored id or the school's code, names one of the
    school's rows), or None and the stored id for a new one (409 only if the school already uses the code)."""
    if create:
        if await uow.session.get(roster.School, school_id) is None:
            raise NotFound("the school of this token is not registered")
        return None, await roster.new_id(uow, model, key, school_id)  # type: ignore[arg-type]
    row = await roster.in_school(uow.session, model, school_id=school_id, key=key or "")
    if row is None:
        raise NotFound(f"no '{key}' in this school")
    return row, str(inspect(row).identity[0])


def term_event(term: store.Term) -> TermCalendarSet:
    """The event (and public view) of a term's calendar."""
    return from_fields(
        TermCalendarSet,
        term,
        holidays=[date.fromisoformat(d) for d in term.holidays],
        makeup_days=[date.fromisoformat(d) for d in term.makeup_days],
    )


async def set_term(uow: UnitOfWork, body: TermFields, *, school_id: str, key: str | None, create: bool) -> store.Term:
    """EN-5: a school admin creates (`create`) or changes a term: its calendar validated, kept and announced
    (`TermCalendarSet` replaces earlier ones)."""
    term, term_id = await _row(uow, store.Term, school_id=school_id, key=key, create=create)
    others = await store.terms_of(uow.session, school_id=school_id)
    given = from_fields(TermDates, body, holidays=tuple(body.holidays), makeup_days=tuple(body.makeup_days))
    with refusing():
        dates = check_term(given)
        check_no_overlap(dates, [(o.term_id, o.starts_on, o.ends_on) for o in others if o.term_id != term_id])
    if term is None:
        term = store.Term(term_id=term_id, school_id=school_id, external_id=key)
        uow.session.add(term)
    term.name, term.starts_on, term.ends_on = body.name, dates.starts_on, dates.ends_on
    term.holidays = [d.isoformat() for d in dates.holidays]
    term.makeup_days = [d.isoformat() for d in dates.makeup_days]
    term.winter_from, term.winter_to = dates.winter_from, dates.winter_to
    await uow.session.flush()
    await uow.publish(term_event(term), school_id=school_id)
    return term


async def define_band(
    uow: UnitOfWork, body: BandFields, *, school_id: str, key: str | None, create: bool
) -> store.GradeBand:
    """AT-4/EN-4: a school admin creates or changes a grade band whose grades no other band of the school holds:
    kept and announced."""
    band, band_id = await _row(uow, store.GradeBand, school_id=school_id, key=key, create=create)
    others = {b.band_id: b.grades for b in await store.bands_of(uow.session, school_id=school_id)}
    others.pop(band_id, None)
    with refusing():
        grades = check_band(body.grades, others)
    if band is None:
        band = store.GradeBand(band_id=band_id, school_id=school_id, external_id=key)
        uow.session.add(band)
    band.name, band.grades = body.name, grades
    await uow.session.flush()
    await uow.publish(from_fields(GradeBandDefined, band), school_id=school_id)
    return band


async def define_room(
    uow: UnitOfWork, body: RoomFields, *, school_id: str, key: str | None, create: bool
) -> store.Room:
    """A school admin creates or changes a room (AT-6: `is_reception` marks where uncollected children wait): kept
    and announced."""
    room, room_id = await _row(uow, store.Room, school_id=school_id, key=key, create=create)
    if room is None:
        room = store.Room(room_id=room_id, school_id=school_id, external_id=key)
        uow.session.add(room)
    room.name, room.capacity, room.is_reception = body.name, body.capacity, body.is_reception
    await uow.session.flush()
    await uow.publish(from_fields(RoomDefined, room), school_id=school_id)
    return room


async def register_staff(
    uow: UnitOfWork, body: StaffFields, *, school_id: str, key: str | None, create: bool
) -> store.StaffMember:
    """A school admin registers or changes a member of staff (or an external provider's teacher) with their roles:
    kept and announced; a role still in use cannot be taken away."""
    staff, staff_id = await _row(uow, store.StaffMember, school_id=school_id, key=key, create=create)
    with refusing():
        roles = check_staff_roles(body.roles, external=body.external)
    if staff is None:
        staff = store.StaffMember(staff_id=staff_id, school_id=school_id, external_id=key)
        uow.session.add(staff)
    else:
        leads, teaches = await store.duties_of(uow.session, staff_id=staff.staff_id)
        if leads and StaffRole.CLASS_TEACHER not in roles:
            raise Conflict("this member of staff is a class teacher: assign another class teacher first")
        if teaches and StaffRole.SUBJECT_TEACHER not in roles:
            raise Conflict("this member of staff still teaches a class: unassign the teaching first")
    staff.name, staff.roles, staff.external = body.name, [str(r) for r in roles], body.external
    await uow.session.flush()
    await uow.publish(from_fields(StaffMemberRegistered, staff, roles=roles), school_id=school_id)
    return staff


async def _class_and_staff(
    uow: UnitOfWork, school_id: str, class_id: str, staff_id: str
) -> tuple[str, store.StaffMember]:
    """The class's stored id and the member of staff, each named by stored id or school code (404 if not the
    school's)."""
    school_class = await roster.in_school(uow.session, roster.SchoolClass, school_id=school_id, key=class_id)
    if school_class is None:
        raise NotFound(f"no class '{class_id}' in this school")
    staff = await store.staff_in_school(uow.session, school_id=school_id, staff_id=staff_id)
    if staff is None:
        raise NotFound(f"no member of staff '{staff_id}' in this school")
    return school_class.class_id, staff


async def assign_class_teacher(
    uow: UnitOfWork, body: ClassTeacherBody, *, school_id: str, class_id: str
) -> store.ClassTeacher:
    """EN-1/AT-1: a school admin makes a member of staff the class's class teacher (first reviewer, approver of
    leave); announced when it changes."""
    class_id, staff = await _class_and_staff(uow, school_id, class_id, body.staff_id)
    with refusing():
        require_role(staff.roles, StaffRole.CLASS_TEACHER, rule="EN-1")
    row = await uow.session.get(store.ClassTeacher, class_id)
    if row is not None and row.staff_id == staff.staff_id:
        return row
    if row is None:
        row = store.ClassTeacher(class_id=class_id, school_id=school_id)
        uow.session.add(row)
    row.staff_id = staff.staff_id
    await uow.session.flush()
    await uow.publish(from_fields(ClassTeacherAssigned, row), school_id=school_id)
    return row


async def assign_teaching(uow: UnitOfWork, body: TeachingBody, *, school_id: str, class_id: str) -> store.Teaching:
    """HW-4: a subject teacher teaches a subject to a class (so may set its homework); announced once."""
    class_id, staff = await _class_and_staff(uow, school_id, class_id, body.staff_id)
    with refusing():
        require_role(staff.roles, StaffRole.SUBJECT_TEACHER, rule="HW-4")
    existing = await uow.session.get(store.Teaching, (class_id, staff.staff_id, body.school_subject))
    if existing is not None:
        return existing
    teaching = from_fields(store.Teaching, body, class_id=class_id, school_id=school_id, staff_id=staff.staff_id)
    uow.session.add(teaching)
    await uow.session.flush()
    await uow.publish(from_fields(TeachingAssigned, teaching), school_id=school_id)
    return teaching


async def unassign_teaching(
    uow: UnitOfWork, *, school_id: str, class_id: str, staff_id: str, school_subject: str
) -> store.Teaching:
    """HW-4: the teacher no longer teaches the subject to the class (each named by stored id or school code);
    announced; the teaching removed."""
    school_class = await roster.in_school(uow.session, roster.SchoolClass, school_id=school_id, key=class_id)
    staff = await store.staff_in_school(uow.session, school_id=school_id, staff_id=staff_id)
    teaching = None
    if school_class is not None and staff is not None:
        teaching = await uow.session.get(store.Teaching, (school_class.class_id, staff.staff_id, school_subject))
    if teaching is None or teaching.school_id != school_id:
        raise NotFound("this teacher does not teach this subject to this class")
    await uow.session.delete(teaching)
    await uow.session.flush()
    await uow.publish(from_fields(TeachingUnassigned, teaching), school_id=school_id)
    return teaching
