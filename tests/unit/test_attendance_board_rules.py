"""Live board counts without I/O (BX-6): each expected child counted once; students per teacher vs the ratio."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.attendance.domain.board import Counts, SessionFacts, session_counts, students_per_teacher, total

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


def test_bx6_a_schools_board_sums_its_sessions_and_is_over_if_any_session_is() -> None:
    calm = session_counts(facts(), students_per_teacher=30)
    crowded = session_counts(facts(), students_per_teacher=1)
    summed = total([calm, crowded])
    assert (summed.expected, summed.present, summed.teachers, summed.over_ratio) == (10, 4, 2, True)


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
