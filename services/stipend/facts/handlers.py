"""Attendance's events → the stipend's facts, each kept once by its natural id with the event that brought it.

Nothing is summed on arrival: statements are computed from the set of facts (ST-7), so the order and number of
deliveries cannot change a figure, and a replay from offset 0 rebuilds the same facts. No handler reads a fact
back, so each is kept for the batch's one multi-row insert per table (`UnitOfWork.keep`), not a round trip each.
Each does nothing else, so the subscription declares them idempotent and their events take no inbox row: keep them so.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from chassis.consumer import Handler
from chassis.uow import UnitOfWork
from contracts.attendance.absence import LeaveApproved
from contracts.attendance.checkins import StudentCheckedIn
from contracts.attendance.dismissal import LatePickupCharged, StudentCheckedOut
from contracts.attendance.staff import (
    ActivityRecordFiled,
    PatrolFindingRecorded,
    StaffIncidentReported,
    TeacherSignedIn,
)
from contracts.envelope import Envelope, Event
from services.stipend import store


def _month(day: date) -> str:
    return day.isoformat()[:7]


def _child_day(event: StudentCheckedIn | StudentCheckedOut | LeaveApproved | LatePickupCharged, day: date,
               envelope: Envelope) -> dict[str, Any]:  # fmt: skip
    """The columns every fact about a child's day has (`store.ChildDayFact`)."""
    return {
        "student_id": event.student_id,
        "school_id": event.school_id,
        "day": day,
        "month": _month(day),
        "event_id": envelope.id,
    }


async def record_check_in(uow: UnitOfWork, event: StudentCheckedIn, envelope: Envelope) -> None:
    """AT-2: the child arrived (SR-1 starts presence at the day's earliest check-in)."""
    day = date.fromisoformat(event.session_date)
    uow.keep(
        store.CheckIn,
        {"check_in_id": event.check_in_id, "occurred_at": event.occurred_at, **_child_day(event, day, envelope)},
    )


async def record_check_out(uow: UnitOfWork, event: StudentCheckedOut, envelope: Envelope) -> None:
    """AT-5: the child was collected (SR-1 ends presence at the day's latest check-out)."""
    values = {"check_out_id": event.check_out_id, "occurred_at": event.occurred_at}
    uow.keep(store.CheckOut, {**values, **_child_day(event, event.day, envelope)})


async def record_leave(uow: UnitOfWork, event: LeaveApproved, envelope: Envelope) -> None:
    """AT-3: approved leave, the reason a day has no class-hours."""
    uow.keep(store.Leave, {"leave_id": event.leave_id, **_child_day(event, event.day, envelope)})


async def record_late_pickup_fee(uow: UnitOfWork, event: LatePickupCharged, envelope: Envelope) -> None:
    """BX-5: a late-pickup fee on the family's statement, once per check-out."""
    values = {"check_out_id": event.check_out_id, "minutes_late": event.minutes_late, "fee_fen": event.fee_fen}
    uow.keep(store.LatePickupFee, {**values, **_child_day(event, event.day, envelope)})


StaffFactEvent = TeacherSignedIn | ActivityRecordFiled | PatrolFindingRecorded | StaffIncidentReported


async def _staff_fact(
    uow: UnitOfWork, event: StaffFactEvent, envelope: Envelope, kind: str, fact_id: str, detail: dict[str, Any]
) -> None:
    day = date.fromisoformat(event.session_date)
    values = {
        "fact_id": f"{kind}:{fact_id}",
        "kind": kind,
        "staff_id": event.staff_id,
        "school_id": event.school_id,
        "session_id": event.session_id,
        "session_date": day,
        "month": _month(day),
        "session_kind": event.session_kind,
        "program_id": event.program_id,
        "half_session": event.half_session,
        "event_id": envelope.id,
        "detail": detail,
    }
    uow.keep(store.StaffFact, values)


async def record_sign_in(uow: UnitOfWork, event: TeacherSignedIn, envelope: Envelope) -> None:
    """AT-9: one sign-in per teacher and session (on time, late with minutes, or absent; ST-1)."""
    detail = {"status": event.status.value, "minutes_late": event.minutes_late}
    await _staff_fact(uow, event, envelope, "sign_in", f"{event.staff_id}:{event.session_id}", detail)


async def record_activity(uow: UnitOfWork, event: ActivityRecordFiled, envelope: Envelope) -> None:
    """AT-9: a revision of the activity record (the highest revision counts, ST-1)."""
    detail = {"revision": event.revision, "complete": event.complete}
    await _staff_fact(uow, event, envelope, "record", f"{event.record_id}:{event.revision}", detail)


async def record_patrol(uow: UnitOfWork, event: PatrolFindingRecorded, envelope: Envelope) -> None:
    """AT-10: a patrol (a teacher found not present makes the session an absence, ST-1; deductions feed QA-2)."""
    detail = {"teacher_present": event.teacher_present, "deduction": event.deduction}
    await _staff_fact(uow, event, envelope, "patrol", event.patrol_id, detail)


async def record_incident(uow: UnitOfWork, event: StaffIncidentReported, envelope: Envelope) -> None:
    """AT-10/ST-3: a safety incident, dereliction of duty or ethics breach."""
    await _staff_fact(uow, event, envelope, "incident", event.incident_id, {"kind": event.kind.value})


HANDLERS: dict[type[Event], Handler] = {
    StudentCheckedIn: record_check_in,
    StudentCheckedOut: record_check_out,
    LeaveApproved: record_leave,
    LatePickupCharged: record_late_pickup_fee,
    TeacherSignedIn: record_sign_in,
    ActivityRecordFiled: record_activity,
    PatrolFindingRecorded: record_patrol,
    StaffIncidentReported: record_incident,
}
"""Every attendance fact the stipend pays or bills from, and its handler."""
