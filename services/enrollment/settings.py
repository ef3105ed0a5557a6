"""Enrollment settings, from `ENROLLMENT_*` environment variables."""

from typing import Self

from pydantic import Field, model_validator
from pydantic_settings import SettingsConfigDict

from chassis.crypto import DEV_FIELD_KEYS, FieldCipher, parse_field_keys
from chassis.settings import ServiceSettings


class EnrollmentSettings(ServiceSettings):
    """Settings of the enrollment service."""

    model_config = SettingsConfigDict(env_prefix="ENROLLMENT_", extra="ignore", frozen=True)

    # PIPL (issue 11): the key ring sealing ID numbers and custody notes at rest, from a secret; first key seals.
    field_keys: str = Field(default=DEV_FIELD_KEYS, repr=False)

    # PIPL (services/enrollment/domain/retention.py): days a leaving child's personal data is kept, and how often the
    # service looks for data whose period ended.
    retention_days_after_leaving: int = Field(default=365, ge=1)
    retention_check_seconds: float = Field(default=3600.0, gt=0)
    # PIPL: days a finished import job is kept; a failed one's report quotes the broken cells (names, phones).
    import_jobs_kept_days: int = Field(default=30, ge=1)

    @model_validator(mode="after")
    def _field_keys_are_a_key_ring(self) -> Self:
        """Malformed keys fail at start, and production refuses the development key."""
        parse_field_keys(self.field_keys)
        if self.environment == "production" and DEV_FIELD_KEYS in self.field_keys.split(","):
            raise ValueError("field_keys holds the development key; set ENROLLMENT_FIELD_KEYS from a secret")
        return self

    def field_cipher(self) -> FieldCipher:
        """The key ring of the sealed columns."""
        return parse_field_keys(self.field_keys)
