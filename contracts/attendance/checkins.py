"""Attendance events: check-ins from kiosks and the roll call (AT-2, AT-8)."""

from __future__ import annotations

from enum import StrEnum
from typing import ClassVar

from pydantic import AwareDatetime, Field

from contracts.attendance.common import StudentEvent
from contracts.envelope import Event


class CheckInMethod(StrEnum):
    """How the child was identified: by the kiosk (card, QR, face id) or by the teacher's roll call."""

    CARD = "card"
    QR = "qr"
    FACE = "face"
    MANUAL = "manual"


class StudentCheckedIn(StudentEvent):
    """A child arrived at the after-school service (AT-2); `occurred_at` is the device's own time (AT-8)."""

    type: ClassVar[str] = "attendance.student_checked_in.v1"

    check_in_id: str
    student_id: str
    school_id: str
    device_id: str
    method: CheckInMethod
    occurred_at: AwareDatetime
    session_date: str = Field(description="the school's local date (YYYY-MM-DD) of the session attended")


EVENTS: tuple[type[Event], ...] = (StudentCheckedIn,)
