"""The notify service: its definition, and `create_app(settings)` for uvicorn, tests and the all-in-one."""

from __future__ import annotations

from pathlib import Path

from chassis.app import ServiceDefinition
from services.notify import api, consumers, store
from services.notify.broadcasts import store as _broadcasts_store  # noqa: F401  (its tables join the metadata)
from services.notify.dispatch.handlers import run_dispatcher
from services.notify.preferences import store as _preferences_store  # noqa: F401
from services.notify.reference import store as _reference_store  # noqa: F401
from services.notify.settings import NotifySettings

DEFINITION = ServiceDefinition(
    name="notify",
    metadata=store.Base.metadata,
    tables=store.TABLES,
    migrations=Path(__file__).parent / "migrations",
    routers=api.ROUTERS,
    settings_class=NotifySettings,
    subscription=consumers.subscription,
    workers=[run_dispatcher],
    description="Guardian notifications: in-app (live), e-mail, SMS, WeChat and school webhooks; exactly one per "
    "event, recipient and channel.",
)

create_app = DEFINITION.create_app
