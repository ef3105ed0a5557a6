"""HW-7 (and HW-6): who may grade a submission.

The grader is always the authenticated caller, never a field of the request. Only teachers grade: a parent's
token is refused under HW-6 (不得要求家长批改), and a grader who is the child whose work it is is refused under
HW-7 (no self-grading), whatever role the token carries.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class GradingRefusal:
    """Why this grader may not grade this submission."""

    rule: str
    reason: str


def refuse_grader(*, grader_id: str, grader_is_teacher: bool, student_id: str) -> GradingRefusal | None:
    """None when a teacher other than the child grades; otherwise the rule that forbids it."""
    if grader_id == student_id:
        return GradingRefusal("HW-7", "a student may not grade their own homework")
    if not grader_is_teacher:
        return GradingRefusal("HW-6", "homework is graded by teachers, never by parents")
    return None
