"""Attendance events: Handover between the class teacher and the service teacher (AT-1, BX-3)."""

from __future__ import annotations

from contracts.envelope import Event

EVENTS: tuple[type[Event], ...] = ()
