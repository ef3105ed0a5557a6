"""Stipend settings, from `STIPEND_*` environment variables."""

from pydantic_settings import SettingsConfigDict

from chassis.settings import ServiceSettings


class StipendSettings(ServiceSettings):
    """Settings of the stipend service."""

    model_config = SettingsConfigDict(env_prefix="STIPEND_", extra="ignore", frozen=True)

    class_hours_per_session: int = 2
