"""What every attendance event shares: its topic, and its key (student events by student, staff by teacher)."""

from __future__ import annotations

from typing import ClassVar

from contracts.envelope import Event

TOPIC = "attendance.events"


class StudentEvent(Event):
    """An event about one child: keyed by student, so one child's events stay in order."""

    topic: ClassVar[str] = TOPIC
    key_field: ClassVar[str] = "student_id"


class StaffEvent(Event):
    """An event about one member of staff (sign-in, activity record, patrol): keyed by teacher."""

    topic: ClassVar[str] = TOPIC
    key_field: ClassVar[str] = "staff_id"


class SchoolEvent(Event):
    """An event about a whole school (emergency broadcasts, the day cleared): keyed by school."""

    topic: ClassVar[str] = TOPIC
    key_field: ClassVar[str] = "school_id"


class SessionEvent(Event):
    """An event about one session of one day (handover, discrepancies): keyed by session."""

    topic: ClassVar[str] = TOPIC
    key_field: ClassVar[str] = "session_id"
