"""Attendance events: emergency early dismissal, drills and all-clear (AT-7, BX-7)."""

from __future__ import annotations

from enum import StrEnum
from typing import ClassVar

from pydantic import AwareDatetime, Field

from contracts.attendance.common import SchoolEvent
from contracts.envelope import Event


class EmergencyReason(StrEnum):
    """Why the school dismisses early (AT-7: 恶劣天气, 突发事件)."""

    WEATHER = "weather"
    EMERGENCY = "emergency"
    OTHER = "other"


class EmergencyBroadcast(SchoolEvent):
    """An early-dismissal broadcast to the guardians of a school or some grades; a drill says so (BX-7)."""

    type: ClassVar[str] = "attendance.emergency_broadcast.v1"

    broadcast_id: str
    school_id: str
    grades: list[int] = Field(default_factory=list, description="empty = the whole school")
    drill: bool
    reason: EmergencyReason
    dismiss_at: AwareDatetime
    issued_by: str
    note: str | None = Field(default=None, description="a short message for guardians; no personal data")


class EmergencyAllClear(SchoolEvent):
    """The emergency (or drill) is over (BX-7)."""

    type: ClassVar[str] = "attendance.emergency_all_clear.v1"

    broadcast_id: str
    school_id: str
    grades: list[int] = Field(default_factory=list)
    drill: bool
    cleared_by: str


EVENTS: tuple[type[Event], ...] = (EmergencyBroadcast, EmergencyAllClear)
