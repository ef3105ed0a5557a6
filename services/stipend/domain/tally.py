"""Attended class-hours (EN-5, ST-6, ST-7): the facts fees and stipends are paid from.

A child's attendance counts once per session (a day's after-school service), however many check-ins or
deliveries report it, so the same events always give the same totals (ST-7).
"""

from __future__ import annotations

from dataclasses import dataclass

DEFAULT_CLASS_HOURS_PER_SESSION = 2  # EN-5: the 5+2 model, at least 2 class-hours a day


@dataclass(frozen=True)
class SessionAttendance:
    """One child present at one day's session."""

    student_id: str
    school_id: str
    session_date: str
    class_hours: int

    @property
    def month(self) -> str:
        """The statement month (ST-5) the session belongs to, YYYY-MM."""
        return self.session_date[:7]


def attendance_of(student_id: str, school_id: str, session_date: str, class_hours: int) -> SessionAttendance:
    """The attendance fact a check-in establishes; refuses nonsense class-hours."""
    if not 0 < class_hours <= 8:
        raise ValueError(f"class_hours per session must be 1 to 8, not {class_hours}")
    return SessionAttendance(student_id, school_id, session_date, class_hours)
