"""Patrol rules without I/O (AT-10, QA-1): deductions per finding, consistent answers, absent teachers."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from contracts.attendance.staff import FindingKind
from services.attendance.domain.patrol import PatrolInconsistent, check_patrol, deduction, marks_teacher_absent

pytestmark = pytest.mark.unit


def test_qa1_a_broken_rule_costs_1_a_bad_influence_3_and_a_serious_accident_10() -> None:
    assert deduction([FindingKind.RULE_BROKEN]) == 1
    assert deduction([FindingKind.BAD_INFLUENCE]) == 3
    assert deduction([FindingKind.SERIOUS_ACCIDENT]) == 10
    assert deduction([]) == 0


@given(st.lists(st.sampled_from(list(FindingKind)), max_size=12))
def test_qa1_every_finding_deducts_so_the_total_is_the_sum(findings: list[FindingKind]) -> None:
    expected = 1 * findings.count(FindingKind.RULE_BROKEN) + 3 * findings.count(FindingKind.BAD_INFLUENCE)
    assert deduction(findings) == expected + 10 * findings.count(FindingKind.SERIOUS_ACCIDENT)


def test_at10_rules_not_followed_needs_a_broken_rule_among_the_findings() -> None:
    with pytest.raises(PatrolInconsistent, match="rule_broken"):
        check_patrol(rules_followed=False, findings=[FindingKind.BAD_INFLUENCE])
    check_patrol(rules_followed=False, findings=[FindingKind.RULE_BROKEN, FindingKind.BAD_INFLUENCE])


def test_at10_rules_followed_cannot_come_with_a_broken_rule() -> None:
    with pytest.raises(PatrolInconsistent, match="must be false"):
        check_patrol(rules_followed=True, findings=[FindingKind.RULE_BROKEN])
    check_patrol(rules_followed=True, findings=[])
    check_patrol(rules_followed=True, findings=[FindingKind.SERIOUS_ACCIDENT])  # an accident despite the rules


def test_at10_a_patrol_finding_no_teacher_who_never_signed_in_marks_them_absent() -> None:
    assert marks_teacher_absent(teacher_present=False, signed_in=False)
    assert not marks_teacher_absent(teacher_present=False, signed_in=True)  # left after signing in: an incident
    assert not marks_teacher_absent(teacher_present=True, signed_in=False)
