"""What attendance subscribes to: the one registry of its event handlers."""

from __future__ import annotations

from chassis.app import Runtime
from chassis.consumer import Subscription
from services.attendance.reference.handlers import HANDLERS


def subscription(_runtime: Runtime) -> Subscription:
    """Attendance keeps its own copies of enrollment's facts (roster, schedule, calendar, policy, pickups)."""
    return Subscription(dict(HANDLERS))
