"""Stipend settings, from `STIPEND_*` environment variables (the money rules come from the policy, PL-1)."""

from pydantic_settings import SettingsConfigDict

from chassis.settings import ServiceSettings


class StipendSettings(ServiceSettings):
    """Settings of the stipend service."""

    model_config = SettingsConfigDict(env_prefix="STIPEND_", extra="ignore", frozen=True)
