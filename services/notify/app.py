"""The notify service: its definition, and `create_app(settings)` for uvicorn, tests and the all-in-one."""

from __future__ import annotations

from pathlib import Path

from chassis.app import ServiceDefinition
from services.notify import api, consumers, store
from services.notify.settings import NotifySettings

DEFINITION = ServiceDefinition(
    name="notify",
    metadata=store.Base.metadata,
    tables=store.TABLES,
    migrations=Path(__file__).parent / "migrations",
    routers=[api.router],
    settings_class=NotifySettings,
    subscription=consumers.subscription,
    description="Guardian and staff notifications: in-app (live), exactly one per event and recipient.",
)

create_app = DEFINITION.create_app
