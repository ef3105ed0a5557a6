"""Attendance events: check-out, pickup, dismissal, not collected, the day cleared (AT-4..AT-6, BX-2, BX-5)."""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import ClassVar

from pydantic import AwareDatetime, Field

from contracts.attendance.common import SchoolEvent, StudentEvent
from contracts.envelope import Event


class DismissalMode(StrEnum):
    """How a child leaves school on a day (BX-5)."""

    GUARDIAN = "guardian"
    WALKER = "walker"
    BUS = "bus"
    PROGRAM = "program"


class Release(StrEnum):
    """To whom a child was handed at check-out (AT-5)."""

    PICKUP_PERSON = "pickup_person"
    WALK_ALONE = "walk_alone"
    BUS = "bus"
    PROGRAM = "program"


class HandledBy(StrEnum):
    """Who did the handoff (BX-2): a member of staff, the collecting adult themselves, or the walker child."""

    STAFF = "staff"
    GUARDIAN = "guardian"
    STUDENT = "student"


class RefusalReason(StrEnum):
    """Why a check-out was refused (AT-5, BX-2)."""

    RESTRICTED = "restricted"
    NOT_AUTHORISED = "not_authorised"
    NO_WALK_PERMISSION = "no_walk_permission"


class EscalationStep(StrEnum):
    """Who is called at each step of the not-collected ladder (AT-6)."""

    GUARDIAN_1 = "guardian_1"
    GUARDIAN_2 = "guardian_2"
    CLASS_TEACHER = "class_teacher"
    DUTY_LEADER = "duty_leader"


class DismissalPlanChanged(StudentEvent):
    """A child's dismissal plan changed: standing, for one day, or every given weekday (BX-5)."""

    type: ClassVar[str] = "attendance.dismissal_plan_changed.v1"

    student_id: str
    school_id: str
    mode: DismissalMode
    on: date | None = Field(default=None, description="a one-day change")
    weekday: int | None = Field(default=None, description="a repeating change, 0 = Monday")
    changed_by: str


class _CheckOutEvent(StudentEvent):
    """An event about one check-out of one child on one day."""

    check_out_id: str
    student_id: str
    school_id: str
    day: date


class StudentCheckedOut(_CheckOutEvent):
    """A child was handed over (AT-5, BX-2): to whom, who did it, when and where."""

    type: ClassVar[str] = "attendance.student_checked_out.v1"

    occurred_at: AwareDatetime
    release: Release
    person_id: str | None = Field(default=None, description="the authorised pickup person, when one collected")
    handled_by: HandledBy
    staff_id: str | None = None
    device_id: str | None = None
    place: str | None = None
    early: bool = Field(default=False, description="AT-4: collected before the child's dismissal time")


class PickupRefused(StudentEvent):
    """A check-out was refused; `restricted` (a custody order, BX-2) makes it an urgent alert."""

    type: ClassVar[str] = "attendance.pickup_refused.v1"

    refusal_id: str
    student_id: str
    school_id: str
    occurred_at: AwareDatetime
    reason: RefusalReason
    restricted: bool
    urgent: bool
    person_id: str | None = None
    device_id: str | None = None
    place: str | None = None
    attempted_by: str = Field(description="the kiosk or member of staff that reported the attempt")


class StudentMovedToReception(StudentEvent):
    """Not collected in time: the child waits in the reception room (AT-6)."""

    type: ClassVar[str] = "attendance.student_moved_to_reception.v1"

    student_id: str
    school_id: str
    day: date
    dismissal_at: AwareDatetime
    room_id: str | None = None


class StudentNotCollected(StudentEvent):
    """One step of the not-collected escalation ladder (AT-6): who is to be called now."""

    type: ClassVar[str] = "attendance.student_not_collected.v1"

    student_id: str
    school_id: str
    day: date
    step: int = Field(ge=1, le=4)
    escalation: EscalationStep
    recipient_id: str | None = Field(default=None, description="guardian or staff id to call, when known")
    class_teacher_id: str | None = Field(default=None, description="the child's class teacher, when one is assigned")
    dismissal_at: AwareDatetime
    minutes_after_dismissal: int


class LatePickupCharged(_CheckOutEvent):
    """A late-pickup fee from the check-out time (BX-5), in integer fen."""

    type: ClassVar[str] = "attendance.late_pickup_charged.v1"

    minutes_late: int
    blocks: int
    fee_fen: int


class DayCleared(SchoolEvent):
    """The duty leader cleared the school (清校, AT-6): every child was accounted for."""

    type: ClassVar[str] = "attendance.day_cleared.v1"

    school_id: str
    day: date
    cleared_by: str
    checked_in: int
    checked_out: int


EVENTS: tuple[type[Event], ...] = (
    DismissalPlanChanged,
    StudentCheckedOut,
    PickupRefused,
    StudentMovedToReception,
    StudentNotCollected,
    LatePickupCharged,
    DayCleared,
)
