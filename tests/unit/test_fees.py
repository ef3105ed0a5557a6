"""Fee plans, waivers and what a family owes (EN-7, ST-6, ST-7): the shared rules (`contracts/fees.py`, used by
enrollment and the stipend) with the seed numbers."""

from __future__ import annotations

import math
import random
from datetime import date, timedelta
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from contracts.enrollment import FeeKind, TermCalendarSet
from contracts.fees import (
    Attendance,
    FeePlan,
    FeeRuleBroken,
    MonthDue,
    Waiver,
    charge_days,
    check_plan,
    check_revocation,
    check_waiver,
    class_hours_by_day,
    day_charge_fen,
    month_due,
    plan_in_force,
    prepayment_fen,
    service_days,
    settle_term,
)

pytestmark = pytest.mark.unit

TODAY = date(2026, 9, 1)
# The seed's numbers (002): 2.3 yuan a class-hour, at most 2 charged a day = 4.6 yuan/day; or 160 yuan a month.
SEED_PER_HOUR = FeePlan(FeeKind.PER_CLASS_HOUR, TODAY, fen_per_class_hour=230, max_charged_class_hours_per_day=2)
SEED_MONTHLY = FeePlan(FeeKind.MONTHLY, TODAY, fen_per_month=16_000)
# September 2026 has 22 weekdays; the school runs the service on each of them.
SEPTEMBER = [d for d in (date(2026, 9, 1) + timedelta(days=n) for n in range(30)) if d.weekday() < 5]


def attended(days: list[date], hours: int = 2) -> list[Attendance]:
    return [Attendance(f"r-{d}", d, hours) for d in days]


def due(
    plan: FeePlan, records: list[Attendance], waivers: tuple[Waiver, ...] = (), days: list[date] = SEPTEMBER
) -> MonthDue:
    return month_due(program_id="homework", plans=[plan], waivers=waivers, attendance=records, service_days=days)


# --- plans -----------------------------------------------------------------------------------------------------


def test_en7_the_seed_per_class_hour_plan_is_valid() -> None:
    plan = check_plan(
        FeeKind.PER_CLASS_HOUR,
        effective_from=TODAY,
        today=TODAY,
        fen_per_class_hour=230,
        max_charged_class_hours_per_day=2,
    )
    assert plan == SEED_PER_HOUR


def test_en7_a_monthly_plan_and_a_free_plan_are_valid() -> None:
    assert check_plan(FeeKind.MONTHLY, effective_from=TODAY, today=TODAY, fen_per_month=16_000) == SEED_MONTHLY
    assert check_plan(FeeKind.FREE, effective_from=TODAY, today=TODAY) == FeePlan(FeeKind.FREE, TODAY)


@pytest.mark.parametrize(
    ("kind", "amounts", "names"),
    [
        (FeeKind.PER_CLASS_HOUR, {"max_charged_class_hours_per_day": 2}, "fen_per_class_hour"),
        (FeeKind.PER_CLASS_HOUR, {"fen_per_class_hour": 0, "max_charged_class_hours_per_day": 2}, "fen_per_class_hour"),
        (FeeKind.PER_CLASS_HOUR, {"fen_per_class_hour": -230, "max_charged_class_hours_per_day": 2}, "fen_per_class"),
        (FeeKind.PER_CLASS_HOUR, {"fen_per_class_hour": 23_000, "max_charged_class_hours_per_day": 2}, "10000"),
        (FeeKind.PER_CLASS_HOUR, {"fen_per_class_hour": 230}, "max_charged_class_hours_per_day"),
        (FeeKind.PER_CLASS_HOUR, {"fen_per_class_hour": 230, "max_charged_class_hours_per_day": 13}, "12"),
        (
            FeeKind.PER_CLASS_HOUR,
            {"fen_per_class_hour": 230, "max_charged_class_hours_per_day": 2, "fen_per_month": 1},
            "fen_per_month",
        ),
        (FeeKind.MONTHLY, {}, "fen_per_month"),
        (FeeKind.MONTHLY, {"fen_per_month": 0}, "fen_per_month"),
        (FeeKind.MONTHLY, {"fen_per_month": 600_000}, "500000"),
        (FeeKind.MONTHLY, {"fen_per_month": 16_000, "fen_per_class_hour": 230}, "fen_per_class_hour"),
        (FeeKind.FREE, {"fen_per_month": 16_000}, "fen_per_month"),
        (FeeKind.FREE, {"max_charged_class_hours_per_day": 2}, "max_charged"),
    ],
)
def test_en7_a_plan_with_wrong_amounts_is_refused_naming_them(
    kind: FeeKind, amounts: dict[str, int], names: str
) -> None:
    with pytest.raises(FeeRuleBroken, match=names) as refused:
        check_plan(kind, effective_from=TODAY, today=TODAY, **amounts)
    assert refused.value.rule == "EN-7"


def test_en7_a_plan_never_takes_effect_in_the_past() -> None:
    with pytest.raises(FeeRuleBroken, match="past"):
        check_plan(FeeKind.FREE, effective_from=TODAY - timedelta(days=1), today=TODAY)


def test_en7_the_plan_in_force_is_the_latest_effective_one_and_a_reset_replaces_it() -> None:
    october = FeePlan(FeeKind.FREE, date(2026, 10, 1))
    corrected = FeePlan(FeeKind.MONTHLY, date(2026, 10, 1), fen_per_month=15_000)
    plans = [SEED_PER_HOUR, october, corrected]
    assert plan_in_force(plans, date(2026, 8, 31)) is None
    assert plan_in_force(plans, date(2026, 9, 30)) == SEED_PER_HOUR
    assert plan_in_force(plans, date(2026, 10, 1)) == corrected


# --- waivers ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("percent", [-1, 100, 101])
def test_en7_a_waiver_lowers_the_price(percent: int) -> None:
    with pytest.raises(FeeRuleBroken, match="percent_payable"):
        check_waiver(percent_payable=percent, valid_from=TODAY, valid_to=None)


def test_en7_a_waiver_does_not_end_before_it_starts() -> None:
    check_waiver(percent_payable=0, valid_from=TODAY, valid_to=TODAY)
    with pytest.raises(FeeRuleBroken, match="before it starts"):
        check_waiver(percent_payable=0, valid_from=TODAY, valid_to=TODAY - timedelta(days=1))


def test_en7_a_revocation_is_never_retroactive_nor_after_the_waiver_ends() -> None:
    waiver = Waiver(50, valid_from=date(2026, 9, 1), valid_to=date(2026, 12, 31))
    check_revocation(waiver, effective_on=TODAY, today=TODAY)
    with pytest.raises(FeeRuleBroken, match="past"):
        check_revocation(waiver, effective_on=TODAY - timedelta(days=1), today=TODAY)
    with pytest.raises(FeeRuleBroken, match="already ends"):
        check_revocation(waiver, effective_on=date(2027, 1, 1), today=TODAY)
    revoked = Waiver(50, valid_from=date(2026, 9, 1), revoked_on=date(2026, 9, 10))
    with pytest.raises(FeeRuleBroken, match="already revoked"):
        check_revocation(revoked, effective_on=date(2026, 9, 20), today=TODAY)


def test_en7_a_revoked_waiver_stops_the_day_it_is_revoked_from() -> None:
    waiver = Waiver(0, valid_from=date(2026, 9, 1), revoked_on=date(2026, 9, 15), program_id="homework")
    assert waiver.covers(date(2026, 9, 14), "homework")
    assert not waiver.covers(date(2026, 9, 15), "homework")
    assert not waiver.covers(date(2026, 9, 14), "chess")


# --- what is owed: the seed numbers ----------------------------------------------------------------------------


def test_en7_a_day_charges_at_most_the_daily_cap_230_fen_times_2() -> None:
    assert day_charge_fen(SEED_PER_HOUR, 1) == 230
    assert day_charge_fen(SEED_PER_HOUR, 2) == 460
    assert day_charge_fen(SEED_PER_HOUR, 3) == 460
    assert day_charge_fen(SEED_MONTHLY, 3) == 0
    assert day_charge_fen(None, 3) == 0


def test_st6_a_full_month_per_class_hour_is_22_days_at_4_6_yuan() -> None:
    month = due(SEED_PER_HOUR, attended(SEPTEMBER, hours=3))
    assert month == MonthDue(attended_days=22, charged_class_hours=44, gross_fen=22 * 460, due_fen=22 * 460)


def test_st6_a_full_month_on_the_monthly_plan_is_exactly_160_yuan() -> None:
    assert due(SEED_MONTHLY, attended(SEPTEMBER)).due_fen == 16_000


def test_st6_a_monthly_plan_is_due_by_the_service_days_attended() -> None:
    # 15 of 22 days: 16000 × 15 / 22 = 10909.09… → 10909 fen.
    assert due(SEED_MONTHLY, attended(SEPTEMBER[:15])).due_fen == 10_909


def test_st6_records_outside_the_service_days_and_empty_records_charge_nothing() -> None:
    saturday = date(2026, 9, 5)
    records = [Attendance("sat", saturday, 2), Attendance("zero", SEPTEMBER[0], 0)]
    assert due(SEED_PER_HOUR, records) == MonthDue(0, 0, 0, 0)


def test_en7_a_free_plan_costs_nothing() -> None:
    assert due(FeePlan(FeeKind.FREE, TODAY), attended(SEPTEMBER)).due_fen == 0


def test_en7_half_a_waiver_halves_the_month() -> None:
    half = Waiver(50, valid_from=TODAY)
    assert due(SEED_PER_HOUR, attended(SEPTEMBER), (half,)).due_fen == 22 * 230


def test_st7_the_waiver_is_rounded_once_a_month_not_once_a_day() -> None:
    # 15 % of 460 fen is 69 fen exactly over two days; rounding each day (69 → 34.5 → 35) would invent a fen.
    fifteen = Waiver(15, valid_from=TODAY)
    month = due(SEED_PER_HOUR, attended(SEPTEMBER[:2], hours=1), (fifteen,))
    assert (month.gross_fen, month.due_fen, month.waived_fen) == (460, 69, 391)


def test_st7_the_month_is_rounded_half_up() -> None:
    # 33 % of 230 fen is 75.9 fen → 76; 50 % of 1 day of a monthly plan over 22 days: 8000/22 = 363.6… → 364.
    assert due(SEED_PER_HOUR, attended(SEPTEMBER[:1], 1), (Waiver(33, TODAY),)).due_fen == 76
    assert due(SEED_MONTHLY, attended(SEPTEMBER[:1]), (Waiver(50, TODAY),)).due_fen == 364


def test_en7_the_most_favourable_waiver_applies_and_only_to_its_program() -> None:
    waivers = (Waiver(80, TODAY), Waiver(0, TODAY, program_id="chess"), Waiver(50, TODAY, program_id="homework"))
    assert due(SEED_PER_HOUR, attended(SEPTEMBER), waivers).due_fen == 22 * 230


def test_en7_a_waiver_covers_only_its_days() -> None:
    waiver = Waiver(0, valid_from=SEPTEMBER[0], valid_to=SEPTEMBER[9])
    assert due(SEED_PER_HOUR, attended(SEPTEMBER), (waiver,)).due_fen == 12 * 460


def test_en7_a_plan_change_within_the_month_judges_each_day_by_its_own_plan() -> None:
    monthly_from_16th = FeePlan(FeeKind.MONTHLY, date(2026, 9, 16), fen_per_month=16_000)
    month = month_due(
        program_id="homework",
        plans=[SEED_PER_HOUR, monthly_from_16th],
        waivers=(),
        attendance=attended(SEPTEMBER),
        service_days=SEPTEMBER,
    )
    # 11 service days at 460 fen, then 11 of 22 service days of 16000 fen.
    assert month.due_fen == 11 * 460 + 8_000


def test_en7_settlement_refunds_the_excess_and_collects_the_shortfall() -> None:
    prepaid = prepayment_fen(SEED_MONTHLY, months=4)
    assert prepaid == 64_000
    full, short = due(SEED_MONTHLY, attended(SEPTEMBER)), due(SEED_MONTHLY, attended(SEPTEMBER[:15]))
    refund = settle_term(prepaid_fen=prepaid, months=[full, full, full, short])
    assert (refund.due_fen, refund.refund_fen, refund.collect_fen) == (58_909, 5_091, 0)
    collect = settle_term(prepaid_fen=prepayment_fen(SEED_MONTHLY, months=2), months=[full, full, short])
    assert (collect.refund_fen, collect.collect_fen) == (0, 10_909)


def test_en7_a_waived_family_prepays_its_share_and_other_plans_prepay_nothing() -> None:
    assert prepayment_fen(SEED_MONTHLY, months=4, percent_payable=0) == 0
    assert prepayment_fen(SEED_MONTHLY, months=4, percent_payable=25) == 16_000
    assert prepayment_fen(SEED_PER_HOUR, months=4) == 0


def test_st7_a_record_delivered_twice_counts_once_and_a_changed_copy_is_refused() -> None:
    record = Attendance("r1", TODAY, 2)
    assert class_hours_by_day([record, record, Attendance("r2", TODAY, 1)]) == {TODAY: 3}
    with pytest.raises(FeeRuleBroken, match="different contents"):
        class_hours_by_day([record, Attendance("r1", TODAY, 3)])


AUTUMN = TermCalendarSet(
    term_id="2026-autumn",
    school_id="shiyan",
    name="2026秋季学期",
    starts_on=date(2026, 9, 1),
    ends_on=date(2027, 1, 20),
    holidays=[date(2026, 10, d) for d in range(1, 8) if date(2026, 10, d).weekday() < 5],  # 国庆
    makeup_days=[date(2026, 10, 10)],  # a Saturday with school
)


def test_st6_the_service_days_of_a_month_come_from_the_term_calendar_and_the_weekdays() -> None:
    assert service_days(AUTUMN, range(5), year=2026, month=9) == SEPTEMBER
    october = service_days(AUTUMN, range(5), year=2026, month=10)
    assert date(2026, 10, 1) not in october
    assert date(2026, 10, 10) in october  # the make-up Saturday
    assert len(october) == 22 - 5 + 1  # 22 weekdays, 5 of them the national holiday, one make-up day
    chess_on_tuesdays = service_days(AUTUMN, [1], year=2026, month=10)
    assert chess_on_tuesdays == [date(2026, 10, 13), date(2026, 10, 20), date(2026, 10, 27)]
    assert service_days(AUTUMN, range(5), year=2027, month=2) == []  # winter vacation
    cancelled = service_days(AUTUMN, [1], year=2026, month=10, cancelled_on=date(2026, 10, 20))
    assert cancelled == [date(2026, 10, 13)]


def test_st6_service_days_belong_to_one_month() -> None:
    with pytest.raises(FeeRuleBroken, match="one calendar month"):
        due(SEED_PER_HOUR, [], days=[date(2026, 9, 30), date(2026, 10, 1)])


def test_st6_attended_days_are_charged_by_their_plan_a_monthly_plan_on_its_service_days_only() -> None:
    """ST-6 as the stipend applies it to its schedule's lines: a per-class-hour day counts wherever the line fell;
    a monthly plan charges `fee ÷ service days` for the attended service days alone."""
    days = SEPTEMBER[:2]
    saturday = date(2026, 9, 5)
    hours = {days[0]: 3, days[1]: 0, saturday: 2}
    per_hour = charge_days(program_id="p", plans=[SEED_PER_HOUR], waivers=[], hours=hours, service_days=days)
    assert (per_hour.attended_days, per_hour.charged_class_hours, per_hour.gross_fen) == (2, 4, 4 * 230)
    monthly = charge_days(program_id="p", plans=[SEED_MONTHLY], waivers=[], hours=hours, service_days=days)
    assert (monthly.attended_days, monthly.gross_fen, monthly.due_fen) == (2, 8_000, 8_000)


# --- properties ------------------------------------------------------------------------------------------------

plans = st.one_of(
    st.builds(
        FeePlan,
        st.just(FeeKind.PER_CLASS_HOUR),
        st.just(TODAY),
        fen_per_class_hour=st.integers(1, 10_000),
        max_charged_class_hours_per_day=st.integers(1, 12),
    ),
    st.builds(FeePlan, st.just(FeeKind.MONTHLY), st.just(TODAY), fen_per_month=st.integers(1, 500_000)),
    st.just(FeePlan(FeeKind.FREE, TODAY)),
)
records = st.lists(
    st.builds(Attendance, st.text("abcdef", min_size=1, max_size=3), st.sampled_from(SEPTEMBER), st.integers(0, 6)),
    max_size=40,
    unique_by=lambda r: r.record_id,
)
waivers = st.lists(
    st.builds(
        Waiver,
        st.integers(0, 99),
        st.sampled_from(SEPTEMBER),
        valid_to=st.none() | st.sampled_from(SEPTEMBER),
        program_id=st.sampled_from([None, "homework", "chess"]),
    ),
    max_size=3,
)


@settings(max_examples=300, deadline=None)
@given(plan=plans, records=records, waivers=waivers, seed=st.integers(0, 2**32))
def test_st7_the_same_facts_give_the_same_totals_in_any_order_and_number(
    plan: FeePlan, records: list[Attendance], waivers: list[Waiver], seed: int
) -> None:
    shuffled = records + records[: len(records) // 2]
    random.Random(seed).shuffle(shuffled)
    assert due(plan, shuffled, tuple(reversed(waivers))) == due(plan, records, tuple(waivers))


@settings(max_examples=300, deadline=None)
@given(plan=plans, records=records, waivers=waivers)
def test_en7_what_is_owed_is_never_negative_never_above_the_cap_nor_the_exact_amount(
    plan: FeePlan, records: list[Attendance], waivers: list[Waiver]
) -> None:
    month = due(plan, records, tuple(waivers))
    assert 0 <= month.due_fen <= month.gross_fen
    hours = class_hours_by_day(records)
    if plan.kind is FeeKind.PER_CLASS_HOUR:
        assert plan.max_charged_class_hours_per_day is not None
        assert month.charged_class_hours <= plan.max_charged_class_hours_per_day * month.attended_days
        assert month.gross_fen == sum(day_charge_fen(plan, h) for h in hours.values())
        assert all(
            day_charge_fen(plan, h) <= plan.fen_per_class_hour * plan.max_charged_class_hours_per_day
            for h in hours.values()
        )
    if plan.kind is FeeKind.MONTHLY:
        assert month.gross_fen <= plan.fen_per_month
    if plan.kind is FeeKind.FREE:
        assert month.gross_fen == 0


@settings(max_examples=200, deadline=None)
@given(plan=plans, records=records)
def test_en7_a_waiver_leaving_0_percent_payable_makes_every_month_free(
    plan: FeePlan, records: list[Attendance]
) -> None:
    assert due(plan, records, (Waiver(0, SEPTEMBER[0]),)).due_fen == 0


@settings(max_examples=200, deadline=None)
@given(plan=plans, records=records, percent=st.integers(0, 99))
def test_st7_a_month_is_within_half_a_fen_of_the_exact_amount(
    plan: FeePlan, records: list[Attendance], percent: int
) -> None:
    hours = class_hours_by_day(records)
    attended_days = [d for d in SEPTEMBER if hours.get(d, 0) > 0]
    if plan.kind is FeeKind.MONTHLY:
        exact = Fraction(plan.fen_per_month * len(attended_days), len(SEPTEMBER))
    else:
        exact = Fraction(sum(day_charge_fen(plan, hours[d]) for d in attended_days))
    month = due(plan, records, (Waiver(percent, SEPTEMBER[0]),))
    assert abs(month.due_fen - exact * percent / 100) <= Fraction(1, 2)
    assert abs(month.gross_fen - exact) <= Fraction(1, 2)


@settings(max_examples=200, deadline=None)
@given(prepaid=st.integers(0, 10**7), dues=st.lists(st.integers(0, 10**6), max_size=6))
def test_en7_settlement_balances_to_the_fen(prepaid: int, dues: list[int]) -> None:
    settlement = settle_term(prepaid_fen=prepaid, months=[MonthDue(0, 0, d, d) for d in dues])
    assert min(settlement.refund_fen, settlement.collect_fen) == 0
    assert prepaid - settlement.refund_fen + settlement.collect_fen == sum(dues)


def _oracle_charge(program_id: str, plans: list[FeePlan], waivers: list[Waiver], hours: dict[date, int],
                   service: list[date]) -> MonthDue:  # fmt: skip
    """The Fraction-a-day arithmetic that charge_days' whole numbers replaced (issue 9), as the oracle."""
    gross = owed = Fraction(0)
    attended = charged = 0
    for day in sorted(d for d, h in hours.items() if h > 0):
        attended += 1
        plan = plan_in_force(plans, day)
        if plan is None or plan.kind is FeeKind.FREE or (plan.kind is FeeKind.MONTHLY and day not in service):
            continue
        if plan.kind is FeeKind.MONTHLY:
            share = Fraction(plan.fen_per_month, len(service))
        else:
            share = Fraction(day_charge_fen(plan, hours[day]))
            cap = plan.max_charged_class_hours_per_day
            charged += hours[day] if cap is None else min(hours[day], cap)
        gross += share
        owed += share * min((w.percent_payable for w in waivers if w.covers(day, program_id)), default=100) / 100
    return MonthDue(attended, charged, math.floor(gross + Fraction(1, 2)), math.floor(owed + Fraction(1, 2)))


@settings(max_examples=400, deadline=None)
@given(
    first=plans,
    second=plans,
    switch=st.sampled_from(SEPTEMBER),
    hours=st.dictionaries(st.sampled_from(SEPTEMBER), st.integers(0, 6), max_size=22),
    waivers=waivers,
    service=st.lists(st.sampled_from(SEPTEMBER), min_size=1, max_size=22, unique=True),
)
def test_st7_the_whole_fen_sums_give_the_amounts_of_the_exact_fractions(
    first: FeePlan,
    second: FeePlan,
    switch: date,
    hours: dict[date, int],
    waivers: list[Waiver],
    service: list[date],
) -> None:
    """ST-6/ST-7 (issue 9): charge_days sums whole numbers over one denominator; every figure is the one the
    exact Fraction a day gave, whatever the plans (changing within the month), waivers and service days."""
    plans_ = [first, FeePlan(second.kind, switch, second.fen_per_class_hour, second.max_charged_class_hours_per_day,
                             second.fen_per_month)]  # fmt: skip
    month = charge_days(program_id="homework", plans=plans_, waivers=waivers, hours=hours, service_days=service)
    assert month == _oracle_charge("homework", plans_, waivers, hours, service)
