"""Assignment commands (HW-1..HW-6) → cap engine → store, each inside one unit of work.

The caps of a class-day are checked while that class-day's row is locked (SELECT … FOR UPDATE), so two
teachers assigning at the same moment are judged one after the other and can never together exceed a cap.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date
from typing import TypeVar

from sqlalchemy.ext.asyncio import AsyncSession

from chassis.problems import Conflict, Forbidden, NotFound, Unprocessable
from chassis.records import from_fields
from chassis.sql import copied
from chassis.uow import UnitOfWork
from contracts.homework import (
    HomeworkAssigned,
    HomeworkChanged,
    HomeworkKind,
    HomeworkRefused,
    HomeworkWithdrawn,
    Tier,
    WrittenLayer,
)
from services.homework.assignments import store
from services.homework.assignments.store import load_of
from services.homework.domain import caps
from services.homework.domain.calendar import week_start
from services.homework.reference import store as ref
from services.homework.store import latest_plan, lock_class_day

F = TypeVar("F", HomeworkAssigned, HomeworkChanged)


@dataclass(frozen=True)
class SetHomework:
    """Command: a subject teacher sets (or re-sets) homework for a class's day."""

    school_id: str
    teacher_id: str
    class_id: str
    school_subject: str
    kind: HomeworkKind
    layer: WrittenLayer | None
    tiers: list[Tier]
    on: date
    due_on: date
    instructions: str
    forbidden: caps.Forbidden = field(default_factory=caps.Forbidden)

    @property
    def counted_minutes(self) -> int:
        """HW-5: the heaviest tier is what the caps count (no child may get more than a cap)."""
        return max(tier.estimated_minutes for tier in self.tiers)

    def load(self) -> caps.Load:
        """This homework as the caps see it."""
        return caps.Load(self.school_subject, self.kind, self.counted_minutes)


class AttemptRefused(Exception):
    """A cap (or HW-6) refused the homework; raised out of the unit of work so nothing of it is kept."""

    def __init__(self, refusal: caps.Refusal, command: SetHomework, assignment_id: str | None = None) -> None:
        super().__init__(refusal.reason)
        self.refusal, self.command, self.assignment_id = refusal, command, assignment_id


async def publish_refusal(uow: UnitOfWork, refused: AttemptRefused) -> None:
    """HW-4: publish why an attempt was refused, with the rule, the cap and the day's minutes by subject."""
    refusal, command = refused.refusal, refused.command
    event = HomeworkRefused(
        attempt_id=str(uuid.uuid4()),
        assignment_id=refused.assignment_id,
        school_id=command.school_id,
        class_id=command.class_id,
        teacher_id=command.teacher_id,
        school_subject=command.school_subject,
        on=command.on,
        rule=refusal.rule,
        reason=refusal.reason,
        cap=refusal.cap,
        requested_minutes=command.counted_minutes,
        assigned_minutes=refusal.assigned_minutes,
        minutes_by_subject=refusal.minutes_by_subject,
    )
    await uow.publish(event, school_id=command.school_id)


async def assign_homework(uow: UnitOfWork, command: SetHomework) -> store.Assignment:
    """HW-5: store homework that passes HW-1..HW-4 and HW-6, and publish `HomeworkAssigned`."""
    school_class = await _class_taught(uow.session, command)
    await _judge(uow.session, school_class, command, ignoring=None)
    now = uow.clock.now()
    row = store.Assignment(
        assignment_id=str(uuid.uuid4()),
        school_id=command.school_id,
        class_id=command.class_id,
        teacher_id=command.teacher_id,
        version=1,
        withdrawn=False,
        created_at=now,
        updated_at=now,
        **_facts(command),
    )
    row.after_plan_published = await _plan_published(uow.session, command.class_id, command.on)
    uow.session.add(row)
    await uow.session.flush()
    await uow.publish(await _facts_event(HomeworkAssigned, uow.session, row), school_id=row.school_id)
    return row


async def change_homework(uow: UnitOfWork, assignment_id: str, command: SetHomework) -> store.Assignment:
    """Re-judge the changed homework against the caps of its (new) day without its old self, then store it."""
    row = await _own_assignment(uow.session, assignment_id, command.school_id, command.teacher_id)
    if row.withdrawn:
        raise Conflict("this homework was withdrawn; set a new one")
    if command.class_id != row.class_id or command.school_subject != row.school_subject:
        raise Unprocessable("an assignment's class and subject cannot change; withdraw it and set a new one")
    school_class = await _class_taught(uow.session, command)
    old_day = row.on
    await _lock_days(uow.session, command.school_id, command.class_id, {old_day, command.on})
    try:
        await _judge(uow.session, school_class, command, ignoring=row.assignment_id, locked=True)
    except AttemptRefused as refused:
        refused.assignment_id = row.assignment_id
        raise
    for name, value in _facts(command).items():
        setattr(row, name, value)
    row.version += 1
    row.updated_at = uow.clock.now()
    row.after_plan_published = await _plan_published(uow.session, row.class_id, old_day) or await _plan_published(
        uow.session, row.class_id, row.on
    )
    await uow.session.flush()
    await uow.publish(await _facts_event(HomeworkChanged, uow.session, row), school_id=row.school_id)
    return row


async def withdraw_homework(
    uow: UnitOfWork, *, assignment_id: str, school_id: str, teacher_id: str
) -> store.Assignment:
    """Withdraw homework: its minutes stop counting; guardians are told again if the plan was published."""
    row = await _own_assignment(uow.session, assignment_id, school_id, teacher_id)
    await lock_class_day(uow.session, school_id=school_id, class_id=row.class_id, on=row.on)
    if row.withdrawn:
        return row
    row.withdrawn = True
    row.updated_at = uow.clock.now()
    row.after_plan_published = await _plan_published(uow.session, row.class_id, row.on)
    await uow.session.flush()
    event = from_fields(HomeworkWithdrawn, row, student_ids=await _to_tell(uow.session, row))
    await uow.publish(event, school_id=row.school_id)
    return row


async def _class_taught(session: AsyncSession, command: SetHomework) -> ref.SchoolClass:
    school_class = await ref.get_class(session, school_id=command.school_id, class_id=command.class_id)
    if school_class is None:
        raise NotFound(f"no class '{command.class_id}' in this school")
    if not await ref.teaches(
        session, class_id=command.class_id, staff_id=command.teacher_id, school_subject=command.school_subject
    ):
        raise Forbidden(f"you do not teach {command.school_subject} to this class", rule="HW-4")
    _check_shape(command)
    for student_id in {student for tier in command.tiers for student in tier.student_ids}:
        student = await session.get(ref.Student, student_id)
        if student is None or student.class_id != command.class_id or student.school_id != command.school_id:
            raise Unprocessable(f"tier names '{student_id}', who is not in this class", rule="HW-5")
    return school_class


def _check_shape(command: SetHomework) -> None:
    if command.due_on < command.on:
        raise Unprocessable("the due date is before the day the homework is for")
    if command.kind is not HomeworkKind.WRITTEN and command.layer is not None:
        raise Unprocessable("only written homework has a layer (HW-5)", rule="HW-5")
    names = [tier.name for tier in command.tiers]
    named = [student for tier in command.tiers for student in tier.student_ids]
    if len(set(names)) != len(names) or len(set(named)) != len(named):
        raise Unprocessable("tier names, and the students named in tiers, must each appear once", rule="HW-5")


async def _judge(
    session: AsyncSession,
    school_class: ref.SchoolClass,
    command: SetHomework,
    *,
    ignoring: str | None,
    locked: bool = False,
) -> None:
    refusal = caps.refuse_forbidden(command.forbidden)
    if refusal is None:
        if not locked:
            await lock_class_day(session, school_id=command.school_id, class_id=command.class_id, on=command.on)
        rows = await store.day_assignments(session, class_id=command.class_id, on=command.on)
        existing = [load_of(row) for row in rows if row.assignment_id != ignoring]
        day = await ref.class_day(session, school_id=command.school_id, grade=school_class.grade, on=command.on)
        refusal = caps.check(day, existing, command.load())
    if refusal is not None:
        raise AttemptRefused(refusal, command)


async def _lock_days(session: AsyncSession, school_id: str, class_id: str, days: set[date]) -> None:
    # Always in date order, so two changes moving homework between the same two days cannot deadlock.
    for on in sorted(days):
        await lock_class_day(session, school_id=school_id, class_id=class_id, on=on)


async def _own_assignment(
    session: AsyncSession, assignment_id: str, school_id: str, teacher_id: str
) -> store.Assignment:
    # Locked first, so two changes of one assignment queue here and each sees the other's committed day.
    row = await store.school_assignment(session, school_id=school_id, assignment_id=assignment_id, locked=True)
    if not await ref.teaches(session, class_id=row.class_id, staff_id=teacher_id, school_subject=row.school_subject):
        raise Forbidden("only a teacher of this subject in this class may change its homework", rule="HW-4")
    return row


async def _plan_published(session: AsyncSession, class_id: str, on: date) -> bool:
    return await latest_plan(session, class_id=class_id, week_start=week_start(on)) is not None


def _facts(command: SetHomework) -> dict[str, object]:
    return copied(
        command,
        *("school_subject", "counted_minutes", "on", "due_on", "instructions"),
        kind=command.kind.value,
        layer=command.layer.value if command.layer else None,
        tiers=[tier.model_dump(mode="json") for tier in command.tiers],
    )


async def _to_tell(session: AsyncSession, row: store.Assignment) -> list[str]:
    """HW-8: after the plan was published, the class's children, whose guardians are told of the change."""
    return await ref.students_of(session, class_id=row.class_id) if row.after_plan_published else []


async def _facts_event(kind: type[F], session: AsyncSession, row: store.Assignment) -> F:
    """The assignment's facts as `kind` (HomeworkAssigned or HomeworkChanged), with the children to tell."""
    layer = WrittenLayer(row.layer) if row.layer else None
    tiers = [Tier.model_validate(tier) for tier in row.tiers]
    told = await _to_tell(session, row)
    return from_fields(kind, row, kind=HomeworkKind(row.kind), layer=layer, tiers=tiers, student_ids=told)
