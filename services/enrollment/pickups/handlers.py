"""Who may collect a child (BX-2, AT-5): authorised adults, restricted persons, the walk-home permission.

Each command checks the rules in `domain/roster.py`, stores the change and announces it in one unit of work; a
restricted person's court-order note and anyone's id number never leave enrollment.
"""

from __future__ import annotations

import uuid

from chassis.clock import school_today
from chassis.problems import Conflict, NotFound, Unprocessable
from chassis.records import from_fields
from chassis.uow import UnitOfWork
from contracts.enrollment import (
    PickupPersonAdded,
    PickupPersonRemoved,
    PickupPersonRestricted,
    WalkHomePermissionSet,
)
from services.enrollment import store as shared
from services.enrollment.domain import roster
from services.enrollment.domain.roster import PickupRuleBroken, RosterRuleBroken
from services.enrollment.pickups import store
from services.enrollment.pickups.schemas import PickupCreate, RestrictionCreate, WalkHomeSet


def _entries(people: list[shared.PickupPerson]) -> list[roster.PickupEntry]:
    return [roster.PickupEntry(p.person_id, p.status, p.credential_ref, p.id_number) for p in people]


async def _record_person(
    uow: UnitOfWork,
    body: PickupCreate | RestrictionCreate,
    status: str,
    *,
    school_id: str,
    student_id: str,
    guardian_id: str | None = None,
    note: str | None = None,
) -> shared.PickupPerson:
    # EN-8/issue 11: a pickup person's code is the child's, so the stored id is derived per child.
    code = body.id or str(uuid.uuid4())
    person_id = shared.stored_id(shared.PickupPerson, school_id=school_id, code=code, within=(student_id,))
    existing = await store.pickups_of(uow.session, student_id=student_id)
    if any(p.external_id == code or p.person_id == person_id for p in existing):
        raise Conflict(f"'{code}' already exists for this child")
    person = from_fields(
        shared.PickupPerson,
        body,
        person_id=person_id,
        school_id=school_id,
        student_id=student_id,
        external_id=code,
        guardian_id=guardian_id,
        status=status,
        note=note,
    )
    uow.session.add(person)
    await uow.session.flush()
    return person


async def add_pickup_person(
    uow: UnitOfWork, body: PickupCreate, *, school_id: str, student_id: str
) -> shared.PickupPerson:
    """BX-2/AT-5: authorise the adult to collect the child with their own kiosk credential, unless they are
    restricted (409)."""
    student_id = (await shared.school_student(uow, school_id, student_id)).student_id
    guardian_id = None
    if body.guardian_id is not None:
        guardian = await shared.in_school(uow.session, shared.Guardian, school_id=school_id, key=body.guardian_id)
        guardian_id = guardian.guardian_id if guardian is not None else None
        if guardian_id is None or await uow.session.get(shared.GuardianLink, (student_id, guardian_id)) is None:
            raise NotFound(f"'{body.guardian_id}' is not a guardian of this child")
    people = await store.pickups_of(uow.session, student_id=student_id)
    try:
        roster.check_may_authorise(_entries(people), credential_ref=body.credential_ref, id_number=body.id_number)
    except PickupRuleBroken as error:
        raise Conflict(str(error), rule="BX-2") from error
    if any(p.status == roster.AUTHORISED and p.credential_ref == body.credential_ref for p in people):
        raise Conflict("this credential already collects this child")
    person = await _record_person(
        uow, body, roster.AUTHORISED, school_id=school_id, student_id=student_id, guardian_id=guardian_id
    )
    await uow.publish(pickup_added(person), school_id=school_id)
    return person


def pickup_added(person: shared.PickupPerson) -> PickupPersonAdded:
    """The event announcing an authorised pickup person: their name, so a check-out alert says who collected the
    child (NT-1); never their id number."""
    return from_fields(PickupPersonAdded, person, credential_ref=person.credential_ref or "")


def pickup_restricted(person: shared.PickupPerson) -> PickupPersonRestricted:
    """The event announcing a restricted person; the court-order note stays in enrollment."""
    return from_fields(PickupPersonRestricted, person)


async def remove_pickup(uow: UnitOfWork, person: shared.PickupPerson) -> None:
    """The person may no longer collect the child (BX-2): marked removed, and announced."""
    person.status = roster.REMOVED
    await uow.publish(
        PickupPersonRemoved(person_id=person.person_id, student_id=person.student_id, school_id=person.school_id),
        school_id=person.school_id,
    )


async def remove_pickup_person(uow: UnitOfWork, *, school_id: str, student_id: str, person_id: str) -> None:
    """The adult may no longer collect the child."""
    student_id = (await shared.school_student(uow, school_id, student_id)).student_id
    people = await store.pickups_of(uow.session, student_id=student_id)
    # Issue 11: the path names the person by their stored id or by the child's code for them.
    person = next((p for p in people if person_id in (p.person_id, p.external_id)), None)
    if person is None or person.status != roster.AUTHORISED:
        raise NotFound(f"no authorised pickup person '{person_id}' for this child")
    await remove_pickup(uow, person)
    await uow.session.flush()


async def restrict_pickup_person(
    uow: UnitOfWork, body: RestrictionCreate, *, school_id: str, student_id: str
) -> shared.PickupPerson:
    """BX-2: record a person who must never collect the child (custody order); any authorisation of the same person
    for the child ends first."""
    student_id = (await shared.school_student(uow, school_id, student_id)).student_id
    people = await store.pickups_of(uow.session, student_id=student_id)
    lifted = roster.authorisations_lifted_by_restriction(
        _entries(people), credential_ref=body.credential_ref, id_number=body.id_number
    )
    for person in people:
        if person.person_id in lifted:
            await remove_pickup(uow, person)
    restricted = await _record_person(
        uow, body, roster.RESTRICTED, school_id=school_id, student_id=student_id, note=body.note
    )
    await uow.publish(pickup_restricted(restricted), school_id=school_id)
    return restricted


async def set_walk_home_permission(
    uow: UnitOfWork, body: WalkHomeSet, *, school_id: str, student_id: str, guardian_id: str, by: str
) -> store.WalkHomePermission:
    """AT-5: record a guardian's standing permission for the child to leave alone (or its withdrawal), from
    `effective_from` or today, given by `by`, and announce it."""
    student_id = (await shared.school_student(uow, school_id, student_id)).student_id
    guardian = await shared.in_school(uow.session, shared.Guardian, school_id=school_id, key=guardian_id)
    guardian_id = guardian.guardian_id if guardian is not None else guardian_id
    try:
        roster.check_walk_home_guardian(
            guardian_id=guardian_id, guardians_of_child=await shared.guardians_of(uow.session, student_id=student_id)
        )
    except RosterRuleBroken as error:
        raise Unprocessable(str(error), rule="AT-5") from error
    permission = await uow.session.get(store.WalkHomePermission, student_id)
    if permission is None:
        permission = store.WalkHomePermission(student_id=student_id, school_id=school_id)
        uow.session.add(permission)
    permission.allowed, permission.guardian_id = body.allowed, guardian_id
    permission.effective_from = body.effective_from or school_today(uow.clock)
    permission.set_by, permission.set_at = by, uow.clock.now()
    await uow.session.flush()
    await uow.publish(from_fields(WalkHomePermissionSet, permission), school_id=school_id)
    return permission
