"""The enrollment service: its definition, and `create_app(settings)` for uvicorn, tests and the all-in-one."""

from __future__ import annotations

from pathlib import Path

from chassis.app import ServiceDefinition
from services.enrollment import api, store
from services.enrollment.settings import EnrollmentSettings

DEFINITION = ServiceDefinition(
    name="enrollment",
    metadata=store.Base.metadata,
    tables=store.TABLES,
    migrations=Path(__file__).parent / "migrations",
    routers=api.ROUTERS,
    settings_class=EnrollmentSettings,
    description="Schools, rosters and guardians; programs, applications, allocation and fees (EN-, PL-).",
)

create_app = DEFINITION.create_app
