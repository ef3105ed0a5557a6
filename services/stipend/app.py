"""The stipend service: its definition, and `create_app(settings)` for uvicorn, tests and the all-in-one."""

from __future__ import annotations

from pathlib import Path

from chassis.app import ServiceDefinition
from services.stipend import api, consumers, store
from services.stipend.settings import StipendSettings

DEFINITION = ServiceDefinition(
    name="stipend",
    metadata=store.Base.metadata,
    tables=store.TABLES,
    migrations=Path(__file__).parent / "migrations",
    routers=api.ROUTERS,
    settings_class=StipendSettings,
    subscription=consumers.subscription,
    description="Teachers' stipends and families' fees (ST-1..ST-7, EN-7), from attendance and enrollment facts.",
)

create_app = DEFINITION.create_app
