"""Handover commands → rules → store + events, each inside one unit of work (AT-1, BX-3)."""

from __future__ import annotations

from dataclasses import asdict, dataclass

from prometheus_client import Gauge

from chassis.auth import Principal
from chassis.figures import SchoolFigure
from chassis.problems import Conflict, Forbidden, NotFound, Unprocessable
from chassis.records import from_fields, row_values
from chassis.sql import insert_ignoring_duplicates
from chassis.uow import UnitOfWork
from contracts.attendance.handover import (
    HandoverAcknowledged,
    HandoverDiscrepancyFound,
    HandoverDiscrepancyResolved,
    HandoverGiven,
)
from services.attendance.absence import store as absence
from services.attendance.absence.handlers import resolve_and_publish
from services.attendance.domain import handover as rules
from services.attendance.handover import store
from services.attendance.reference import store as ref
from services.attendance.sessions.store import session_of
from services.attendance.store import change_once
from services.attendance.timers import store as timers

UNACCEPTED = "handover_unaccepted"

OPEN_DISCREPANCIES = Gauge(
    "afterschool_school_handover_discrepancies_open",
    "AT-1: handover discrepancies not yet resolved, per school (read from the table)",
    ["service", "school"],
)
DISCREPANCIES_FIGURE = SchoolFigure(OPEN_DISCREPANCIES, store.open_discrepancies_by_school)


def unaccepted_key(handover_id: str, step: int) -> str:
    """The timer key of an escalation step (a fired step stays fired, so each step has its own)."""
    return f"{handover_id}:{step}"


@dataclass(frozen=True)
class GiveHandover:
    """Command: the class teacher hands their class's staying children to a session, with a count."""

    school_id: str
    staff_id: str
    session_id: str
    class_id: str
    count: int
    student_ids: list[str] | None


async def give_handover(uow: UnitOfWork, command: GiveHandover) -> store.Handover:
    """AT-1: record the count against the expected (less those on approved leave), publish `HandoverGiven`, a
    discrepancy when they differ, and start the unaccepted timer (BX-3)."""
    session = uow.session
    view = await session_of(session, session_id=command.session_id, school_id=command.school_id)
    if view is None:
        raise NotFound(f"no session '{command.session_id}'")
    klass = await ref.class_of(session, class_id=command.class_id)
    if klass is None or klass.school_id != command.school_id:
        raise NotFound(f"no class '{command.class_id}'")
    if klass.teacher_id != command.staff_id:
        raise Forbidden("only the class teacher of this class hands its children over (AT-1)")
    class_children = [
        s.student_id for s in await ref.students_of_class(session, class_id=command.class_id, on=view.day)
    ]
    staying = sorted(set(view.expected_student_ids) & set(class_children))
    if not staying:
        raise Unprocessable("no child of this class is expected in this session", rule="AT-1")
    leave = await absence.on_leave(
        session, school_id=command.school_id, day=view.day, session_id=view.session_id, student_ids=staying
    )
    expected = rules.expected_of_class(staying, leave)
    try:
        found = rules.check_given(command.count, expected, command.student_ids, class_children)
    except rules.HandoverRuleBroken as error:
        raise Unprocessable(str(error), rule=error.rule) from error
    now = uow.clock.now()
    values = {
        "handover_id": rules.handover_id_of(view.session_id, command.class_id),
        "school_id": command.school_id,
        "session_id": view.session_id,
        "class_id": command.class_id,
        "day": view.day,
        "teacher_ids": list(view.teacher_ids),
        "given_by": command.staff_id,
        "given_at": now,
        "count": command.count,
        "expected_count": len(expected),
        "on_leave_student_ids": sorted(leave),
        "student_ids": sorted(set(command.student_ids)) if command.student_ids is not None else None,
        "escalation_step": 0,
    }
    inserted = await session.execute(
        insert_ignoring_duplicates(session, store.Handover, values).returning(store.Handover.handover_id)
    )
    if inserted.first() is None:
        raise Conflict("this class was already handed over to this session")
    row = await store.handover(session, school_id=command.school_id, handover_id=str(values["handover_id"]))
    assert row is not None  # just inserted in this transaction
    await uow.publish(
        from_fields(HandoverGiven, row, given_at=now),
        school_id=row.school_id,
    )
    if found is not None:
        await _open_discrepancy(uow, row, found)
    policy = await ref.policy_on(session, school_id=row.school_id, day=row.day)
    due = rules.escalation_due(
        now, 1, unaccepted_minutes=policy.handover_unaccepted_minutes, step_minutes=policy.escalation_step_minutes
    )
    payload = {"handover_id": row.handover_id, "step": 1}
    await timers.schedule(
        uow,
        kind=UNACCEPTED,
        key=unaccepted_key(row.handover_id, 1),
        due_at=due,
        school_id=row.school_id,
        payload=payload,
    )
    return row


async def _open_discrepancy(uow: UnitOfWork, row: store.Handover, found: rules.Discrepancy) -> None:
    discrepancy_id = f"{row.handover_id}:{found.stage}"
    # The discrepancy is its handover's session, class and day, and the two counts the rules found differing.
    counts = {**asdict(found), "missing_student_ids": list(found.missing_student_ids)}
    values = row_values(
        store.HandoverDiscrepancy, row, discrepancy_id=discrepancy_id, opened_at=uow.clock.now(), **counts
    )
    await uow.session.execute(insert_ignoring_duplicates(uow.session, store.HandoverDiscrepancy, values))
    await uow.publish(
        from_fields(HandoverDiscrepancyFound, row, discrepancy_id=discrepancy_id, **counts), school_id=row.school_id
    )


async def acknowledge_handover(
    uow: UnitOfWork, *, principal: Principal, handover_id: str, count: int
) -> store.Handover:
    """BX-3: the session's service teacher confirms with their own count, once; a difference is a discrepancy."""
    row = await store.handover(uow.session, school_id=principal.school(), handover_id=handover_id)
    if row is None:
        raise NotFound(f"no handover '{handover_id}'")
    if principal.subject not in row.teacher_ids:
        raise Forbidden("only a teacher of the session acknowledges its handovers (BX-3)")
    now = uow.clock.now()
    await change_once(
        uow.session,
        row,
        pending=store.Handover.acknowledged_at.is_(None),
        values={"acknowledged_by": principal.subject, "acknowledged_at": now, "acknowledged_count": count},
        conflict="the handover was already acknowledged",
    )
    for step in range(1, len(rules.ESCALATION_LADDER) + 1):
        await timers.cancel(uow, kind=UNACCEPTED, key=unaccepted_key(handover_id, step))
    await uow.publish(
        from_fields(HandoverAcknowledged, row, acknowledged_by=principal.subject, acknowledged_at=now, count=count),
        school_id=row.school_id,
    )
    found = rules.check_acknowledged(row.count, count)
    if found is not None:
        await _open_discrepancy(uow, row, found)
    return row


async def resolve_discrepancy(
    uow: UnitOfWork, *, principal: Principal, discrepancy_id: str, note: str
) -> store.HandoverDiscrepancy:
    """AT-1: close an open discrepancy with a note, once; publishes `HandoverDiscrepancyResolved`."""
    row = await uow.session.get(store.HandoverDiscrepancy, discrepancy_id)
    if row is None or row.school_id != principal.school():
        raise NotFound(f"no discrepancy '{discrepancy_id}'")
    handover = await store.handover(uow.session, school_id=row.school_id, handover_id=row.handover_id)
    teacher_ids = handover.teacher_ids if handover is not None else []
    if not await ref.may_follow_up(uow.session, principal, class_id=row.class_id, teacher_ids=teacher_ids):
        raise Forbidden("only the class's teacher, the session's teacher or the school's leaders resolve this")
    conflict = "the discrepancy is already resolved"
    await resolve_and_publish(uow, principal, row, HandoverDiscrepancyResolved, note=note, conflict=conflict)
    return row
