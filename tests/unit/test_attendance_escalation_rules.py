"""The not-collected ladder without I/O (AT-6): reception after M minutes, then a call every step."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from contracts.attendance.dismissal import EscalationStep
from contracts.policy import PolicySettings
from services.attendance.domain.escalation import next_step, reception_due, recipient, step_due, step_kind

pytestmark = pytest.mark.unit

DISMISSED = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)  # 17:00 in Asia/Shanghai


def test_at6_reception_after_m_minutes_then_one_step_every_step_minutes() -> None:
    policy = PolicySettings(not_collected_after_minutes=15, escalation_step_minutes=10)
    assert reception_due(DISMISSED, policy) == DISMISSED + timedelta(minutes=15)
    assert [step_due(DISMISSED, n, policy) - DISMISSED for n in (1, 2, 3, 4)] == [
        timedelta(minutes=m) for m in (15, 25, 35, 45)
    ]


def test_at6_the_ladder_is_guardian_1_guardian_2_class_teacher_duty_leader_and_stops() -> None:
    assert [step_kind(n) for n in (1, 2, 3, 4)] == [
        EscalationStep.GUARDIAN_1,
        EscalationStep.GUARDIAN_2,
        EscalationStep.CLASS_TEACHER,
        EscalationStep.DUTY_LEADER,
    ]
    assert [next_step(n) for n in (1, 2, 3, 4)] == [2, 3, 4, None]


def test_at6_each_step_calls_its_person() -> None:
    assert [recipient(n, ["mum", "dad"], "teacher-li") for n in (1, 2, 3, 4)] == ["mum", "dad", "teacher-li", None]
    assert recipient(2, ["grandma"], None) == "grandma"  # one guardian is called again
    assert recipient(1, [], None) is None
