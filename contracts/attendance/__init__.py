"""Events published by the attendance service on `attendance.events`, one module per slice of the service."""

from __future__ import annotations

from contracts.attendance import absence, checkins, dismissal, emergency, handover, reconciliation, staff
from contracts.attendance.checkins import CheckInMethod, StudentCheckedIn
from contracts.attendance.common import TOPIC
from contracts.envelope import Event

MODULES = (checkins, handover, absence, dismissal, emergency, staff, reconciliation)
EVENTS: tuple[type[Event], ...] = tuple(event for module in MODULES for event in module.EVENTS)

__all__ = ["EVENTS", "TOPIC", "CheckInMethod", "StudentCheckedIn"]
