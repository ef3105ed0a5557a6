"""Homework settings, from `HOMEWORK_*` environment variables."""

from pydantic_settings import SettingsConfigDict

from chassis.settings import ServiceSettings


class HomeworkSettings(ServiceSettings):
    """Settings of the homework service."""

    model_config = SettingsConfigDict(env_prefix="HOMEWORK_", extra="ignore", frozen=True)
