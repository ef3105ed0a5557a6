"""Handover rules (AT-1, BX-3): counts against the expected, two-party acknowledgement, escalation steps."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta

GIVEN, ACKNOWLEDGED = "given", "acknowledged"
ESCALATION_LADDER = ("service_teacher", "duty_leader", "school_admin")
"""BX-3: who is called at step 1, 2, 3 while nobody has accepted the children."""


class HandoverRuleBroken(ValueError):
    """A handover command breaks a rule; `rule` names it."""

    def __init__(self, message: str, rule: str) -> None:
        super().__init__(message)
        self.rule = rule


@dataclass(frozen=True)
class Discrepancy:
    """Two counts that differ (AT-1: resolve on the spot)."""

    stage: str
    expected: int
    counted: int
    missing_student_ids: tuple[str, ...] = ()


def handover_id_of(session_id: str, class_id: str) -> str:
    """One handover per class per session."""
    return f"{session_id}:{class_id}"


def expected_of_class(expected_in_session: Collection[str], on_leave: Collection[str]) -> tuple[str, ...]:
    """AT-1: the class's children the service teacher should receive: expected in the session, not on leave."""
    return tuple(sorted(set(expected_in_session) - set(on_leave)))


def check_given(
    count: int, expected: Collection[str], named: Collection[str] | None, class_children: Collection[str]
) -> Discrepancy | None:
    """AT-1: the class teacher's count against the expected; named children must be of the class and match the count."""
    if named is not None:
        strangers = sorted(set(named) - set(class_children))
        if strangers:
            raise HandoverRuleBroken(f"not children of this class: {', '.join(strangers)}", "AT-1")
        if len(set(named)) != count:
            raise HandoverRuleBroken(f"{len(set(named))} children named but a count of {count}", "AT-1")
    if count == len(expected) and (named is None or set(named) == set(expected)):
        return None
    missing = tuple(sorted(set(expected) - set(named))) if named is not None else ()
    return Discrepancy(GIVEN, expected=len(expected), counted=count, missing_student_ids=missing)


def check_acknowledged(given: int, received: int) -> Discrepancy | None:
    """BX-3: the service teacher's own count against the class teacher's."""
    return None if given == received else Discrepancy(ACKNOWLEDGED, expected=given, counted=received)


def escalate_to(step: int) -> str | None:
    """BX-3: who is called at `step` (1-based), or None once the ladder is exhausted."""
    return ESCALATION_LADDER[step - 1] if 1 <= step <= len(ESCALATION_LADDER) else None


def escalation_due(given_at: datetime, step: int, *, unaccepted_minutes: int, step_minutes: int) -> datetime:
    """BX-3: step 1 after the policy's unaccepted minutes, each later step `step_minutes` after the previous."""
    return given_at + timedelta(minutes=unaccepted_minutes + (step - 1) * max(step_minutes, 1))
