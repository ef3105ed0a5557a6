"""Attendance events: leave (请假) and unexcused absence (无故脱管) (AT-3). Keyed by student."""

from __future__ import annotations

from datetime import date
from typing import ClassVar

from pydantic import AwareDatetime, Field

from contracts.attendance.common import StudentEvent
from contracts.envelope import Event


class _LeaveEvent(StudentEvent):
    """One child's leave for a day or a session."""

    leave_id: str
    student_id: str
    school_id: str
    class_id: str
    day: date
    session_id: str | None = Field(default=None, description="None = the whole day")


class LeaveRequested(_LeaveEvent):
    """AT-3: a guardian asked the class teacher for leave for their child (the reason stays in attendance)."""

    type: ClassVar[str] = "attendance.leave_requested.v1"

    requested_by: str = Field(description="the guardian's id")
    requested_at: AwareDatetime


class _LeaveDecided(_LeaveEvent):
    """The class teacher's decision on a leave request."""

    decided_by: str
    decided_at: AwareDatetime
    requested_by: str


class LeaveApproved(_LeaveDecided):
    """AT-3: the class teacher approved; the service teacher sees the child as on leave."""

    type: ClassVar[str] = "attendance.leave_approved.v1"


class LeaveRefused(_LeaveDecided):
    """AT-3: the class teacher refused the leave (the child is expected)."""

    type: ClassVar[str] = "attendance.leave_refused.v1"


class _AbsenceCase(StudentEvent):
    """One unexcused-absence case of one child."""

    case_id: str
    student_id: str
    school_id: str


class UnexcusedAbsence(_AbsenceCase):
    """AT-3: expected, not checked in N minutes after the start, no approved leave: alert at once (urgent)."""

    type: ClassVar[str] = "attendance.unexcused_absence.v1"

    class_id: str
    class_teacher_id: str | None = None
    session_id: str
    day: date
    session_starts_at: AwareDatetime
    detected_at: AwareDatetime
    urgent: bool = True


class AbsenceResolved(_AbsenceCase):
    """AT-3: the unexcused-absence case was resolved with a note (报告及跟踪制度; the note stays in attendance)."""

    type: ClassVar[str] = "attendance.absence_resolved.v1"

    session_id: str
    day: date
    resolved_by: str
    resolved_at: AwareDatetime


EVENTS: tuple[type[Event], ...] = (
    LeaveRequested,
    LeaveApproved,
    LeaveRefused,
    UnexcusedAbsence,
    AbsenceResolved,
)
