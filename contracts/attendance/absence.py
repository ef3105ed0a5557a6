"""Attendance events: Leave and unexcused absence (AT-3)."""

from __future__ import annotations

from contracts.envelope import Event

EVENTS: tuple[type[Event], ...] = ()
