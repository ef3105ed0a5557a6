"""A child's monthly fees in the stipend (EN-7, ST-6, BX-5): its class-hour lines charged by the shared fee rules
(`contracts/fees.py`, whose own rules are tested in `test_fees.py`), and late-pickup fees."""

from __future__ import annotations

from datetime import date, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from contracts.enrollment import FeeKind
from contracts.fees import FeePlan, Waiver
from services.stipend.domain.class_hours import Line
from services.stipend.domain.fees import LateFee, late_fees, program_charge

NOV = [date(2026, 11, 23) + timedelta(days=n) for n in range(5)]
PER_HOUR = FeePlan(FeeKind.PER_CLASS_HOUR, date(2026, 9, 1), fen_per_class_hour=230, max_charged_class_hours_per_day=2)
MONTHLY = FeePlan(FeeKind.MONTHLY, date(2026, 9, 1), fen_per_month=16000)


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
    half = Waiver(50, NOV[1], NOV[1])
    charge = program_charge("p-base", "x", [line(d, 2) for d in NOV[:3]], [PER_HOUR], [half], [])
    assert (charge.gross_fen, charge.waived_fen, charge.due_fen) == (1380, 230, 1150)


def test_a_revoked_waiver_ends_the_day_before_the_revocation() -> None:
    free = Waiver(0, NOV[0], None, revoked_on=NOV[2])
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
    free = FeePlan(FeeKind.FREE, date(2026, 9, 1))
    assert program_charge("p-base", "x", [line(NOV[0], 2)], [free], [], []).gross_fen == 0
    late_plan = FeePlan(FeeKind.PER_CLASS_HOUR, NOV[3], fen_per_class_hour=230, max_charged_class_hours_per_day=2)
    assert program_charge("p-base", "x", [line(d, 2) for d in NOV], [late_plan], [], []).gross_fen == 2 * 460


def test_other_programs_lines_are_not_charged_on_this_program() -> None:
    charge = program_charge("p-base", "x", [line(NOV[0], 2, program="p-chess")], [PER_HOUR], [], [])
    assert charge.attended_days == 0
    assert charge.gross_fen == 0


def test_a_late_pickup_fee_counts_once_per_check_out() -> None:
    fee = LateFee("co-1", NOV[0], 20, 1000, "ev-1")
    assert late_fees([fee, fee, LateFee("co-1", NOV[0], 20, 1000, "ev-2")]) == [fee]


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
    waiver = Waiver(percent, NOV[0])
    shuffled = data.draw(st.permutations(lines))
    once = program_charge("p-base", "x", lines, [PER_HOUR], [waiver], [])
    assert program_charge("p-base", "x", shuffled, [PER_HOUR], [waiver], []) == once
    assert 0 <= once.due_fen <= once.gross_fen <= 460 * len(hours)
