"""The enrollment service: its definition, and `create_app(settings)` for uvicorn, tests and the all-in-one."""

from __future__ import annotations

from pathlib import Path

from chassis.app import ServiceDefinition
from chassis.crypto import FieldCipher
from chassis.settings import ServiceSettings
from services.enrollment import api, store
from services.enrollment.data_rights.handlers import run_retention
from services.enrollment.settings import EnrollmentSettings


def field_cipher(settings: ServiceSettings) -> FieldCipher:
    """The key ring sealing ID numbers and custody notes (PIPL, issue 11)."""
    assert isinstance(settings, EnrollmentSettings)
    return settings.field_cipher()


DEFINITION = ServiceDefinition(
    name="enrollment",
    metadata=store.Base.metadata,
    tables=store.TABLES,
    migrations=Path(__file__).parent / "migrations",
    routers=api.ROUTERS,
    settings_class=EnrollmentSettings,
    field_cipher=field_cipher,
    workers=(run_retention,),
    description="Schools, rosters and guardians; programs, applications, allocation and fees (EN-, PL-).",
)

create_app = DEFINITION.create_app
