"""Attendance events: Check-out, pickup, dismissal, not collected, the day cleared (AT-4..AT-6, BX-2, BX-5)."""

from __future__ import annotations

from contracts.envelope import Event

EVENTS: tuple[type[Event], ...] = ()
