"""Dismissal rules without I/O: staggered times (AT-4), each child's plan and its cutoff (BX-5)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

import pytest

from chassis.clock import SCHOOL_TZ
from contracts.attendance.dismissal import DismissalMode
from contracts.policy import PolicySettings
from services.attendance.domain.dismissal import (
    PlanChange,
    PlanChangeTooLate,
    check_change_in_time,
    dismissal_at,
    dismissal_bands,
    first_day_of_repeating,
    is_early,
    plan_for,
)

pytestmark = pytest.mark.unit

WEDNESDAY = date(2026, 11, 25)
THURSDAY = date(2026, 11, 26)


def local(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=SCHOOL_TZ)


def test_at4_grades_are_dismissed_in_staggered_bands_by_default() -> None:
    policy = PolicySettings()
    assert dismissal_at(WEDNESDAY, 1, policy) == local(WEDNESDAY, 17, 0)
    assert dismissal_at(WEDNESDAY, 4, policy) == local(WEDNESDAY, 17, 20)
    assert dismissal_at(WEDNESDAY, 6, policy) == local(WEDNESDAY, 17, 30)
    assert dismissal_bands(policy, [1, 2, 3, 5, 6, 2]) == {time(17, 0): [1, 2], time(17, 20): [3], time(17, 30): [5, 6]}


def test_at4_a_schools_own_dismissal_times_decide() -> None:
    policy = PolicySettings(dismissal_times={1: time(16, 30), 2: time(16, 45)})
    assert dismissal_at(WEDNESDAY, 2, policy) == local(WEDNESDAY, 16, 45)
    assert dismissal_at(WEDNESDAY, 5, policy) == local(WEDNESDAY, 16, 45)  # unlisted grades go with the last band


def test_at4_collecting_before_the_dismissal_time_is_a_flexible_early_departure() -> None:
    assert is_early(local(WEDNESDAY, 16, 10), local(WEDNESDAY, 17, 0))
    assert not is_early(local(WEDNESDAY, 17, 5), local(WEDNESDAY, 17, 0))


def test_bx5_without_a_plan_a_child_goes_home_with_a_guardian() -> None:
    assert plan_for(WEDNESDAY, []) is DismissalMode.GUARDIAN


def test_bx5_every_wednesday_by_bus_repeats_and_a_one_day_change_wins() -> None:
    changes = [
        PlanChange(DismissalMode.WALKER, from_date=date(2026, 11, 1)),
        PlanChange(DismissalMode.BUS, weekday=2, from_date=date(2026, 11, 1)),
    ]
    assert plan_for(WEDNESDAY, changes) is DismissalMode.BUS
    assert plan_for(THURSDAY, changes) is DismissalMode.WALKER
    assert plan_for(date(2026, 12, 2), changes) is DismissalMode.BUS  # next Wednesday too
    one_day = [*changes, PlanChange(DismissalMode.GUARDIAN, on=WEDNESDAY)]
    assert plan_for(WEDNESDAY, one_day) is DismissalMode.GUARDIAN
    assert plan_for(date(2026, 12, 2), one_day) is DismissalMode.BUS


def test_bx5_a_repeating_change_ends_after_its_last_day_and_a_later_standing_plan_replaces_an_earlier() -> None:
    changes = [
        PlanChange(DismissalMode.PROGRAM, weekday=2, from_date=date(2026, 11, 1), until=date(2026, 11, 30)),
        PlanChange(DismissalMode.WALKER, from_date=date(2026, 11, 1)),
        PlanChange(DismissalMode.GUARDIAN, from_date=date(2026, 12, 1)),
    ]
    assert plan_for(WEDNESDAY, changes) is DismissalMode.PROGRAM
    assert plan_for(THURSDAY, changes) is DismissalMode.WALKER
    assert plan_for(date(2026, 12, 2), changes) is DismissalMode.GUARDIAN


def test_bx5_todays_plan_changes_only_before_the_cutoff() -> None:
    cutoff = time(15, 0)
    check_change_in_time(WEDNESDAY, local(WEDNESDAY, 14, 59).astimezone(UTC), cutoff)
    check_change_in_time(THURSDAY, local(WEDNESDAY, 16, 0), cutoff)  # tomorrow is always open
    with pytest.raises(PlanChangeTooLate, match="cutoff was 15:00"):
        check_change_in_time(WEDNESDAY, local(WEDNESDAY, 15, 1), cutoff)
    with pytest.raises(PlanChangeTooLate, match="already past"):
        check_change_in_time(date(2026, 11, 24), local(WEDNESDAY, 9, 0), cutoff)


def test_bx5_a_repeating_change_after_the_cutoff_starts_next_week() -> None:
    cutoff = time(15, 0)
    assert first_day_of_repeating(2, local(WEDNESDAY, 10, 0), cutoff) == WEDNESDAY
    assert first_day_of_repeating(2, local(WEDNESDAY, 16, 0), cutoff) == date(2026, 12, 2)
    assert first_day_of_repeating(3, local(WEDNESDAY, 16, 0), cutoff) == THURSDAY
