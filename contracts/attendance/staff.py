"""Attendance events: teachers' sign-in and activity records, patrol findings and incidents (AT-9, AT-10, QA-1).

These are the facts the stipend service pays from (ST-1, ST-3): every event is keyed by the teacher's `staff_id`
and names the session, its kind and whether it counts as a half session (noon service), so the stipend needs
nothing else from attendance to apply its units.
"""

from __future__ import annotations

from enum import StrEnum
from typing import ClassVar

from pydantic import AwareDatetime, Field

from contracts.attendance.common import StaffEvent
from contracts.envelope import Event


class SignInStatus(StrEnum):
    """AT-9: how a service teacher's sign-in for a session was judged."""

    ON_TIME = "on_time"
    LATE = "late"
    ABSENT = "absent"


class FindingKind(StrEnum):
    """QA-1: what a duty leader's patrol found wrong (each with its deduction)."""

    RULE_BROKEN = "rule_broken"
    BAD_INFLUENCE = "bad_influence"
    SERIOUS_ACCIDENT = "serious_accident"


class IncidentKind(StrEnum):
    """AT-10 and ST-3: incidents that cost the teacher the day's pay and the term bonus (ethics: the month's)."""

    SAFETY_INCIDENT = "safety_incident"
    DERELICTION_OF_DUTY = "dereliction_of_duty"
    ETHICS_BREACH = "ethics_breach"


class _SessionFacts(StaffEvent):
    """What every staff event says about the session it belongs to."""

    staff_id: str
    school_id: str
    session_id: str
    session_date: str = Field(description="the school's local date (YYYY-MM-DD) of the session")
    session_kind: str = Field(description="the program kind: homework, club, early_arrival, noon_care, bus")
    program_id: str | None = None
    half_session: bool = Field(description="AT-9/ST-1: noon service counts as half a session (0.5 units)")


class TeacherSignedIn(_SessionFacts):
    """AT-9: a service teacher's sign-in for a session, judged on time, late, or absent (never signed in by the
    session end, or marked absent by the duty leader's patrol); exactly one per teacher and session."""

    type: ClassVar[str] = "attendance.teacher_signed_in.v1"

    status: SignInStatus
    signed_in_at: AwareDatetime | None = Field(None, description="the server's time of the sign-in; null if absent")
    minutes_late: int = Field(0, ge=0, description="whole minutes after the session start (0 unless late)")
    decided_by: str = Field(description="'teacher', 'deadline' (nobody signed in by the end) or the duty leader id")


class ActivityRecordFiled(_SessionFacts):
    """AT-9: the activity record (活动记录表) of a session was filed or amended; the highest `revision` of a
    teacher and session replaces the earlier ones (ST-1: complete = 1 unit, incomplete = 0.5)."""

    type: ClassVar[str] = "attendance.activity_record_filed.v1"

    record_id: str
    revision: int = Field(ge=1)
    complete: bool
    missing: list[str] = Field(description="the parts left empty: place, content, students, effect")
    student_count: int = Field(ge=0)


class PatrolFindingRecorded(_SessionFacts):
    """AT-10: a duty leader's patrol of a session (teacher present, activity running, rules followed) with
    its findings and the points they deduct (QA-1: rule broken 1, bad influence 3, serious accident 10)."""

    type: ClassVar[str] = "attendance.patrol_finding_recorded.v1"

    patrol_id: str
    duty_leader_id: str
    teacher_present: bool
    activity_running: bool
    rules_followed: bool
    findings: list[FindingKind]
    deduction: int = Field(ge=0, description="points deducted (QA-1), the sum over the findings")
    recorded_at: AwareDatetime


class StaffIncidentReported(_SessionFacts):
    """AT-10: a safety incident or dereliction of duty in a session (ST-3: no pay that day, no term bonus)."""

    type: ClassVar[str] = "attendance.staff_incident_reported.v1"

    incident_id: str
    kind: IncidentKind
    reported_by: str
    reported_at: AwareDatetime


EVENTS: tuple[type[Event], ...] = (TeacherSignedIn, ActivityRecordFiled, PatrolFindingRecorded, StaffIncidentReported)
