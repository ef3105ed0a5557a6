"""What notify subscribes to: the one registry of its event handlers."""

from __future__ import annotations

from chassis.app import Runtime
from chassis.consumer import Subscription
from contracts.attendance import StudentCheckedIn
from contracts.enrollment import GuardianLinked, StudentEnrolled
from services.notify.handlers import alert_guardians_of_check_in, link_guardian, remember_student


def subscription(runtime: Runtime) -> Subscription:
    """Rosters from enrollment; alerts from attendance."""
    return Subscription(
        {
            StudentEnrolled: remember_student,
            GuardianLinked: link_guardian,
            StudentCheckedIn: alert_guardians_of_check_in(runtime.broadcaster.publish),
        }
    )
