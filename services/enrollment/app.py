"""The enrollment service: its definition, and `create_app(settings)` for uvicorn, tests and the all-in-one."""

from __future__ import annotations

from pathlib import Path

from chassis.app import ServiceDefinition
from services.enrollment import store
from services.enrollment.applications import api as applications_api
from services.enrollment.fees import api as fees_api
from services.enrollment.imports import api as imports_api
from services.enrollment.policy import api as policy_api
from services.enrollment.programs import api as programs_api
from services.enrollment.roster import api
from services.enrollment.settings import EnrollmentSettings
from services.enrollment.setup import api as setup_api

DEFINITION = ServiceDefinition(
    name="enrollment",
    metadata=store.Base.metadata,
    tables=store.TABLES,
    migrations=Path(__file__).parent / "migrations",
    routers=[
        api.router,
        setup_api.router,
        policy_api.router,
        programs_api.router,
        applications_api.router,
        fees_api.router,
        imports_api.router,
    ],
    settings_class=EnrollmentSettings,
    description="Schools, rosters and guardians; programs, applications, allocation and fees (EN-, PL-).",
)

create_app = DEFINITION.create_app
