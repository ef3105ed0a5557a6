"""Attendance events: handover between the class teacher and the service teacher (AT-1, BX-3).

Keyed by session (`session_id`), so a session's handover steps stay in order. Ids only: the resolving note
stays in attendance's own records.
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import ClassVar

from pydantic import AwareDatetime, Field

from contracts.attendance.common import SessionEvent
from contracts.envelope import Event


class DiscrepancyStage(StrEnum):
    """Which count disagreed: the class teacher's against the expected (AT-1), or the two teachers' (BX-3)."""

    GIVEN = "given"
    ACKNOWLEDGED = "acknowledged"


class EscalateTo(StrEnum):
    """Who is called at each step when nobody has accepted the children (BX-3)."""

    SERVICE_TEACHER = "service_teacher"
    DUTY_LEADER = "duty_leader"
    SCHOOL_ADMIN = "school_admin"


class _HandoverEvent(SessionEvent):
    handover_id: str
    session_id: str
    school_id: str
    class_id: str
    day: date


class HandoverGiven(_HandoverEvent):
    """AT-1: the class teacher counted the staying children of their class and handed them over."""

    type: ClassVar[str] = "attendance.handover_given.v1"

    given_by: str = Field(description="the class teacher's staff id")
    given_at: AwareDatetime
    count: int = Field(ge=0, description="the children the class teacher handed over")
    expected_count: int = Field(ge=0, description="the class's children expected in the session, less those on leave")
    on_leave_student_ids: list[str] = Field(default_factory=list, description="AT-1: the leave notes that go along")


class HandoverAcknowledged(_HandoverEvent):
    """BX-3: the service teacher confirmed receiving the children, with their own count."""

    type: ClassVar[str] = "attendance.handover_acknowledged.v1"

    acknowledged_by: str
    acknowledged_at: AwareDatetime
    count: int = Field(ge=0)


class HandoverDiscrepancyFound(_HandoverEvent):
    """AT-1, BX-3: two counts differ; the discrepancy stays open until someone resolves it with a note."""

    type: ClassVar[str] = "attendance.handover_discrepancy_found.v1"

    discrepancy_id: str
    stage: DiscrepancyStage
    expected: int = Field(ge=0)
    counted: int = Field(ge=0)
    missing_student_ids: list[str] = Field(default_factory=list, description="when the class teacher named them")


class HandoverDiscrepancyResolved(_HandoverEvent):
    """A handover discrepancy was resolved (the note is kept by attendance)."""

    type: ClassVar[str] = "attendance.handover_discrepancy_resolved.v1"

    discrepancy_id: str
    resolved_by: str
    resolved_at: AwareDatetime


class HandoverUnacceptedEscalated(_HandoverEvent):
    """BX-3: children handed over and not accepted after the policy minutes; each step calls someone else."""

    type: ClassVar[str] = "attendance.handover_unaccepted_escalated.v1"

    step: int = Field(ge=1)
    escalate_to: EscalateTo
    count: int = Field(ge=0, description="the children waiting to be accepted")
    given_at: AwareDatetime
    service_teacher_ids: list[str] = Field(
        default_factory=list, description="the session's service teachers, who should have accepted the children"
    )


EVENTS: tuple[type[Event], ...] = (
    HandoverGiven,
    HandoverAcknowledged,
    HandoverDiscrepancyFound,
    HandoverDiscrepancyResolved,
    HandoverUnacceptedEscalated,
)
