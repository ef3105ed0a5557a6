"""Attendance settings, from `ATTENDANCE_*` environment variables."""

from pydantic_settings import SettingsConfigDict

from chassis.settings import ServiceSettings


class AttendanceSettings(ServiceSettings):
    """Settings of the attendance service."""

    model_config = SettingsConfigDict(env_prefix="ATTENDANCE_", extra="ignore", frozen=True)

    max_device_clock_skew_seconds: int = 300
    timer_tick_seconds: float = 1.0
