"""Pure handover rules: counts against the expected, two-party acknowledgement, escalation (AT-1, BX-3)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from services.attendance.domain.handover import (
    ACKNOWLEDGED,
    GIVEN,
    Discrepancy,
    HandoverRuleBroken,
    check_acknowledged,
    check_given,
    escalate_to,
    escalation_due,
    expected_of_class,
    handover_id_of,
)

pytestmark = pytest.mark.unit

CLASS = ("a", "b", "c", "d")


def test_at1_the_expected_are_the_classs_children_in_the_session_less_those_on_leave() -> None:
    assert expected_of_class(["c", "a", "b"], on_leave=["b"]) == ("a", "c")
    assert handover_id_of("p1:2026-09-16", "c1") == "p1:2026-09-16:c1"


def test_at1_a_matching_count_is_no_discrepancy() -> None:
    assert check_given(3, ("a", "b", "c"), None, CLASS) is None
    assert check_given(3, ("a", "b", "c"), ["c", "b", "a"], CLASS) is None


def test_at1_a_different_count_is_a_discrepancy_naming_the_missing_when_known() -> None:
    assert check_given(2, ("a", "b", "c"), None, CLASS) == Discrepancy(GIVEN, expected=3, counted=2)
    assert check_given(2, ("a", "b", "c"), ["a", "c"], CLASS) == Discrepancy(GIVEN, 3, 2, ("b",))
    # The same count with another child in place of an expected one is still a discrepancy.
    assert check_given(3, ("a", "b", "c"), ["a", "b", "d"], CLASS) == Discrepancy(GIVEN, 3, 3, ("c",))


def test_at1_named_children_must_be_of_the_class_and_match_the_count() -> None:
    with pytest.raises(HandoverRuleBroken, match="not children of this class: z") as error:
        check_given(1, ("a",), ["z"], CLASS)
    assert error.value.rule == "AT-1"
    with pytest.raises(HandoverRuleBroken, match="2 children named but a count of 3"):
        check_given(3, ("a", "b", "c"), ["a", "b"], CLASS)


def test_bx3_the_receiving_count_is_checked_against_the_giving_count() -> None:
    assert check_acknowledged(3, 3) is None
    assert check_acknowledged(3, 2) == Discrepancy(ACKNOWLEDGED, expected=3, counted=2)


def test_bx3_unaccepted_children_escalate_step_by_step_until_the_ladder_ends() -> None:
    given = datetime(2026, 9, 16, 7, 50, tzinfo=UTC)
    assert escalation_due(given, 1, unaccepted_minutes=5, step_minutes=10) == datetime(2026, 9, 16, 7, 55, tzinfo=UTC)
    assert escalation_due(given, 3, unaccepted_minutes=5, step_minutes=10) == datetime(2026, 9, 16, 8, 15, tzinfo=UTC)
    assert [escalate_to(step) for step in range(5)] == [
        None,
        "service_teacher",
        "duty_leader",
        "school_admin",
        None,
    ]
