"""A child's monthly fees (EN-7, ST-6, BX-5): per class-hour with the daily cap, monthly, waivers, late pickup."""

from __future__ import annotations

from datetime import date, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from services.stipend.domain.class_hours import Line
from services.stipend.domain.fees import (
    FeePlan,
    LateFee,
    TermSettlement,
    Waiver,
    late_fees,
    plan_in_force,
    prepayment,
    program_charge,
    service_days,
)

NOV = [date(2026, 11, 23) + timedelta(days=n) for n in range(5)]
PER_HOUR = FeePlan("per_class_hour", date(2026, 9, 1), fen_per_class_hour=230, max_per_day=2)
MONTHLY = FeePlan("monthly", date(2026, 9, 1), fen_per_month=16000)


def line(day: date, hours: int, program: str = "p-base", event: str = "ev") -> Line:
    return Line(day, program, "homework_supervision", hours, "SR-1", (f"{event}-{day.day}",))


def test_a_three_class_hour_day_is_charged_at_most_two_class_hours() -> None:
    """EN-7: 230 fen × min(3, 2) = 460 fen a day; two such days = 920 fen."""
    charge = program_charge("p-base", "homework_supervision", [line(NOV[0], 3), line(NOV[1], 3)], [PER_HOUR], [], [])
    assert (charge.attended_days, charge.class_hours, charge.charged_class_hours) == (2, 6, 4)
    assert (charge.gross_fen, charge.due_fen) == (920, 920)


def test_a_day_of_one_class_hour_costs_one_class_hour() -> None:
    charge = program_charge("p-base", "x", [line(NOV[0], 1)], [PER_HOUR], [], [])
    assert charge.gross_fen == 230


def test_a_waiver_charges_the_percentage_payable_on_the_days_it_covers() -> None:
    half = Waiver("w1", 50, NOV[1], NOV[1])
    charge = program_charge("p-base", "x", [line(d, 2) for d in NOV[:3]], [PER_HOUR], [half], [])
    assert (charge.gross_fen, charge.waived_fen, charge.due_fen) == (1380, 230, 1150)


def test_a_revoked_waiver_ends_the_day_before_the_revocation() -> None:
    free = Waiver("w1", 0, NOV[0], None, revoked_on=NOV[2])
    charge = program_charge("p-base", "x", [line(d, 2) for d in NOV[:4]], [PER_HOUR], [free], [])
    assert charge.due_fen == 2 * 460


def test_a_monthly_fee_is_due_by_the_service_days_attended() -> None:
    """EN-7: 160 yuan a month, 20 service days, 5 attended = 40 yuan."""
    days = [
        date(2026, 11, 2) + timedelta(days=n)
        for n in range(28)
        if (date(2026, 11, 2) + timedelta(days=n)).weekday() < 5
    ]
    charge = program_charge("p-base", "x", [line(d, 2) for d in NOV], [MONTHLY], [], days)
    assert len(days) == 20
    assert (charge.gross_fen, charge.charged_class_hours) == (4000, 0)


def test_a_free_plan_and_a_day_before_any_plan_cost_nothing() -> None:
    free = FeePlan("free", date(2026, 9, 1))
    assert program_charge("p-base", "x", [line(NOV[0], 2)], [free], [], []).gross_fen == 0
    late_plan = FeePlan("per_class_hour", NOV[3], fen_per_class_hour=230, max_per_day=2)
    assert program_charge("p-base", "x", [line(d, 2) for d in NOV], [late_plan], [], []).gross_fen == 2 * 460


def test_the_plan_in_force_is_the_latest_not_after_the_day() -> None:
    dearer = FeePlan("per_class_hour", NOV[2], fen_per_class_hour=300, max_per_day=2)
    assert plan_in_force([dearer, PER_HOUR], NOV[1]) == PER_HOUR
    assert plan_in_force([PER_HOUR, dearer], NOV[2]) == dearer


def test_other_programs_lines_are_not_charged_on_this_program() -> None:
    charge = program_charge("p-base", "x", [line(NOV[0], 2, program="p-chess")], [PER_HOUR], [], [])
    assert charge.attended_days == 0
    assert charge.gross_fen == 0


def test_a_late_pickup_fee_counts_once_per_check_out() -> None:
    fee = LateFee("co-1", NOV[0], 20, 1000, "ev-1")
    assert late_fees([fee, fee, LateFee("co-1", NOV[0], 20, 1000, "ev-2")]) == [fee]


def test_service_days_are_the_programs_weekdays_that_are_school_days_before_cancellation() -> None:
    holiday = date(2026, 11, 11)
    days = service_days(lambda d: d != holiday, [2], year=2026, month=11, cancelled_on=date(2026, 11, 25))
    assert days == [date(2026, 11, 4), date(2026, 11, 18)]


@settings(max_examples=300, deadline=None)
@given(
    hours=st.lists(st.integers(0, 5), min_size=1, max_size=5),
    percent=st.integers(0, 99),
    data=st.data(),
)
def test_fees_are_whole_fen_capped_and_the_same_whatever_the_order_or_repeats(
    hours: list[int], percent: int, data: st.DataObject
) -> None:
    """ST-7/EN-7: due ≤ gross ≤ 460 fen a day; shuffled and repeated lines give the same month."""
    lines = [line(NOV[i], h) for i, h in enumerate(hours)]
    waiver = Waiver("w", percent, NOV[0])
    shuffled = data.draw(st.permutations(lines))
    once = program_charge("p-base", "x", lines, [PER_HOUR], [waiver], [])
    assert program_charge("p-base", "x", shuffled, [PER_HOUR], [waiver], []) == once
    assert 0 <= once.due_fen <= once.gross_fen <= 460 * len(hours)


def test_a_monthly_prepayment_is_fee_times_months_at_the_percentage_payable() -> None:
    """EN-7: 160 yuan × 5 months, at 50 % for a family with a waiver; other plans prepay nothing."""
    assert prepayment(MONTHLY, 5, 100) == 80_000
    assert prepayment(MONTHLY, 5, 50) == 40_000
    assert prepayment(PER_HOUR, 5, 100) == 0


def test_the_term_settles_the_difference_one_way_only() -> None:
    """EN-7 多退少补."""
    assert (TermSettlement("p", 48_000, 1_524).refund_fen, TermSettlement("p", 48_000, 1_524).collect_fen) == (
        46_476,
        0,
    )
    assert (TermSettlement("p", 0, 920).refund_fen, TermSettlement("p", 0, 920).collect_fen) == (0, 920)
