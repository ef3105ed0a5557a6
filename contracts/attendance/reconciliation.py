"""Attendance events: regular-class attendance against the after-school session (BX-4)."""

from __future__ import annotations

from typing import ClassVar

from pydantic import AwareDatetime, Field

from contracts.attendance.common import StudentEvent
from contracts.envelope import Event


class StudentMissingFromSession(StudentEvent):
    """BX-4: a child marked present in regular classes today is expected in an after-school session, has not
    checked in and has no approved leave `absence_after_minutes` after its start: an urgent alert (one per
    child and session)."""

    type: ClassVar[str] = "attendance.student_missing_from_session.v1"

    student_id: str
    school_id: str
    class_id: str | None = None
    class_teacher_id: str | None = Field(default=None, description="the child's class teacher, told too (issue 10)")
    session_id: str
    session_date: str = Field(description="the school's local date (YYYY-MM-DD)")
    due_at: AwareDatetime = Field(description="session start + absence_after_minutes: when the child was missed")


EVENTS: tuple[type[Event], ...] = (StudentMissingFromSession,)
