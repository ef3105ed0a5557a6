"""What attendance subscribes to: the one registry of its event handlers."""

from __future__ import annotations

from chassis.app import Runtime
from chassis.consumer import Subscription
from contracts.enrollment import StudentEnrolled
from services.attendance.handlers import record_enrolled_student


def subscription(_runtime: Runtime) -> Subscription:
    """Attendance keeps its roster from enrollment's events."""
    return Subscription({StudentEnrolled: record_enrolled_student})
