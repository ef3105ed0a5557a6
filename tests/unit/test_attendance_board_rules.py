"""Live board counts without I/O (BX-6): each expected child counted once; students per teacher vs the ratio."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.attendance.domain.board import Counts, SessionFacts, school_counts, session_counts, students_per_teacher

pytestmark = pytest.mark.unit

CLASS = frozenset({"xiaoming", "xiaohong", "xiaogang", "xiaoli", "xiaomei"})


def facts(**changes: object) -> SessionFacts:
    values: dict[str, object] = {
        "expected": CLASS,
        "checked_in": frozenset({"xiaoming", "xiaohong", "xiaomei"}),
        "checked_out": frozenset({"xiaomei"}),
        "on_leave": frozenset({"xiaogang"}),
        "teachers": 1,
        "missing_due": True,
    }
    values.update(changes)
    return SessionFacts(**values)  # type: ignore[arg-type]


def test_bx6_present_on_leave_missing_and_collected_are_counted_from_the_roster() -> None:
    counts = session_counts(facts(), students_per_teacher=30)
    assert counts == Counts(
        expected=5, present=2, on_leave=1, awaiting=0, missing=1, collected=1, teachers=1, over_ratio=False
    )


def test_bx6_before_the_absence_minutes_pass_a_child_not_yet_arrived_is_awaited_not_missing() -> None:
    counts = session_counts(facts(missing_due=False), students_per_teacher=30)
    assert (counts.awaiting, counts.missing) == (1, 0)


def test_bx6_a_child_on_leave_who_turns_up_counts_as_present() -> None:
    counts = session_counts(facts(checked_in=frozenset({"xiaogang"}), checked_out=frozenset()), students_per_teacher=30)
    assert (counts.present, counts.on_leave) == (1, 0)


def test_bx6_more_present_children_than_the_ratio_allows_is_flagged() -> None:
    assert session_counts(facts(), students_per_teacher=2).over_ratio is False
    assert session_counts(facts(), students_per_teacher=1).over_ratio is True
    assert session_counts(facts(teachers=0), students_per_teacher=30).over_ratio is True
    assert students_per_teacher(session_counts(facts(teachers=2), students_per_teacher=30)) == 1.0
    assert students_per_teacher(session_counts(facts(teachers=0), students_per_teacher=30)) is None


def test_bx6_a_school_counts_each_child_once_even_when_expected_in_two_sessions() -> None:
    homework = facts(missing_due=False)
    club = facts(expected=frozenset({"xiaoming", "xiaoli"}), missing_due=True, teachers=1)
    counts = school_counts([homework, club], teachers=2, students_per_teacher=30)
    assert counts == Counts(
        expected=5, present=2, on_leave=1, awaiting=0, missing=1, collected=1, teachers=2, over_ratio=False
    )  # 小丽 is missing: her club is due although homework is not yet


def test_bx6_a_child_on_leave_from_one_session_but_awaited_in_another_is_awaited_by_the_school() -> None:
    club = facts(expected=frozenset({"xiaogang"}), on_leave=frozenset({"xiaogang"}))
    homework = facts(expected=frozenset({"xiaogang"}), on_leave=frozenset(), missing_due=False)
    counts = school_counts([club, homework], teachers=2, students_per_teacher=30)
    assert (counts.on_leave, counts.awaiting) == (0, 1)
    assert school_counts([club], teachers=1, students_per_teacher=30).on_leave == 1


def test_bx6_a_school_is_over_the_ratio_when_any_session_is() -> None:
    crowded = facts(teachers=0)
    assert school_counts([facts(), crowded], teachers=1, students_per_teacher=30).over_ratio is True
    assert school_counts([], teachers=0, students_per_teacher=30) == Counts(0, 0, 0, 0, 0, 0, 0, over_ratio=False)


names = st.frozensets(st.sampled_from(sorted(CLASS | {"xiaoqiang"})))


@given(names, names, names, names, st.booleans())
def test_bx6_every_expected_child_is_in_exactly_one_column(
    checked_in: frozenset[str], checked_out: frozenset[str], on_leave: frozenset[str], extra: frozenset[str], due: bool
) -> None:
    expected = CLASS | extra
    counts = session_counts(
        SessionFacts(expected, checked_in, checked_out, on_leave, teachers=1, missing_due=due), students_per_teacher=30
    )
    assert counts.present + counts.on_leave + counts.awaiting + counts.missing + counts.collected == counts.expected
