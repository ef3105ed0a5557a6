"""The not-collected escalation ladder (AT-6): reception after M minutes, then one call per step."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from contracts.attendance.dismissal import EscalationStep
from contracts.policy import PolicySettings

LADDER: tuple[EscalationStep, ...] = (
    EscalationStep.GUARDIAN_1,
    EscalationStep.GUARDIAN_2,
    EscalationStep.CLASS_TEACHER,
    EscalationStep.DUTY_LEADER,
)


def reception_due(dismissed_at: datetime, policy: PolicySettings) -> datetime:
    """AT-6: a child not collected `not_collected_after_minutes` after dismissal goes to the reception room,
    and the first step (guardian 1) is called."""
    return dismissed_at + timedelta(minutes=policy.not_collected_after_minutes)


def step_due(dismissed_at: datetime, step: int, policy: PolicySettings) -> datetime:
    """AT-6: step n (1-based) is due `escalation_step_minutes` after step n-1."""
    return reception_due(dismissed_at, policy) + (step - 1) * timedelta(minutes=policy.escalation_step_minutes)


def step_kind(step: int) -> EscalationStep:
    """The rung of the ladder a step number stands for (1 = guardian 1 … 4 = duty leader)."""
    return LADDER[step - 1]


def next_step(step: int) -> int | None:
    """The step after `step`, or None at the top of the ladder."""
    return step + 1 if step < len(LADDER) else None


def recipient(step: int, guardian_ids: Sequence[str], class_teacher_id: str | None) -> str | None:
    """Whom a step calls: the first or second guardian, the class teacher; the duty leader is the school's
    on-duty role (no fixed id), so notify routes it by role."""
    kind = step_kind(step)
    if kind is EscalationStep.GUARDIAN_1:
        return guardian_ids[0] if guardian_ids else None
    if kind is EscalationStep.GUARDIAN_2:
        return guardian_ids[1] if len(guardian_ids) > 1 else (guardian_ids[0] if guardian_ids else None)
    if kind is EscalationStep.CLASS_TEACHER:
        return class_teacher_id
    return None
