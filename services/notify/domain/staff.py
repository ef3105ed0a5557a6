"""Who among a school's staff is told of an attendance event, and what they read (issue 10, "staff recipients").

Pure: the caller passes what notify's copies know (the day's duty leaders, the school office) and the ids the event
carries. Every answer is sorted and names each person once, so a member of staff holding two parts (a class teacher
on duty that day) gets one notification per event (NT-3). When the person a rung calls is unknown (no class teacher
assigned, nobody on the day's roster), the call goes up to the next person who can act, so nobody is left
unaccounted for (AT-6: 清校).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from contracts.attendance.dismissal import EscalationStep
from contracts.attendance.handover import EscalateTo
from services.notify.domain.messages import Message

GUARDIAN_RUNGS = frozenset({EscalationStep.GUARDIAN_1, EscalationStep.GUARDIAN_2})


@dataclass(frozen=True)
class SchoolStaff:
    """What notify knows of a school's staff on the event's day: its duty leaders and its office (school admins)."""

    duty_leaders: Sequence[str] = ()
    school_admins: Sequence[str] = ()

    def on_duty(self) -> list[str]:
        """The day's duty leaders, or the school office when nobody is on the roster."""
        return _each_once(self.duty_leaders) or _each_once(self.school_admins)


def _each_once(ids: Iterable[str | None]) -> list[str]:
    return sorted({i for i in ids if i})


def unexcused_absence(class_teacher_id: str | None, staff: SchoolStaff) -> list[str]:
    """AT-3: the class teacher (or, with none assigned, the day's duty leaders)."""
    return _each_once([class_teacher_id]) or staff.on_duty()


def missing_from_session(class_teacher_id: str | None, staff: SchoolStaff) -> list[str]:
    """BX-4: the class teacher of the child present in class but missing from the session (else the duty leaders)."""
    return _each_once([class_teacher_id]) or staff.on_duty()


def guardians_told_of_not_collected(escalation: EscalationStep) -> bool:
    """AT-6: the guardian rungs call the guardians; the staff rungs call staff, and the guardians, already called
    twice, are not told again."""
    return escalation in GUARDIAN_RUNGS


def not_collected(
    escalation: EscalationStep, class_teacher_id: str | None, recipient_id: str | None, staff: SchoolStaff
) -> list[str]:
    """AT-6: at the class-teacher rung the class teacher; at the duty-leader rung the day's duty leaders and the class
    teacher; nobody at the guardian rungs. An event from before `class_teacher_id` existed names the class teacher
    as the class-teacher rung's `recipient_id`."""
    if escalation in GUARDIAN_RUNGS:
        return []
    teacher = class_teacher_id or (recipient_id if escalation is EscalationStep.CLASS_TEACHER else None)
    if escalation is EscalationStep.CLASS_TEACHER:
        return _each_once([teacher]) or staff.on_duty()
    return _each_once([*staff.on_duty(), teacher])


def unaccepted_handover(escalate_to: EscalateTo, service_teacher_ids: Sequence[str], staff: SchoolStaff) -> list[str]:
    """BX-3: children handed over and accepted by nobody: first the session's service teachers, then the day's duty
    leaders, then the school office."""
    if escalate_to is EscalateTo.SERVICE_TEACHER:
        return _each_once(service_teacher_ids) or staff.on_duty()
    if escalate_to is EscalateTo.DUTY_LEADER:
        return staff.on_duty()
    return _each_once(staff.school_admins)


def pickup_refused(staff: SchoolStaff) -> list[str]:
    """AT-5/BX-2: a refused check-out alerts the school: its office, every school admin of the school."""
    return _each_once(staff.school_admins)


# What staff read: in Chinese, the school's working language; urgent, since each asks someone to act now.


def absence_message(name: str) -> Message:
    """AT-3 for the class teacher."""
    return Message("学生未到", f"{name}未到课后服务签到，且未请假，请联系家长。", True)


def missing_message(name: str) -> Message:
    """BX-4 for the class teacher."""
    return Message("学生脱离课后服务", f"{name}今天在校上课，但未到课后服务，也未请假，请核实去向。", True)


def not_collected_message(name: str, step: int) -> Message:
    """AT-6 at a staff rung."""
    return Message("学生未被接走", f"{name}放学后仍未被接走（第{step}步），请处理。", True)


def unaccepted_message(count: int, step: int) -> Message:
    """BX-3 at each step."""
    return Message("交接无人接收", f"{count}名学生已交接，但尚无人确认接收（第{step}步），请立即处理。", True)


def refused_message(name: str, restricted: bool) -> Message:
    """AT-5/BX-2 for the school office; a restricted person (custody order) first."""
    if restricted:
        return Message("受限制人员试图接走学生", f"受限制人员（监护令）试图接走{name}，已被拒绝，请立即核实。", True)
    return Message("接送被拒绝", f"未经授权的人员试图接走{name}，已被拒绝。", False)
