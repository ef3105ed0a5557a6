"""The notify service: its definition, and `create_app(settings)` for uvicorn, tests and the all-in-one."""

from __future__ import annotations

from pathlib import Path

from chassis.app import ServiceDefinition
from services.notify import (
    api,
    api_operations,
    api_preferences,
    api_staff,
    api_subscriptions,
    consumers,
    store,
)
from services.notify.dispatch import run_dispatcher
from services.notify.settings import NotifySettings

DEFINITION = ServiceDefinition(
    name="notify",
    metadata=store.Base.metadata,
    tables=store.TABLES,
    migrations=Path(__file__).parent / "migrations",
    routers=[api.router, api_preferences.router, api_staff.router, api_operations.router, api_subscriptions.router],
    settings_class=NotifySettings,
    subscription=consumers.subscription,
    workers=[run_dispatcher],
    description="Guardian notifications: in-app (live), e-mail, SMS, WeChat and school webhooks; exactly one per "
    "event, recipient and channel.",
)

create_app = DEFINITION.create_app
