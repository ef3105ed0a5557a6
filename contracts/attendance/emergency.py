"""Attendance events: Emergency early dismissal, drills and all-clear (AT-7, BX-7)."""

from __future__ import annotations

from contracts.envelope import Event

EVENTS: tuple[type[Event], ...] = ()
