"""The homework service: its definition, and `create_app(settings)` for uvicorn, tests and the all-in-one."""

from __future__ import annotations

from pathlib import Path

from chassis.app import ServiceDefinition
from chassis.figures import sampling
from services.homework import api, consumers, store
from services.homework.assignments import store as _assignments_store  # noqa: F401  (its tables join the metadata)
from services.homework.reference import store as _reference_store  # noqa: F401
from services.homework.sessions import store as _sessions_store  # noqa: F401
from services.homework.sessions.handlers import OVER_CAP_FIGURE
from services.homework.settings import HomeworkSettings

DEFINITION = ServiceDefinition(
    name="homework",
    metadata=store.Base.metadata,
    tables=store.TABLES,
    migrations=Path(__file__).parent / "migrations",
    routers=api.ROUTERS,
    settings_class=HomeworkSettings,
    subscription=consumers.subscription,
    description="Homework burden caps, assignments, in-session completion and grading (HW-).",
    workers=(sampling([OVER_CAP_FIGURE]),),
)

create_app = DEFINITION.create_app
