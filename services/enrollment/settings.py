"""Enrollment settings, from `ENROLLMENT_*` environment variables."""

from pydantic_settings import SettingsConfigDict

from chassis.settings import ServiceSettings


class EnrollmentSettings(ServiceSettings):
    """Settings of the enrollment service."""

    model_config = SettingsConfigDict(env_prefix="ENROLLMENT_", extra="ignore", frozen=True)
