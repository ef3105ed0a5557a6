"""Incoming events → attendance's own copies: the handlers live in `reference/handlers.py`, one per event."""

from __future__ import annotations

from services.attendance.reference.handlers import HANDLERS

__all__ = ["HANDLERS"]
