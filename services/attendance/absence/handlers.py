"""Leave and absence commands → rules → store + events, each inside one unit of work (AT-3)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date

from chassis.auth import Principal
from chassis.clock import SCHOOL_TZ
from chassis.problems import Conflict, Forbidden, NotFound, Unprocessable
from chassis.records import from_fields
from chassis.sql import insert_ignoring_duplicates
from chassis.uow import UnitOfWork
from contracts.attendance.absence import AbsenceResolved, LeaveApproved, LeaveRefused, LeaveRequested, UnexcusedAbsence
from contracts.envelope import Event
from services.attendance.absence import store
from services.attendance.domain import absence as rules
from services.attendance.domain.sessions import SessionView
from services.attendance.reference import store as ref
from services.attendance.sessions.store import session_of
from services.attendance.store import Base, change_once, resolve_once


@dataclass(frozen=True)
class RequestLeave:
    """Command: a guardian asks for leave for their child, for a day or one session of it."""

    school_id: str
    guardian_id: str
    student_id: str
    day: date
    session_id: str | None
    reason: str


async def request_leave(uow: UnitOfWork, command: RequestLeave) -> store.LeaveRequest:
    """AT-3: store the request and publish `LeaveRequested`; only the child's own guardian may ask."""
    session = uow.session
    child = await ref.student(session, school_id=command.school_id, student_id=command.student_id)
    if child is None or not await ref.is_guardian_of(
        session, guardian_id=command.guardian_id, student_id=command.student_id
    ):
        raise NotFound(f"no child '{command.student_id}' of yours in this school")
    try:
        rules.check_request(command.day, uow.clock.now().astimezone(SCHOOL_TZ).date())
    except rules.LeaveRuleBroken as error:
        raise Unprocessable(str(error), rule=error.rule) from error
    if command.session_id is not None:
        view = await session_of(session, session_id=command.session_id, school_id=command.school_id)
        if view is None or view.day != command.day or command.student_id not in view.expected_student_ids:
            raise Unprocessable(f"'{command.session_id}' is not a session of the child on {command.day}", rule="AT-3")
    row = from_fields(
        store.LeaveRequest,
        command,
        leave_id=f"lv-{uuid.uuid4().hex}",
        class_id=child.class_id,
        requested_by=command.guardian_id,
        requested_at=uow.clock.now(),
        status=rules.REQUESTED,
    )
    session.add(row)
    await session.flush()
    await uow.publish(from_fields(LeaveRequested, row), school_id=row.school_id)
    return row


async def decide_leave(
    uow: UnitOfWork, *, school_id: str, staff_id: str, leave_id: str, decision: str, note: str | None
) -> store.LeaveRequest:
    """AT-3: the class teacher of the child's class approves or refuses, once; publishes the decision."""
    row = await uow.session.get(store.LeaveRequest, leave_id)
    if row is None or row.school_id != school_id:
        raise NotFound(f"no leave request '{leave_id}'")
    if await ref.class_teacher_of(uow.session, class_id=row.class_id) != staff_id:
        raise Forbidden("only the class teacher of the child's class decides on leave (AT-3)")
    try:
        rules.decide(row.status, decision)
    except rules.LeaveRuleBroken as error:
        raise Conflict(str(error)) from error
    decided_at = uow.clock.now()
    await change_once(
        uow.session,
        row,
        pending=store.LeaveRequest.status == rules.REQUESTED,
        values={"status": decision, "decided_by": staff_id, "decided_at": decided_at, "decision_note": note},
        conflict="the leave was decided meanwhile",
    )
    event_type = LeaveApproved if decision == rules.APPROVED else LeaveRefused
    await uow.publish(
        from_fields(event_type, row, decided_by=staff_id, decided_at=decided_at),
        school_id=row.school_id,
    )
    return row


async def open_absence_cases(uow: UnitOfWork, view: SessionView) -> list[str]:
    """AT-3: every expected child of the session not checked in and without approved leave gets a case and an
    urgent `UnexcusedAbsence`, once; returns the children newly found absent."""
    session = uow.session
    expected = list(view.expected_student_ids)
    present = await store.checked_in(
        session, school_id=view.school_id, day=view.day, starts_at=view.starts_at, student_ids=expected
    )
    excused = await store.on_leave(
        session, school_id=view.school_id, day=view.day, session_id=view.session_id, student_ids=expected
    )
    roster = await ref.roster_of(session, student_ids=expected)
    opened: list[str] = []
    for student_id in rules.unexcused(expected, present, excused):
        child = roster[student_id]
        case = {
            "case_id": store.case_id_of(view.session_id, student_id),
            "school_id": view.school_id,
            "student_id": student_id,
            "class_id": child.class_id,
            "session_id": view.session_id,
            "teacher_ids": list(view.teacher_ids),
            "day": view.day,
            "session_starts_at": view.starts_at,
            "opened_at": uow.clock.now(),
        }
        inserted = await session.execute(
            insert_ignoring_duplicates(session, store.AbsenceCase, case).returning(store.AbsenceCase.case_id)
        )
        if inserted.first() is None:
            continue
        await uow.publish(
            UnexcusedAbsence(
                case_id=case["case_id"],
                student_id=student_id,
                school_id=view.school_id,
                class_id=child.class_id,
                class_teacher_id=await ref.class_teacher_of(session, class_id=child.class_id),
                session_id=view.session_id,
                day=view.day,
                session_starts_at=view.starts_at,
                detected_at=uow.clock.now(),
            ),
            school_id=view.school_id,
        )
        opened.append(student_id)
    return opened


async def resolve_absence(uow: UnitOfWork, *, principal: Principal, case_id: str, note: str) -> store.AbsenceCase:
    """AT-3 (报告及跟踪制度): close the case with a note, once; publishes `AbsenceResolved`."""
    row = await uow.session.get(store.AbsenceCase, case_id)
    if row is None or row.school_id != principal.school():
        raise NotFound(f"no absence case '{case_id}'")
    if not await ref.may_follow_up(uow.session, principal, class_id=row.class_id, teacher_ids=row.teacher_ids):
        raise Forbidden("only the child's class teacher, the session's teacher or the school's leaders resolve this")
    await resolve_and_publish(uow, principal, row, AbsenceResolved, note=note, conflict="the case is already resolved")
    return row


async def resolve_and_publish(
    uow: UnitOfWork, principal: Principal, row: Base, resolved: type[Event], *, note: str, conflict: str
) -> None:
    """Close an open case of the caller's school (an absence, AT-3; a handover discrepancy, AT-1) by the caller
    with a note, once, and publish `resolved` built from the closed row."""
    now = uow.clock.now()
    await resolve_once(uow.session, row, by=principal.subject, at=now, note=note, conflict=conflict)
    event = from_fields(resolved, row, resolved_by=principal.subject, resolved_at=now)
    await uow.publish(event, school_id=principal.school())
