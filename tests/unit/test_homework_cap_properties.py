"""HW-1..HW-4 as properties: for any policy profile and any sequence of attempts, the accepted homework never
breaks a cap, and an attempt is refused only when accepting it would break one.

The oracle below restates the caps straight from the policy numbers, independently of the engine's code.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from contracts.enrollment import DayKind
from contracts.homework import HomeworkKind
from contracts.policy import PolicySettings
from services.homework.domain.caps import ClassDay, Load, check

pytestmark = pytest.mark.unit

SUBJECTS = ["语文", "数学", "英语", "科学", "体育"]


def breaks_a_cap(day: ClassDay, loads: list[Load]) -> bool:
    """Whether a class-day holding `loads` breaks HW-1, HW-2 or HW-3."""
    written = sum(load.minutes for load in loads if load.kind is HomeworkKind.WRITTEN)
    if day.grade <= 2 and written > 0:
        return True
    if written > day.policy.written_minutes_cap_by_grade.get(day.grade, 0) and day.grade > 2:
        return True
    subjects = {load.subject for load in loads}
    if day.kind is DayKind.SCHOOL_DAY:
        return len(subjects) > day.policy.max_subjects_school_day
    total = sum(load.minutes for load in loads)
    return len(subjects) > day.policy.max_subjects_weekend or total > day.policy.max_minutes_weekend_holiday


policies = st.builds(
    PolicySettings,
    written_minutes_cap_by_grade=st.dictionaries(st.integers(3, 9), st.integers(0, 120), min_size=0, max_size=7),
    max_subjects_school_day=st.integers(0, 4),
    max_subjects_weekend=st.integers(0, 5),
    max_minutes_weekend_holiday=st.integers(0, 180),
)
days = st.builds(ClassDay, grade=st.integers(1, 9), kind=st.sampled_from(list(DayKind)), policy=policies)
attempts = st.lists(
    st.builds(
        Load, subject=st.sampled_from(SUBJECTS), kind=st.sampled_from(list(HomeworkKind)), minutes=st.integers(1, 90)
    ),
    max_size=12,
)


@settings(max_examples=400, deadline=None)
@given(day=days, sequence=attempts)
def test_accepted_homework_never_breaks_a_cap_and_refusals_are_always_needed(
    day: ClassDay, sequence: list[Load]
) -> None:
    accepted: list[Load] = []
    for attempt in sequence:
        refusal = check(day, accepted, attempt)
        would_break = breaks_a_cap(day, [*accepted, attempt])
        assert (refusal is not None) == would_break, (refusal, accepted, attempt)
        if refusal is None:
            accepted.append(attempt)
        assert not breaks_a_cap(day, accepted)


@settings(max_examples=200, deadline=None)
@given(day=days, sequence=attempts)
def test_a_refusal_reports_what_the_day_already_holds(day: ClassDay, sequence: list[Load]) -> None:
    accepted: list[Load] = []
    for attempt in sequence:
        refusal = check(day, accepted, attempt)
        if refusal is None:
            accepted.append(attempt)
            continue
        assert refusal.rule in {"HW-1", "HW-2", "HW-3"}
        assert refusal.assigned_minutes == sum(refusal.minutes_by_subject.values())
        assert set(refusal.minutes_by_subject) <= {load.subject for load in accepted}
