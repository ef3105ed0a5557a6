"""Policy profile rules without I/O: validation (PL-2) and resolution with effective dates (PL-1)."""

from __future__ import annotations

from datetime import date, time, timedelta
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from contracts.policy import PolicySettings
from services.enrollment.domain.policy import (
    apply_overrides,
    change_points,
    check_effective_from,
    check_settings,
    in_force,
    parse_overrides,
    parse_settings,
    resolve,
    violations,
)
from services.enrollment.domain.setup import RuleBroken

pytestmark = pytest.mark.unit

SEPT = date(2026, 9, 1)


def test_pl2_the_national_defaults_break_no_rule() -> None:
    assert violations(PolicySettings()) == []


@pytest.mark.parametrize(
    ("values", "rule", "field"),
    [
        ({"extended_care_end": "18:30"}, "EN-5", "extended_care_end"),  # after latest_end 18:15
        ({"extended_care_end_winter": "18:05"}, "EN-5", "extended_care_end"),  # winter later than the rest
        ({"dismissal_times": {"3": "18:20"}}, "EN-5", "dismissal_times.3"),
        ({"dismissal_times": {"12": "17:00"}}, "AT-4", "dismissal_times.12"),
        ({"written_minutes_cap_by_grade": {"2": 20}}, "HW-1", "written_minutes_cap_by_grade.2"),
        ({"written_minutes_cap_by_grade": {"4": 200}}, "HW-2", "written_minutes_cap_by_grade.4"),
        ({"written_minutes_cap_by_grade": {"10": 60}}, "HW-2", "written_minutes_cap_by_grade.10"),
        ({"min_class_hours_per_day": 5, "class_hour_minutes": 45}, "EN-5", "min_class_hours_per_day"),
        ({"dismissal_plan_cutoff": "17:10"}, "BX-5", "dismissal_plan_cutoff"),
    ],
)
def test_pl2_inconsistent_settings_are_refused_naming_the_rule_and_the_field(
    values: dict[str, Any], rule: str, field: str
) -> None:
    settings = parse_settings(values)
    with pytest.raises(RuleBroken) as refused:
        check_settings(settings)
    assert (refused.value.rule, refused.value.field) == (rule, field)


def test_hw1_grades_one_and_two_may_keep_a_zero_cap() -> None:
    assert check_settings(parse_settings({"written_minutes_cap_by_grade": {"1": 0, "3": 30, "6": 60}}))


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"class_hour_minutes": 90}, "class_hour_minutes"),
        ({"absence_after_minutes": -5}, "absence_after_minutes"),
        ({"latest_end": "late"}, "latest_end"),
        ({"late_pickup_fee_fen": 1.5}, "late_pickup_fee_fen"),
    ],
)
def test_pl2_a_value_out_of_its_range_names_its_field(values: dict[str, Any], field: str) -> None:
    with pytest.raises(RuleBroken) as refused:
        parse_settings(values)
    assert (refused.value.rule, refused.value.field) == ("PL-2", field)


def test_pl2_overrides_are_checked_field_by_field_and_kept_in_canonical_form() -> None:
    assert parse_overrides({"latest_end": "18:00", "dismissal_times": {3: "17:10"}}) == {
        "dismissal_times": {"3": "17:10:00"},
        "latest_end": "18:00:00",
    }
    with pytest.raises(RuleBroken) as unknown:
        parse_overrides({"lunch_minutes": 30})
    assert (unknown.value.rule, unknown.value.field) == ("PL-2", "lunch_minutes")
    with pytest.raises(RuleBroken) as negative:
        parse_overrides({"max_subjects_weekend": -1})
    assert negative.value.field == "max_subjects_weekend"


def test_pl1_a_change_takes_effect_today_or_later_never_in_the_past() -> None:
    check_effective_from(SEPT, today=SEPT)
    with pytest.raises(RuleBroken) as refused:
        check_effective_from(SEPT - timedelta(days=1), today=SEPT)
    assert (refused.value.rule, refused.value.field) == ("PL-1", "effective_from")


def test_pl1_a_school_inherits_the_district_default_and_overrides_only_its_own_fields() -> None:
    district = [(SEPT, parse_settings({"class_hour_minutes": 45, "withdrawal_notice_days": 14}))]
    school = [(date(2026, 10, 1), {"withdrawal_notice_days": 7})]
    assert resolve([], [], SEPT) == PolicySettings()
    before = resolve(district, school, date(2026, 9, 30))
    assert (before.class_hour_minutes, before.withdrawal_notice_days) == (45, 14)
    after = resolve(district, school, date(2026, 10, 1))
    assert (after.class_hour_minutes, after.withdrawal_notice_days) == (45, 7)
    assert resolve(district, school, date(2026, 8, 31)) == PolicySettings()  # before anything was in force


def test_pl1_change_points_start_with_the_one_in_force() -> None:
    points = [date(2026, 9, 1), date(2026, 10, 1), date(2026, 10, 1), date(2026, 11, 1)]
    assert change_points(points, date(2026, 10, 15)) == [date(2026, 10, 1), date(2026, 11, 1)]
    assert change_points(points, date(2026, 8, 1)) == [date(2026, 9, 1), date(2026, 10, 1), date(2026, 11, 1)]
    assert change_points([], date(2026, 8, 1)) == []


days = st.integers(0, 120).map(lambda n: SEPT + timedelta(days=n))
notice = st.integers(0, 60)
district_records = st.lists(st.tuples(days, notice), max_size=5, unique_by=lambda r: r[0])
school_records = st.lists(st.tuples(days, st.one_of(st.none(), notice)), max_size=5, unique_by=lambda r: r[0])


def _as_records(
    district: list[tuple[date, int]], school: list[tuple[date, int | None]]
) -> tuple[list[tuple[date, PolicySettings]], list[tuple[date, dict[str, Any]]]]:
    return (
        [(d, PolicySettings(withdrawal_notice_days=n)) for d, n in district],
        [(d, {} if n is None else {"withdrawal_notice_days": n}) for d, n in school],
    )


@given(district=district_records, school=school_records, on=days)
def test_pl1_the_setting_in_force_is_the_latest_school_override_else_the_latest_district_default(
    district: list[tuple[date, int]], school: list[tuple[date, int | None]], on: date
) -> None:
    district_settings, overrides = _as_records(district, school)
    latest_school = max((r for r in school if r[0] <= on), default=None)
    latest_district = max((r for r in district if r[0] <= on), default=None)
    if latest_school is not None and latest_school[1] is not None:
        expected = latest_school[1]
    elif latest_district is not None:
        expected = latest_district[1]
    else:
        expected = PolicySettings().withdrawal_notice_days
    assert resolve(district_settings, overrides, on).withdrawal_notice_days == expected


@given(district=district_records, school=school_records, change=days, value=notice, on=days)
def test_pl1_a_change_from_a_date_leaves_every_earlier_day_as_it_was(
    district: list[tuple[date, int]], school: list[tuple[date, int | None]], change: date, value: int, on: date
) -> None:
    district_settings, overrides = _as_records(district, school)
    changed = [r for r in district_settings if r[0] != change] + [
        (change, PolicySettings(withdrawal_notice_days=value))
    ]
    before = resolve(district_settings, overrides, on)
    after = resolve(changed, overrides, on)
    if on < change:
        assert after == before
    else:
        assert change in change_points([d for d, _ in changed] + [d for d, _ in overrides], change)


def test_pl1_in_force_ignores_records_from_later_days() -> None:
    assert in_force([(date(2026, 10, 1), "b"), (SEPT, "a")], date(2026, 9, 15)) == "a"
    assert in_force([(date(2026, 10, 1), "b")], SEPT) is None


def test_an_override_replaces_a_whole_field() -> None:
    base = parse_settings({"dismissal_times": {"1": "16:50", "2": "16:50"}})
    resolved = apply_overrides(base, {"dismissal_times": {"1": "17:00"}})
    assert resolved.dismissal_times == {1: time(17, 0)}
    assert apply_overrides(base, {}) is base
