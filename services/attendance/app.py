"""The attendance service: its definition, and `create_app(settings)` for uvicorn, tests and the all-in-one."""

from __future__ import annotations

from pathlib import Path

from chassis.app import ServiceDefinition
from services.attendance import api, consumers, store
from services.attendance.checkins import store as _checkins_store  # noqa: F401  (its tables join the metadata)
from services.attendance.settings import AttendanceSettings

DEFINITION = ServiceDefinition(
    name="attendance",
    metadata=store.Base.metadata,
    tables=store.TABLES,
    migrations=Path(__file__).parent / "migrations",
    routers=api.ROUTERS,
    settings_class=AttendanceSettings,
    subscription=consumers.subscription,
    description="Check-ins and check-outs, handover, leave, absence, dismissal and pickup.",
)

create_app = DEFINITION.create_app
