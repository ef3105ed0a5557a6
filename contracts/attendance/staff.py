"""Attendance events: teachers' sign-in and activity records, patrol findings and incidents (AT-9, AT-10)."""

from __future__ import annotations

from contracts.envelope import Event

EVENTS: tuple[type[Event], ...] = ()
