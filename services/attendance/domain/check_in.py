"""Check-in rules (AT-2, AT-8): which device events are accepted and which session they count for."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from chassis.clock import school_date


class DeviceClockAhead(ValueError):
    """The device claims a time too far in the future to be trusted."""


@dataclass(frozen=True)
class DeviceEvent:
    """What a kiosk or a teacher's app reports: who, when (device time), where, how."""

    student_id: str
    device_id: str
    method: str
    occurred_at: datetime


def accept_device_time(occurred_at: datetime, now: datetime, max_skew: timedelta) -> datetime:
    """AT-8: the device's own time orders events, so offline uploads of the past are accepted as they are;
    a time further ahead than the allowed clock skew is refused rather than silently trusted."""
    if occurred_at.tzinfo is None:
        raise ValueError("device time must carry a timezone")
    if occurred_at - now > max_skew:
        raise DeviceClockAhead(
            f"occurred_at is {(occurred_at - now).total_seconds():.0f}s ahead of the server clock "
            f"(at most {max_skew.total_seconds():.0f}s allowed)"
        )
    return occurred_at


def session_date_for(event: DeviceEvent) -> str:
    """The school-local date of the session a check-in belongs to (schools run on Asia/Shanghai time)."""
    return school_date(event.occurred_at)
