"""Staff commands (AT-9, AT-10, QA-1) → rules → store + staff events keyed by teacher, in one unit of work."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from chassis.problems import Conflict, Unprocessable
from chassis.records import from_fields
from chassis.uow import UnitOfWork
from contracts.attendance.staff import (
    ActivityRecordFiled,
    FindingKind,
    IncidentKind,
    PatrolFindingRecorded,
    SignInStatus,
    StaffIncidentReported,
    TeacherSignedIn,
)
from contracts.envelope import Event
from services.attendance.domain import patrol as patrol_rules
from services.attendance.domain import staff as rules
from services.attendance.domain.sessions import SessionView
from services.attendance.live.handlers import wake_board
from services.attendance.staff import store
from services.attendance.store import Base

TEACHER, DEADLINE = "teacher", "deadline"
"""`decided_by` of a sign-in the teacher made, and of an absence judged at the session end."""


def session_facts(view: SessionView, staff_id: str) -> dict[str, Any]:
    """The fields every staff event carries about its session (ST-1 needs the kind and the half session)."""
    return {
        "staff_id": staff_id,
        "school_id": view.school_id,
        "session_id": view.session_id,
        "session_date": view.day.isoformat(),
        "session_kind": view.kind,
        "program_id": view.program_id,
        "half_session": rules.is_half_session(view.kind),
    }


def teacher_of(view: SessionView, staff_id: str | None) -> str:
    """The session's teacher a patrol or incident is about: the one named, or the only one there is."""
    if staff_id is None:
        if len(view.teacher_ids) != 1:
            raise Unprocessable("name the teacher (staff_id): this session has several or none", rule="AT-10")
        return view.teacher_ids[0]
    if staff_id not in view.teacher_ids:
        raise Unprocessable(f"'{staff_id}' is not a teacher of session '{view.session_id}'", rule="AT-10")
    return staff_id


def _in_session(view: SessionView, staff_id: str) -> dict[str, Any]:
    """The columns every staff row of a session carries: the session, the teacher, the school and the day."""
    return {"session_id": view.session_id, "staff_id": staff_id, "school_id": view.school_id, "day": view.day}


def _not_before_start(uow: UnitOfWork, view: SessionView, what: str) -> None:
    """AT-10: nothing is patrolled or reported in a session before it starts."""
    if uow.clock.now() < view.starts_at:
        raise Unprocessable(f"the session has not started: {what}", rule="AT-10")


async def _store_and_publish(uow: UnitOfWork, view: SessionView, row: Base, event: Event) -> None:
    """Store a staff row of the session (new, or changed in place), wake the school's board, and publish its
    event."""
    uow.session.add(row)
    await uow.session.flush()
    wake_board(uow, view.school_id)
    await uow.publish(event, school_id=view.school_id)


async def _judge(uow: UnitOfWork, view: SessionView, staff_id: str, values: dict[str, Any]) -> bool:
    """Store a sign-in judgement and publish it, unless this teacher's sign-in was already judged."""
    row = {**_in_session(view, staff_id), "decided_at": uow.clock.now(), **values}
    if not await store.insert_sign_in(uow.session, row):
        return False
    wake_board(uow, view.school_id)
    await uow.publish(
        TeacherSignedIn(
            **session_facts(view, staff_id),
            status=SignInStatus(values["status"]),
            signed_in_at=values["signed_in_at"],
            minutes_late=values["minutes_late"],
            decided_by=values["decided_by"],
        ),
        school_id=view.school_id,
    )
    return True


async def sign_in_teacher(uow: UnitOfWork, view: SessionView, staff_id: str) -> tuple[store.TeacherSignIn, bool]:
    """AT-9: judge the teacher's sign-in by the clock against the session start; a repeat answers the first."""
    existing = await store.sign_in_of(uow.session, session_id=view.session_id, staff_id=staff_id)
    if existing is None:
        now = uow.clock.now()
        try:
            judgement = rules.judge_sign_in(now, starts_at=view.starts_at, ends_at=view.ends_at)
        except rules.SignInRefused as error:
            raise Unprocessable(str(error), rule="AT-9") from error
        values = {
            "status": judgement.status.value,
            "signed_in_at": now,
            "minutes_late": judgement.minutes_late,
            "decided_by": TEACHER,
        }
        if await _judge(uow, view, staff_id, values):
            row = await store.sign_in_of(uow.session, session_id=view.session_id, staff_id=staff_id)
            assert row is not None
            return row, True
        existing = await store.sign_in_of(uow.session, session_id=view.session_id, staff_id=staff_id)
        assert existing is not None
    if existing.status == SignInStatus.ABSENT:
        raise Conflict(f"already judged absent for this session (by {existing.decided_by})", rule="AT-9")
    return existing, False


async def judge_absent(uow: UnitOfWork, view: SessionView, staff_id: str, *, decided_by: str) -> bool:
    """AT-9: a teacher not signed in by the session end (or found missing by the patrol) is absent; once."""
    values = {"status": SignInStatus.ABSENT.value, "signed_in_at": None, "minutes_late": 0, "decided_by": decided_by}
    return await _judge(uow, view, staff_id, values)


async def file_activity_record(
    uow: UnitOfWork, view: SessionView, staff_id: str, record: rules.ActivityRecord
) -> tuple[store.ActivityRecordRow, bool]:
    """AT-9: file (or amend) the teacher's activity record; an identical filing changes nothing."""
    if uow.clock.now() < view.starts_at:
        raise Unprocessable("the session has not started: nothing to record yet", rule="AT-9")
    sign_in = await store.sign_in_of(uow.session, session_id=view.session_id, staff_id=staff_id)
    if sign_in is not None and sign_in.status == SignInStatus.ABSENT:
        raise Conflict("a teacher judged absent files no activity record for the session", rule="AT-9")
    strangers = sorted(set(record.student_ids) - set(view.expected_student_ids))
    if strangers:
        raise Unprocessable(f"not expected in this session: {', '.join(strangers)}", rule="AT-9")
    fields = {
        "place": record.place,
        "content": record.content,
        "student_ids": sorted(set(record.student_ids)),
        "effect": record.effect,
    }
    row = await store.lock_record(uow.session, **_in_session(view, staff_id), now=uow.clock.now())
    if row.revision and all(getattr(row, name) == value for name, value in fields.items()):
        return row, False
    missing = rules.missing_parts(record)
    for name, value in fields.items():
        setattr(row, name, value)
    row.complete, row.missing, row.revision, row.filed_at = not missing, missing, row.revision + 1, uow.clock.now()
    event = from_fields(ActivityRecordFiled, row, **session_facts(view, staff_id), student_count=len(row.student_ids))
    await _store_and_publish(uow, view, row, event)
    return row, True


@dataclass(frozen=True)
class PatrolAnswers:
    """AT-10: what the duty leader saw in the session, and what they found wrong."""

    teacher_present: bool
    activity_running: bool
    rules_followed: bool
    findings: tuple[FindingKind, ...]
    note: str | None = None


async def record_patrol(
    uow: UnitOfWork, view: SessionView, staff_id: str, duty_leader_id: str, answers: PatrolAnswers
) -> store.PatrolRow:
    """AT-10/QA-1: record a patrol with its deduction; finding no teacher who never signed in marks them absent."""
    _not_before_start(uow, view, "there is nothing to patrol yet")
    try:
        patrol_rules.check_patrol(rules_followed=answers.rules_followed, findings=answers.findings)
    except patrol_rules.PatrolInconsistent as error:
        raise Unprocessable(str(error), rule="AT-10") from error
    row = store.PatrolRow(
        patrol_id=str(uuid.uuid4()),
        **_in_session(view, staff_id),
        duty_leader_id=duty_leader_id,
        teacher_present=answers.teacher_present,
        activity_running=answers.activity_running,
        rules_followed=answers.rules_followed,
        findings=[finding.value for finding in answers.findings],
        deduction=patrol_rules.deduction(answers.findings),
        note=answers.note,
        recorded_at=uow.clock.now(),
    )
    event = from_fields(PatrolFindingRecorded, row, **session_facts(view, staff_id), findings=list(answers.findings))
    await _store_and_publish(uow, view, row, event)
    signed_in = await store.sign_in_of(uow.session, session_id=view.session_id, staff_id=staff_id) is not None
    if patrol_rules.marks_teacher_absent(teacher_present=answers.teacher_present, signed_in=signed_in):
        await judge_absent(uow, view, staff_id, decided_by=duty_leader_id)
    return row


async def report_incident(
    uow: UnitOfWork, view: SessionView, staff_id: str, kind: IncidentKind, reported_by: str, note: str | None
) -> store.StaffIncident:
    """AT-10/ST-3: record a safety incident or dereliction of duty in the session and publish it."""
    _not_before_start(uow, view, "no incident can have happened in it yet")
    row = store.StaffIncident(
        incident_id=str(uuid.uuid4()),
        **_in_session(view, staff_id),
        kind=kind.value,
        reported_by=reported_by,
        note=note,
        reported_at=uow.clock.now(),
    )
    event = from_fields(StaffIncidentReported, row, **session_facts(view, staff_id), kind=kind)
    await _store_and_publish(uow, view, row, event)
    return row
