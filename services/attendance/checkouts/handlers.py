"""Check-out commands (AT-4, AT-5, BX-2, BX-5) → rules → store + events, inside one unit of work."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import date, datetime

from chassis.clock import school_date
from chassis.problems import Conflict, NotFound, Problem, Unprocessable
from chassis.records import from_fields
from chassis.uow import UnitOfWork
from contracts.attendance.dismissal import (
    HandledBy,
    LatePickupCharged,
    PickupRefused,
    Release,
    StudentCheckedOut,
)
from contracts.envelope import Event
from contracts.policy import PolicySettings
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
    standing_of,
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


class _Reads:
    """What deciding a check-out reads: the child, their check-out of the day, a card's holder, the day's policy.
    A batch fetches the first three for all its children in three statements; anything not fetched is read (once)
    when asked, so a single check-out and a batch decide with the same code."""

    def __init__(self, uow: UnitOfWork, school_id: str) -> None:
        self._session = uow.session
        self._school_id = school_id
        self._children: dict[str, RosterStudent | None] = {}
        self._check_outs: dict[tuple[str, date], store.CheckOut | None] = {}
        self._cards: dict[tuple[str, str], ref.PickupMatch] = {}
        self._policies: dict[date, PolicySettings] = {}

    async def fetch(self, commands: Sequence[CheckOutStudent]) -> None:
        """Read what a batch of check-outs needs in three statements."""
        ids = sorted({c.student_id for c in commands})
        roster = await ref.roster_of(self._session, student_ids=ids)
        self._children = {i: self._own(roster.get(i)) for i in ids}
        days = {date.fromisoformat(school_date(as_utc(c.occurred_at))) for c in commands if _has_utc(c.occurred_at)}
        stored = await store.check_outs_on(self._session, student_ids=ids, days=days)
        self._check_outs = {(i, day): stored.get((i, day)) for i in ids for day in days}
        cards = {(c.student_id, c.credential_ref) for c in commands if c.credential_ref is not None}
        self._cards = await ref.pickup_people_by_credential(self._session, keys=cards)

    def _own(self, child: RosterStudent | None) -> RosterStudent | None:
        return child if child is not None and child.school_id == self._school_id else None

    async def child(self, student_id: str) -> RosterStudent | None:
        """The child, if on this school's roster."""
        if student_id not in self._children:
            self._children[student_id] = await ref.student(
                self._session, school_id=self._school_id, student_id=student_id
            )
        return self._children[student_id]

    async def check_out(self, student_id: str, day: date) -> store.CheckOut | None:
        """The child's check-out of the day, stored or decided earlier in this batch."""
        if (student_id, day) not in self._check_outs:
            self._check_outs[student_id, day] = await store.check_out_of(self._session, student_id=student_id, day=day)
        return self._check_outs[student_id, day]

    def decided(self, row: store.CheckOut) -> None:
        """A check-out this batch will store: a later one of the same child and day is its duplicate."""
        self._check_outs[row.student_id, row.day] = row

    async def card(self, student_id: str, credential_ref: str) -> ref.PickupMatch:
        """BX-2: who holds the card, for this child."""
        if (student_id, credential_ref) not in self._cards:
            self._cards[student_id, credential_ref] = await ref.pickup_person_by_credential(
                self._session, student_id=student_id, credential_ref=credential_ref
            )
        return self._cards[student_id, credential_ref]

    async def policy(self, day: date) -> PolicySettings:
        """PL-1: the school's settings in force on the day."""
        if day not in self._policies:
            self._policies[day] = await ref.policy_on(self._session, school_id=self._school_id, day=day)
        return self._policies[day]


def _has_utc(moment: datetime) -> bool:
    try:
        as_utc(moment)
    except (OverflowError, ValueError):
        return False
    return True


@dataclass(frozen=True)
class _HandOver:
    """A decided handoff: the row to store and its events (StudentCheckedOut, and LatePickupCharged if late)."""

    row: store.CheckOut
    events: tuple[Event, ...]


@dataclass(frozen=True)
class _Refused:
    """A decided refusal: its row and event (AT-5, BX-2)."""

    row: store.PickupRefusal
    event: PickupRefused
    refusal: Refusal

    def result(self) -> CheckOutResult:
        return CheckOutResult(Outcome.REFUSED, refusal=self.refusal, refusal_id=self.row.refusal_id)


async def check_out_student(uow: UnitOfWork, command: CheckOutStudent, *, window: DeviceWindow) -> CheckOutResult:
    """AT-5: store the handoff to an authorised person (or a walker with permission, or the bus/program of the
    day's plan) and publish it; refuse anyone else with an event (urgent for a restricted person, BX-2)."""
    decision = await _decide(uow, _Reads(uow, command.school_id), command, window)
    if isinstance(decision, CheckOutResult):
        return decision
    if isinstance(decision, _Refused):
        uow.session.add(decision.row)
        await uow.publish(decision.event, school_id=command.school_id)
        return decision.result()
    row = decision.row
    if not await store.insert_check_out(uow.session, row):
        raise _taken(row)
    await store.resolve_cases(uow.session, [row])
    for event in decision.events:
        await uow.publish(event, school_id=row.school_id)
    wake_board(uow, row.school_id)
    return CheckOutResult(Outcome.CREATED, row)


def _taken(row: store.CheckOut) -> Conflict:
    return Conflict(f"'{row.student_id}' was just checked out by someone else")


async def _decide(
    uow: UnitOfWork, reads: _Reads, command: CheckOutStudent, window: DeviceWindow
) -> CheckOutResult | _HandOver | _Refused:
    """Everything a check-out is, decided from what it reads; nothing is written yet."""
    try:
        occurred_at = window.accept(command.occurred_at, uow.clock.now())
    except DeviceTimeRefused as error:
        raise Unprocessable(str(error), rule="AT-8") from error
    child = await _child(uow, reads, command)
    day = date.fromisoformat(school_date(occurred_at))
    existing = await reads.check_out(child.student_id, day)
    if existing is not None:
        if existing.device_id == command.device_id and as_utc(existing.occurred_at) == occurred_at:
            return CheckOutResult(Outcome.DUPLICATE, existing)
        raise Conflict(f"'{child.student_id}' was already checked out at {existing.occurred_at.isoformat()}")
    person_id, refusal = await _judge(uow, reads, command, child, day)
    attempt = _Attempt(command, child, day, occurred_at, person_id)
    if refusal is not None:
        return _refused(uow, attempt, refusal)
    return _hand_over(uow, attempt, await reads.policy(day))


async def _child(uow: UnitOfWork, reads: _Reads, command: CheckOutStudent) -> RosterStudent:
    child = await reads.child(command.student_id)
    visible = child is not None and (command.actor.class_ids is None or child.class_id in command.actor.class_ids)
    if command.actor.kind == "guardian" and visible:
        visible = await ref.is_guardian_of(uow.session, guardian_id=command.actor.id, student_id=command.student_id)
    if child is None or not visible:
        raise NotFound(f"no student '{command.student_id}' here")
    return child


async def _judge(
    uow: UnitOfWork, reads: _Reads, command: CheckOutStudent, child: RosterStudent, day: date
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
    match = await reads.card(child.student_id, command.credential_ref)
    return match.person_id, judge_pickup(match.status)


def _standing(person: ref.RefPickupPerson | None) -> PersonStanding:
    if person is None:
        return PersonStanding.UNKNOWN
    return standing_of(restricted=person.restricted, removed=person.removed)


@dataclass(frozen=True)
class _Attempt:
    """A check-out judged: the command, the child on the roster, the school day and the accepted device time, and
    the person collecting (None when nobody authorised is named)."""

    command: CheckOutStudent
    child: RosterStudent
    day: date
    occurred_at: datetime
    person_id: str | None


def _refused(uow: UnitOfWork, attempt: _Attempt, refusal: Refusal) -> _Refused:
    row = store.PickupRefusal(
        refusal_id=str(uuid.uuid4()),
        school_id=attempt.command.school_id,
        student_id=attempt.child.student_id,
        day=attempt.day,
        occurred_at=attempt.occurred_at,
        reason=refusal.reason.value,
        person_id=attempt.person_id,
        device_id=attempt.command.device_id,
        place=attempt.command.place,
        attempted_by=attempt.command.actor.recorded_by,
        recorded_at=uow.clock.now(),
    )
    event = from_fields(
        PickupRefused, row, reason=refusal.reason, restricted=refusal.restricted, urgent=refusal.restricted
    )
    return _Refused(row, event, refusal)


def _hand_over(uow: UnitOfWork, attempt: _Attempt, policy: PolicySettings) -> _HandOver:
    command = attempt.command
    regular = dismissal_at(attempt.day, attempt.child.grade, policy)
    # BX-5: the fee is for an adult collecting late; children handed to the bus or a program are not late.
    late = command.release is Release.PICKUP_PERSON
    fee = late_pickup_fee(regular, attempt.occurred_at, policy) if late else None
    row = store.CheckOut(
        check_out_id=str(uuid.uuid4()),
        school_id=command.school_id,
        student_id=attempt.child.student_id,
        day=attempt.day,
        occurred_at=attempt.occurred_at,
        recorded_at=uow.clock.now(),
        release=command.release.value,
        person_id=attempt.person_id,
        handled_by=_handled_by(command).value,
        staff_id=command.actor.id if command.actor.kind == "staff" else None,
        device_id=command.device_id,
        place=command.place,
        early=is_early(attempt.occurred_at, regular),
        late_fee_fen=fee.fee_fen if fee else 0,
        recorded_by=command.actor.recorded_by,
    )
    if fee is None:
        return _HandOver(row, (_checked_out(row),))
    charged = from_fields(LatePickupCharged, row, **asdict(fee))
    return _HandOver(row, (_checked_out(row), charged))


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
    problem with one (unknown child, already collected) is its own result and the others go on. Decided with a few
    reads for the whole batch, then stored with one insert and one outbox statement (`publish_many` takes the
    children's outbox locks in key order, so concurrent batches never deadlock)."""
    if not commands:
        return []
    school_id = commands[0].school_id
    reads = _Reads(uow, school_id)
    await reads.fetch(commands)
    order = sorted(range(len(commands)), key=lambda i: (commands[i].student_id, commands[i].occurred_at))
    decided: dict[int, CheckOutResult | _HandOver | _Refused | Problem] = {}
    for index in order:
        try:
            decided[index] = outcome = await _decide(uow, reads, commands[index], window)
        except Problem as problem:
            decided[index] = problem
            continue
        if isinstance(outcome, _HandOver):
            reads.decided(outcome.row)
    hand_overs = [d.row for d in decided.values() if isinstance(d, _HandOver)]
    stored = await store.insert_check_outs(uow.session, hand_overs)
    batch = {row.check_out_id for row in hand_overs}
    await store.resolve_cases(uow.session, [row for row in hand_overs if row.check_out_id in stored])
    events: list[Event] = []
    results: dict[int, tuple[CheckOutResult | None, Problem | None]] = {}
    for index in order:
        decision = decided[index]
        if isinstance(decision, _Refused):
            uow.session.add(decision.row)
            events.append(decision.event)
        elif isinstance(decision, _HandOver) and decision.row.check_out_id in stored:
            events.extend(decision.events)
        results[index] = _result(decision, stored, batch)
    await uow.publish_many(events, school_id=school_id)
    if stored:
        wake_board(uow, school_id)
    return [results[i] for i in range(len(commands))]


def _result(
    decision: CheckOutResult | _HandOver | _Refused | Problem, stored: set[str], batch: set[str]
) -> tuple[CheckOutResult | None, Problem | None]:
    """A batch entry's result once the batch's check-outs are stored: one another request stored first is a 409,
    and so is a duplicate of it."""
    if isinstance(decision, Problem):
        return None, decision
    if isinstance(decision, _Refused):
        return decision.result(), None
    if isinstance(decision, _HandOver):
        if decision.row.check_out_id in stored:
            return CheckOutResult(Outcome.CREATED, decision.row), None
        return None, _taken(decision.row)
    row = decision.check_out
    if row is not None and row.check_out_id in batch - stored:
        return None, _taken(row)
    return decision, None
