"""What attendance subscribes to: the one registry of its event handlers."""

from __future__ import annotations

from chassis.app import Runtime
from chassis.consumer import Subscription
from services.attendance.board import handlers as board
from services.attendance.reference import handlers as reference


def subscription(_runtime: Runtime) -> Subscription:
    """Attendance keeps its own copies of enrollment's facts (roster, schedule, calendar, policy, pickups) and
    which district each school belongs to (the district board, BX-6)."""
    overlap = reference.HANDLERS.keys() & board.HANDLERS.keys()
    assert not overlap, f"two handlers for {overlap}"
    return Subscription({**reference.HANDLERS, **board.HANDLERS})
