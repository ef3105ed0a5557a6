"""What stipend subscribes to: the one registry of its event handlers."""

from __future__ import annotations

from chassis.app import Runtime
from chassis.consumer import Subscription
from contracts.attendance import StudentCheckedIn
from services.stipend.handlers import tally_check_in
from services.stipend.settings import StipendSettings


def subscription(runtime: Runtime) -> Subscription:
    """Attendance facts become tallies."""
    settings = runtime.settings_as(StipendSettings)
    return Subscription({StudentCheckedIn: tally_check_in(settings.class_hours_per_session)})
