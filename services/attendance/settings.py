"""Attendance settings, from `ATTENDANCE_*` environment variables."""

from datetime import timedelta

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from chassis.ratelimit import Limit
from chassis.settings import ServiceSettings
from services.attendance.domain.check_in import DeviceWindow


class AttendanceSettings(ServiceSettings):
    """Settings of the attendance service."""

    model_config = SettingsConfigDict(env_prefix="ATTENDANCE_", extra="ignore", frozen=True)

    max_device_clock_skew_seconds: int = 300
    max_device_event_age_days: int = Field(default=7, ge=1, le=62)  # AT-8: how old an offline upload may be

    def device_window(self) -> DeviceWindow:
        """AT-8: the device times this service accepts."""
        return DeviceWindow(
            max_ahead=timedelta(seconds=self.max_device_clock_skew_seconds),
            max_age=timedelta(days=self.max_device_event_age_days),
        )

    timer_tick_seconds: float = 1.0
    # Emergency broadcasts one school's staff of one role may send in a window (issue 10: five from one duty leader
    # became 3,030 urgent notifications); over it the answer is a 429 and nothing is recorded or sent.
    broadcast_limit: int = Field(default=3, ge=1)
    broadcast_limit_window_seconds: float = Field(default=600.0, gt=0)

    def broadcast_rate(self) -> Limit:
        """The emergency broadcast limit per school and role."""
        return Limit(self.broadcast_limit, self.broadcast_limit_window_seconds)
