"""The duty leader's patrol (AT-10) and its deductions (QA-1, 倒扣分制)."""

from __future__ import annotations

from collections.abc import Iterable

from contracts.attendance.staff import FindingKind

DEDUCTIONS: dict[FindingKind, int] = {
    FindingKind.RULE_BROKEN: 1,
    FindingKind.BAD_INFLUENCE: 3,
    FindingKind.SERIOUS_ACCIDENT: 10,
}
"""QA-1: points deducted per finding."""


class PatrolInconsistent(ValueError):
    """The patrol's answers contradict its findings."""


def deduction(findings: Iterable[FindingKind]) -> int:
    """QA-1: the points a patrol's findings deduct (each finding counts, so two broken rules cost 2)."""
    return sum(DEDUCTIONS[finding] for finding in findings)


def check_patrol(*, rules_followed: bool, findings: Iterable[FindingKind]) -> None:
    """AT-10: 'rules followed' is false exactly when a broken rule is among the findings, so the answer and the
    deduction can never disagree."""
    broken = FindingKind.RULE_BROKEN in set(findings)
    if rules_followed and broken:
        raise PatrolInconsistent("a broken rule was found, so 'rules_followed' must be false")
    if not rules_followed and not broken:
        raise PatrolInconsistent("rules were not followed: record the broken rule as a 'rule_broken' finding")


def marks_teacher_absent(*, teacher_present: bool, signed_in: bool) -> bool:
    """AT-9/AT-10: a patrol that finds no teacher in a session they have not signed in for marks them absent."""
    return not teacher_present and not signed_in
