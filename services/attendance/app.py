"""The attendance service: its definition, and `create_app(settings)` for uvicorn, tests and the all-in-one."""

from __future__ import annotations

import importlib
import importlib.util
from pathlib import Path

from chassis.app import ServiceDefinition
from chassis.figures import sampling
from services.attendance import api, consumers, store
from services.attendance.checkins import store as _checkins_store  # noqa: F401  (its tables join the metadata)
from services.attendance.dismissal.handlers import NOT_COLLECTED_FIGURE
from services.attendance.handover.handlers import DISCREPANCIES_FIGURE
from services.attendance.reference import store as _reference_store  # noqa: F401
from services.attendance.settings import AttendanceSettings
from services.attendance.timers import store as _timers_store  # noqa: F401
from services.attendance.timers.timers import run_timers

TIMER_SLICES = ("handover", "absence", "dismissal", "emergency", "staff", "reconciliation")
"""Slices that may register timer handlers and day openers in their own `timers.py`."""


def _import_slice_modules(name: str) -> None:
    """Import `services.attendance.<slice>.<name>` of every slice that has one (tables join the metadata,
    timer handlers join the registry)."""
    for slice_name in (*TIMER_SLICES, "sessions", "board"):
        module = f"services.attendance.{slice_name}.{name}"
        if importlib.util.find_spec(module) is not None:
            importlib.import_module(module)


_import_slice_modules("store")
_import_slice_modules("timers")

DEFINITION = ServiceDefinition(
    name="attendance",
    metadata=store.Base.metadata,
    tables=store.TABLES,
    migrations=Path(__file__).parent / "migrations",
    routers=api.ROUTERS,
    settings_class=AttendanceSettings,
    subscription=consumers.subscription,
    description="Check-ins and check-outs, handover, leave, absence, dismissal and pickup.",
    workers=(run_timers, sampling([NOT_COLLECTED_FIGURE, DISCREPANCIES_FIGURE])),
)

create_app = DEFINITION.create_app
