"""What notify subscribes to: the one registry of its event handlers."""

from __future__ import annotations

from datetime import timedelta

from chassis.app import Runtime
from chassis.consumer import Handler, Subscription
from contracts import enrollment
from contracts.attendance import StudentCheckedIn
from contracts.attendance.absence import UnexcusedAbsence
from contracts.attendance.dismissal import StudentCheckedOut, StudentNotCollected
from contracts.attendance.emergency import EmergencyBroadcast
from contracts.envelope import Event
from contracts.homework import HomeworkAssigned, HomeworkChanged, HomeworkWithdrawn, WeeklyPlanPublished
from contracts.registry import EVENT_TYPES
from services.notify.attendance_alerts import attendance_alerts
from services.notify.broadcasts import merging_repeats
from services.notify.domain.messages import ENROLLMENT_STEP_TYPES
from services.notify.fee_alerts import fee_alerts
from services.notify.handlers import (
    alert_guardians_of_check_in,
    alert_guardians_of_enrollment_step,
    alert_guardians_of_plan_change,
    alert_guardians_of_weekly_plan,
    link_guardian,
    move_student,
    remember_student,
    unlink_guardian,
)
from services.notify.open_stream import also_to_subscribers, to_subscribers
from services.notify.pickups import alert_guardians_of_check_out, forget_pickup_person, remember_pickup_person
from services.notify.settings import NotifySettings
from services.notify.staff import with_class_teacher_of_absence, with_staff_of_not_collected


def subscription(runtime: Runtime) -> Subscription:
    """Rosters and application steps from enrollment; alerts from attendance; homework plans (HW-8); and every
    event type for the district's subscriptions (BX-8)."""
    push = runtime.broadcaster.publish
    steps = alert_guardians_of_enrollment_step(push)
    plan_changes = alert_guardians_of_plan_change(push)
    handlers: dict[type[Event], Handler] = {
        enrollment.StudentEnrolled: remember_student,
        enrollment.GuardianLinked: link_guardian,
        enrollment.GuardianUnlinked: unlink_guardian,
        enrollment.StudentTransferred: move_student,
        enrollment.PickupPersonAdded: remember_pickup_person,
        enrollment.PickupPersonRemoved: forget_pickup_person,
        StudentCheckedIn: alert_guardians_of_check_in(push),
        WeeklyPlanPublished: alert_guardians_of_weekly_plan(push),
        HomeworkAssigned: plan_changes,
        HomeworkChanged: plan_changes,
        HomeworkWithdrawn: plan_changes,
    }
    handlers |= {event: steps for event in enrollment.EVENTS if event.type in ENROLLMENT_STEP_TYPES}
    handlers |= attendance_alerts(push)
    handlers |= fee_alerts(push)
    handlers[StudentCheckedOut] = alert_guardians_of_check_out(push)
    window = timedelta(seconds=runtime.settings_as(NotifySettings).broadcast_merge_window_seconds)
    handlers[EmergencyBroadcast] = merging_repeats(handlers[EmergencyBroadcast], window)
    handlers[UnexcusedAbsence] = with_class_teacher_of_absence(handlers[UnexcusedAbsence], push)
    handlers[StudentNotCollected] = with_staff_of_not_collected(handlers[StudentNotCollected], push)
    # BX-8: every published event type can be subscribed to; rosters and alerts keep their place in the order.
    handlers = {event: also_to_subscribers(handler) for event, handler in handlers.items()}
    handlers |= {event: to_subscribers for event in EVENT_TYPES.values() if event not in handlers}
    return Subscription(handlers)
