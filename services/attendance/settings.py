"""Attendance settings, from `ATTENDANCE_*` environment variables."""

from datetime import timedelta

from pydantic import Field
from pydantic_settings import SettingsConfigDict

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
