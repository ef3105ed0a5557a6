"""Attendance events: Regular-class attendance against the after-school session (BX-4)."""

from __future__ import annotations

from contracts.envelope import Event

EVENTS: tuple[type[Event], ...] = ()
