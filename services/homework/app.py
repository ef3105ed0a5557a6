"""The homework service: its definition, and `create_app(settings)` for uvicorn, tests and the all-in-one."""

from __future__ import annotations

from pathlib import Path

from chassis.app import ServiceDefinition
from services.homework import api, consumers, session_api, store
from services.homework.settings import HomeworkSettings

DEFINITION = ServiceDefinition(
    name="homework",
    metadata=store.Base.metadata,
    tables=store.TABLES,
    migrations=Path(__file__).parent / "migrations",
    routers=[api.router, session_api.router],
    settings_class=HomeworkSettings,
    subscription=consumers.subscription,
    description="Homework burden caps, assignments, in-session completion and grading (HW-).",
)

create_app = DEFINITION.create_app
