"""Notify settings, from `NOTIFY_*` environment variables."""

from pydantic_settings import SettingsConfigDict

from chassis.settings import ServiceSettings


class NotifySettings(ServiceSettings):
    """Settings of the notify service."""

    model_config = SettingsConfigDict(env_prefix="NOTIFY_", extra="ignore", frozen=True)

    stream_keepalive_seconds: float = 15.0
