"""What homework subscribes to: the one registry of its event handlers, merged from the slices' `HANDLERS`."""

from __future__ import annotations

from chassis.app import Runtime
from chassis.consumer import Subscription
from services.homework.reference import handlers as reference


def subscription(_runtime: Runtime) -> Subscription:
    """Classes, teaching, roster, guardians, policy and calendars from enrollment; presence from attendance."""
    return Subscription(dict(reference.HANDLERS))
