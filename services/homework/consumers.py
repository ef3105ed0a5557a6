"""What homework subscribes to: the one registry of its event handlers."""

from __future__ import annotations

from chassis.app import Runtime
from chassis.consumer import Subscription
from contracts.attendance import StudentCheckedIn
from contracts.enrollment import (
    ClassCreated,
    ClassTeacherAssigned,
    GuardianLinked,
    GuardianUnlinked,
    PolicyProfileSet,
    StudentEnrolled,
    StudentLeft,
    StudentTransferred,
    TeachingAssigned,
    TeachingUnassigned,
    TermCalendarSet,
)
from services.homework import roster


def subscription(_runtime: Runtime) -> Subscription:
    """Classes, teaching, roster, guardians, policy and calendars from enrollment; presence from attendance."""
    return Subscription(
        {
            ClassCreated: roster.record_class,
            ClassTeacherAssigned: roster.record_class_teacher,
            TeachingAssigned: roster.record_teaching,
            TeachingUnassigned: roster.forget_teaching,
            StudentEnrolled: roster.record_student,
            StudentTransferred: roster.move_student,
            StudentLeft: roster.remove_student,
            GuardianLinked: roster.link_guardian,
            GuardianUnlinked: roster.unlink_guardian,
            PolicyProfileSet: roster.record_policy,
            TermCalendarSet: roster.record_calendar,
            StudentCheckedIn: roster.record_presence,
        }
    )
