"""What every attendance event shares: its topic, and its key (student events by student, staff by teacher)."""

from __future__ import annotations

from contracts.envelope import Event

TOPIC = "attendance.events"


class StudentEvent(Event, topic=TOPIC, key_field="student_id"):
    """An event about one child: keyed by student, so one child's events stay in order."""


class StaffEvent(Event, topic=TOPIC, key_field="staff_id"):
    """An event about one member of staff (sign-in, activity record, patrol): keyed by teacher."""


class SchoolEvent(Event, topic=TOPIC, key_field="school_id"):
    """An event about a whole school (emergency broadcasts, the day cleared): keyed by school."""


class SessionEvent(Event, topic=TOPIC, key_field="session_id"):
    """An event about one session of one day (handover, discrepancies): keyed by session."""
