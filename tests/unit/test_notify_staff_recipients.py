"""Who among staff is told (services/notify/domain/staff.py): each person once, never nobody (AT-3, AT-6, BX-2..4)."""

from __future__ import annotations

import pytest

from contracts.attendance.dismissal import EscalationStep
from contracts.attendance.handover import EscalateTo
from services.notify.domain import staff as who

pytestmark = pytest.mark.unit

SCHOOL = who.SchoolStaff(duty_leaders=["duty-li"], school_admins=["office-b", "office-a"])
NOBODY_ON_DUTY = who.SchoolStaff(duty_leaders=[], school_admins=["office-a"])


@pytest.mark.parametrize(
    ("escalation", "teacher", "recipient", "staff", "told", "guardians"),
    [
        (EscalationStep.GUARDIAN_1, "t-wang", "mum", SCHOOL, [], True),
        (EscalationStep.GUARDIAN_2, "t-wang", "dad", SCHOOL, [], True),
        (EscalationStep.CLASS_TEACHER, "t-wang", "t-wang", SCHOOL, ["t-wang"], False),
        (EscalationStep.CLASS_TEACHER, None, "t-wang", SCHOOL, ["t-wang"], False),  # an event from before the field
        (EscalationStep.CLASS_TEACHER, None, None, SCHOOL, ["duty-li"], False),  # no class teacher: on to duty
        (EscalationStep.DUTY_LEADER, "t-wang", None, SCHOOL, ["duty-li", "t-wang"], False),
        (EscalationStep.DUTY_LEADER, "duty-li", None, SCHOOL, ["duty-li"], False),  # one person, told once
        (EscalationStep.DUTY_LEADER, None, None, NOBODY_ON_DUTY, ["office-a"], False),  # nobody rostered
    ],
)
def test_at_6_the_ladders_staff_rungs(
    escalation: EscalationStep,
    teacher: str | None,
    recipient: str | None,
    staff: who.SchoolStaff,
    told: list[str],
    guardians: bool,
) -> None:
    assert who.not_collected(escalation, teacher, recipient, staff) == told
    assert who.guardians_told_of_not_collected(escalation) is guardians


def test_at_3_and_bx_4_the_class_teacher_else_the_duty_leader() -> None:
    assert who.unexcused_absence("t-wang", SCHOOL) == ["t-wang"]
    assert who.missing_from_session("t-wang", SCHOOL) == ["t-wang"]
    assert who.unexcused_absence(None, SCHOOL) == who.missing_from_session(None, SCHOOL) == ["duty-li"]


def test_bx_3_service_teachers_then_duty_then_office_and_bx_2_the_office() -> None:
    assert who.unaccepted_handover(EscalateTo.SERVICE_TEACHER, ["svc-b", "svc-a", "svc-b"], SCHOOL) == [
        "svc-a",
        "svc-b",
    ]
    assert who.unaccepted_handover(EscalateTo.SERVICE_TEACHER, [], SCHOOL) == ["duty-li"]
    assert who.unaccepted_handover(EscalateTo.DUTY_LEADER, ["svc-a"], SCHOOL) == ["duty-li"]
    assert who.unaccepted_handover(EscalateTo.SCHOOL_ADMIN, ["svc-a"], SCHOOL) == ["office-a", "office-b"]
    assert who.pickup_refused(SCHOOL) == ["office-a", "office-b"]
    assert who.pickup_refused(who.SchoolStaff()) == []
