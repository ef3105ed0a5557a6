"""Check-out commands (AT-4, AT-5, BX-2, BX-5) → rules → store + events, inside one unit of work."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime

from chassis.clock import school_date
from chassis.problems import Conflict, NotFound, Problem, Unprocessable
from chassis.uow import UnitOfWork
from contracts.attendance.dismissal import (
    HandledBy,
    LatePickupCharged,
    PickupRefused,
    Release,
    StudentCheckedOut,
)
from services.attendance.dismissal import handlers as plans
from services.attendance.dismissal import store
from services.attendance.domain.check_in import DeviceTimeRefused, DeviceWindow, Outcome, as_utc
from services.attendance.domain.dismissal import dismissal_at, is_early
from services.attendance.domain.late_fees import late_pickup_fee
from services.attendance.domain.pickup import (
    Actor,
    PersonStanding,
    Refusal,
    judge_pickup,
    judge_walk_alone,
    staff_release_fits_plan,
)
from services.attendance.live.handlers import wake_board
from services.attendance.reference import store as ref
from services.attendance.store import RosterStudent


@dataclass(frozen=True)
class CheckOutStudent:
    """Command: hand a child over (single or one of a batch)."""

    school_id: str
    actor: Actor
    student_id: str
    occurred_at: datetime
    release: Release
    credential_ref: str | None = None
    person_id: str | None = None
    device_id: str | None = None
    place: str | None = None


@dataclass(frozen=True)
class CheckOutResult:
    """What became of a check-out: created, a duplicate of the stored one, or refused (with the refusal)."""

    outcome: Outcome
    check_out: store.CheckOut | None = None
    refusal: Refusal | None = None
    refusal_id: str | None = None


async def check_out_student(uow: UnitOfWork, command: CheckOutStudent, *, window: DeviceWindow) -> CheckOutResult:
    """AT-5: store the handoff to an authorised person (or a walker with permission, or the bus/program of the
    day's plan) and publish it; refuse anyone else with an event (urgent for a restricted person, BX-2)."""
    try:
        occurred_at = window.accept(command.occurred_at, uow.clock.now())
    except DeviceTimeRefused as error:
        raise Unprocessable(str(error), rule="AT-8") from error
    child = await _child(uow, command)
    day = date.fromisoformat(school_date(occurred_at))
    existing = await store.check_out_of(uow.session, student_id=child.student_id, day=day)
    if existing is not None:
        if existing.device_id == command.device_id and as_utc(existing.occurred_at) == occurred_at:
            return CheckOutResult(Outcome.DUPLICATE, existing)
        raise Conflict(f"'{child.student_id}' was already checked out at {existing.occurred_at.isoformat()}")
    person_id, refusal = await _judge(uow, command, child, day)
    if refusal is not None:
        return await _refuse(uow, command, child, day, occurred_at, person_id, refusal)
    return await _hand_over(uow, command, child, day, occurred_at, person_id)


async def _child(uow: UnitOfWork, command: CheckOutStudent) -> RosterStudent:
    child = await ref.student(uow.session, school_id=command.school_id, student_id=command.student_id)
    visible = child is not None and (command.actor.class_ids is None or child.class_id in command.actor.class_ids)
    if command.actor.kind == "guardian" and visible:
        visible = await ref.is_guardian_of(uow.session, guardian_id=command.actor.id, student_id=command.student_id)
    if child is None or not visible:
        raise NotFound(f"no student '{command.student_id}' here")
    return child


async def _judge(
    uow: UnitOfWork, command: CheckOutStudent, child: RosterStudent, day: date
) -> tuple[str | None, Refusal | None]:
    """The person collecting, and the refusal if they may not (AT-5, BX-2, BX-5)."""
    session, actor = uow.session, command.actor
    if command.release is Release.WALK_ALONE:
        allowed = await ref.walk_home_allowed(session, student_id=child.student_id, on=day)
        return None, judge_walk_alone(allowed)
    if command.release in (Release.BUS, Release.PROGRAM):
        if actor.kind != "staff":
            raise Unprocessable("only staff hand a child to the bus or a program", rule="BX-5")
        plan = await plans.plan_of_day(session, student_id=child.student_id, day=day)
        if not staff_release_fits_plan(command.release, plan):
            raise Unprocessable(f"today's dismissal plan of the child is '{plan}'", rule="BX-5")
        return None, None
    if actor.kind == "guardian":
        entry = await store.guardian_as_pickup_person(session, student_id=child.student_id, guardian_id=actor.id)
        standing = PersonStanding.RESTRICTED if entry is not None and entry.restricted else PersonStanding.AUTHORISED
        return (entry.person_id if entry else None), judge_pickup(standing)
    if command.person_id is not None and actor.kind == "staff":
        person = await store.pickup_person(session, student_id=child.student_id, person_id=command.person_id)
        return command.person_id, judge_pickup(_standing(person))
    if command.credential_ref is None:
        raise Unprocessable("a pickup needs the person's credential (kiosk) or their person_id (staff)", rule="AT-5")
    match = await ref.pickup_person_by_credential(
        session, student_id=child.student_id, credential_ref=command.credential_ref
    )
    return match.person_id, judge_pickup(PersonStanding(match.status.value))


def _standing(person: ref.RefPickupPerson | None) -> PersonStanding:
    if person is None:
        return PersonStanding.UNKNOWN
    if person.restricted:
        return PersonStanding.RESTRICTED
    return PersonStanding.UNKNOWN if person.removed else PersonStanding.AUTHORISED


async def _refuse(
    uow: UnitOfWork,
    command: CheckOutStudent,
    child: RosterStudent,
    day: date,
    occurred_at: datetime,
    person_id: str | None,
    refusal: Refusal,
) -> CheckOutResult:
    row = store.PickupRefusal(
        refusal_id=str(uuid.uuid4()),
        school_id=command.school_id,
        student_id=child.student_id,
        day=day,
        occurred_at=occurred_at,
        reason=refusal.reason.value,
        person_id=person_id,
        device_id=command.device_id,
        place=command.place,
        attempted_by=command.actor.recorded_by,
        recorded_at=uow.clock.now(),
    )
    uow.session.add(row)
    await uow.publish(
        PickupRefused(
            refusal_id=row.refusal_id,
            student_id=row.student_id,
            school_id=row.school_id,
            occurred_at=occurred_at,
            reason=refusal.reason,
            restricted=refusal.restricted,
            urgent=refusal.restricted,
            person_id=person_id,
            device_id=row.device_id,
            place=row.place,
            attempted_by=row.attempted_by,
        ),
        school_id=row.school_id,
    )
    return CheckOutResult(Outcome.REFUSED, refusal=refusal, refusal_id=row.refusal_id)


async def _hand_over(
    uow: UnitOfWork,
    command: CheckOutStudent,
    child: RosterStudent,
    day: date,
    occurred_at: datetime,
    person_id: str | None,
) -> CheckOutResult:
    policy = await ref.policy_on(uow.session, school_id=command.school_id, day=day)
    regular = dismissal_at(day, child.grade, policy)
    # BX-5: the fee is for an adult collecting late; children handed to the bus or a program are not late.
    late = command.release is Release.PICKUP_PERSON
    fee = late_pickup_fee(regular, occurred_at, policy) if late else None
    row = store.CheckOut(
        check_out_id=str(uuid.uuid4()),
        school_id=command.school_id,
        student_id=child.student_id,
        day=day,
        occurred_at=occurred_at,
        recorded_at=uow.clock.now(),
        release=command.release.value,
        person_id=person_id,
        handled_by=_handled_by(command).value,
        staff_id=command.actor.id if command.actor.kind == "staff" else None,
        device_id=command.device_id,
        place=command.place,
        early=is_early(occurred_at, regular),
        late_fee_fen=fee.fee_fen if fee else 0,
        recorded_by=command.actor.recorded_by,
    )
    if not await store.insert_check_out(uow.session, row):
        raise Conflict(f"'{child.student_id}' was just checked out by someone else")
    await store.resolve_case(
        uow.session, student_id=child.student_id, day=day, at=occurred_at, check_out_id=row.check_out_id
    )
    await uow.publish(_checked_out(row), school_id=row.school_id)
    wake_board(uow, row.school_id)
    if fee is not None:
        charged = LatePickupCharged(
            check_out_id=row.check_out_id,
            student_id=row.student_id,
            school_id=row.school_id,
            day=day,
            minutes_late=fee.minutes_late,
            blocks=fee.blocks,
            fee_fen=fee.fee_fen,
        )
        await uow.publish(charged, school_id=row.school_id)
    return CheckOutResult(Outcome.CREATED, row)


def _handled_by(command: CheckOutStudent) -> HandledBy:
    """BX-2: staff, or the collecting adult at a kiosk or in their app; a walker checks themselves out."""
    if command.actor.kind == "staff":
        return HandledBy.STAFF
    return HandledBy.STUDENT if command.release is Release.WALK_ALONE else HandledBy.GUARDIAN


def _checked_out(row: store.CheckOut) -> StudentCheckedOut:
    return StudentCheckedOut.model_validate(row, from_attributes=True)


async def check_out_batch(
    uow: UnitOfWork, commands: list[CheckOutStudent], *, window: DeviceWindow
) -> list[tuple[CheckOutResult | None, Problem | None]]:
    """A batch, each child's check-outs in device-time order (AT-8): each is created, a duplicate or refused; a
    problem with one (unknown child, already collected) is its own result and the others go on. Children are taken
    in id order, so concurrent batches lock their outbox keys in the same order and never deadlock."""
    results: dict[int, tuple[CheckOutResult | None, Problem | None]] = {}
    for index in sorted(range(len(commands)), key=lambda i: (commands[i].student_id, commands[i].occurred_at)):
        try:
            results[index] = (await check_out_student(uow, commands[index], window=window), None)
        except Problem as problem:
            results[index] = (None, problem)
    return [results[i] for i in range(len(commands))]
