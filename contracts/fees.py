"""Fee plans, waivers and what a family owes (EN-7), settled from attendance facts (ST-6) exactly (ST-7).

The one statement of the fee rules, beside the contracts they read (`FeePlanSet`, `FeeWaiverGranted`,
`TermCalendarSet`): enrollment checks plans and waivers with it, the stipend charges families with it. Pure
arithmetic, no I/O, nothing from any service (a service never imports another). Everything is integer fen (分):

- per class-hour (EN-7): a day's charge is `rate × min(attended class-hours, daily cap)`, always whole fen;
- monthly (EN-7): the month's fee is prepaid at term start; at term end each month is due pro rata by the
  service days attended (`fee × attended days ÷ service days of the month`, the service days being the
  program's weekdays that are school days of its term: `ProgramScheduled` + `TermCalendarSet`) and the
  prepayment is settled against the dues: refund the excess, collect the shortfall (多退少补);
- free (公益): nothing is owed;
- waivers: a day is charged at the lowest percentage payable among the waivers covering it (0 = free).

Rounding (ST-7): a month is computed exactly (as a fraction) from its days and rounded **once**, half up, so
per-day rounding can never create or lose a fen across a month: the family's month is within half a fen of
the exact amount. Days are grouped by date and records de-duplicated by id before anything is summed, so the
totals depend only on the set of facts, never on their order or how many times one was delivered.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from fractions import Fraction

from contracts.enrollment import DayKind, FeeKind, TermCalendarSet

MAX_FEN_PER_CLASS_HOUR = 10_000  # 100 yuan: far above any public price (2.3 yuan), far below a typo of ×100
MAX_FEN_PER_MONTH = 500_000  # 5,000 yuan a month
MAX_CHARGED_CLASS_HOURS_PER_DAY = 12
FULL_PRICE_PERCENT = 100


class FeeRuleBroken(ValueError):
    """A fee plan, waiver or revocation that EN-7 does not allow."""

    rule = "EN-7"


@dataclass(frozen=True)
class FeePlan:
    """EN-7: how a program is paid from `effective_from` until the program's next plan."""

    kind: FeeKind
    effective_from: date
    fen_per_class_hour: int = 0
    max_charged_class_hours_per_day: int | None = None
    fen_per_month: int = 0


@dataclass(frozen=True)
class Waiver:
    """EN-7: a family pays `percent_payable` % (0 = free) of one program's fees, or every program's."""

    percent_payable: int
    valid_from: date
    valid_to: date | None = None
    program_id: str | None = None
    revoked_on: date | None = None

    def last_day(self) -> date | None:
        """The last day the waiver applies (a revocation ends it the day before it takes effect)."""
        ends = [] if self.valid_to is None else [self.valid_to]
        if self.revoked_on is not None:
            ends.append(self.revoked_on - timedelta(days=1))
        return min(ends, default=None)

    def covers(self, day: date, program_id: str) -> bool:
        """Whether the waiver applies to `program_id` on `day`."""
        last = self.last_day()
        in_period = self.valid_from <= day and (last is None or day <= last)
        return in_period and self.program_id in (None, program_id)


def _amount(name: str, value: int | None, *, low: int, high: int) -> int:
    if value is None or not low <= value <= high:
        raise FeeRuleBroken(f"{name} must be a whole number of fen from {low} to {high}, not {value}")
    return value


def _absent(kind: FeeKind, **amounts: int | None) -> None:
    given = [name for name, value in amounts.items() if value]
    if given:
        raise FeeRuleBroken(f"a {kind.value} plan has no {', '.join(given)}")


def check_plan(
    kind: FeeKind,
    *,
    effective_from: date,
    today: date,
    fen_per_class_hour: int | None = None,
    max_charged_class_hours_per_day: int | None = None,
    fen_per_month: int | None = None,
) -> FeePlan:
    """EN-7: a valid plan, or FeeRuleBroken naming the number at fault (a plan never changes the past)."""
    if effective_from < today:
        raise FeeRuleBroken(f"a fee plan cannot take effect in the past ({effective_from} is before {today})")
    if kind is FeeKind.PER_CLASS_HOUR:
        _absent(kind, fen_per_month=fen_per_month)
        rate = _amount("fen_per_class_hour", fen_per_class_hour, low=1, high=MAX_FEN_PER_CLASS_HOUR)
        cap = _amount(
            "max_charged_class_hours_per_day",
            max_charged_class_hours_per_day,
            low=1,
            high=MAX_CHARGED_CLASS_HOURS_PER_DAY,
        )
        return FeePlan(kind, effective_from, fen_per_class_hour=rate, max_charged_class_hours_per_day=cap)
    if kind is FeeKind.MONTHLY:
        _absent(
            kind,
            fen_per_class_hour=fen_per_class_hour,
            max_charged_class_hours_per_day=max_charged_class_hours_per_day,
        )
        monthly = _amount("fen_per_month", fen_per_month, low=1, high=MAX_FEN_PER_MONTH)
        return FeePlan(kind, effective_from, fen_per_month=monthly)
    _absent(
        kind,
        fen_per_class_hour=fen_per_class_hour,
        max_charged_class_hours_per_day=max_charged_class_hours_per_day,
        fen_per_month=fen_per_month,
    )
    return FeePlan(kind, effective_from)


def check_waiver(*, percent_payable: int, valid_from: date, valid_to: date | None) -> None:
    """EN-7: a waiver lowers the price (0–99 % still payable) over a period that does not end before it starts."""
    if not 0 <= percent_payable < FULL_PRICE_PERCENT:
        raise FeeRuleBroken(f"percent_payable must be 0 (free) to 99, not {percent_payable}")
    if valid_to is not None and valid_to < valid_from:
        raise FeeRuleBroken(f"the waiver ends ({valid_to}) before it starts ({valid_from})")


def check_revocation(waiver: Waiver, *, effective_on: date, today: date) -> None:
    """EN-7: a waiver is revoked from today or later (never retroactively), while it still has days to run."""
    if waiver.revoked_on is not None:
        raise FeeRuleBroken(f"the waiver was already revoked from {waiver.revoked_on}")
    if effective_on < today:
        raise FeeRuleBroken(f"a revocation cannot take effect in the past ({effective_on} is before {today})")
    last = waiver.last_day()
    if last is not None and effective_on > last:
        raise FeeRuleBroken(f"the waiver already ends on {last}")


def plan_in_force(plans: Sequence[FeePlan], day: date) -> FeePlan | None:
    """The plan judging `day`: the latest `effective_from` not after it; of two for one date, the later set."""
    in_force: FeePlan | None = None
    for plan in plans:
        if plan.effective_from <= day and (in_force is None or plan.effective_from >= in_force.effective_from):
            in_force = plan
    return in_force


def percent_payable_on(waivers: Iterable[Waiver], day: date, program_id: str) -> int:
    """The percentage a family pays on `day`: the most favourable covering waiver, else full price."""
    return min((w.percent_payable for w in waivers if w.covers(day, program_id)), default=FULL_PRICE_PERCENT)


@dataclass(frozen=True)
class Attendance:
    """A fact from attendance: class-hours of the program a child attended in one record on one day."""

    record_id: str
    day: date
    class_hours: int


def class_hours_by_day(records: Iterable[Attendance]) -> dict[date, int]:
    """ST-7: attended class-hours per day, each record counted once however often it was delivered."""
    unique: dict[str, Attendance] = {}
    for record in records:
        if record.class_hours < 0:
            raise FeeRuleBroken(f"record {record.record_id} has negative class-hours")
        seen = unique.setdefault(record.record_id, record)
        if seen != record:
            raise FeeRuleBroken(f"record {record.record_id} was delivered with different contents")
    hours: dict[date, int] = {}
    for record in unique.values():
        hours[record.day] = hours.get(record.day, 0) + record.class_hours
    return hours


def charged_class_hours(plan: FeePlan | None, class_hours: int) -> int:
    """EN-7: the class-hours a per-class-hour plan charges for a day: those attended, up to the daily cap."""
    if plan is None or plan.kind is not FeeKind.PER_CLASS_HOUR:
        return 0
    cap = plan.max_charged_class_hours_per_day
    return class_hours if cap is None else min(class_hours, cap)


def day_charge_fen(plan: FeePlan | None, class_hours: int) -> int:
    """EN-7: a day's per-class-hour charge before waivers (e.g. 230 fen × min(3, 2) = 460 fen)."""
    return 0 if plan is None else plan.fen_per_class_hour * charged_class_hours(plan, class_hours)


def round_half_up(amount: Fraction) -> int:
    """The whole fen nearest to `amount`, halves upwards (amounts here are never negative)."""
    return math.floor(amount + Fraction(1, 2))


@dataclass(frozen=True)
class MonthDue:
    """What a family owes for one program in one month: before and after waivers, each rounded once."""

    attended_days: int
    charged_class_hours: int
    gross_fen: int
    due_fen: int

    @property
    def waived_fen(self) -> int:
        """How much the waivers took off."""
        return self.gross_fen - self.due_fen


def service_days(
    term: TermCalendarSet, weekdays: Collection[int], *, year: int, month: int, cancelled_on: date | None = None
) -> list[date]:
    """ST-6: the days of a month a program runs, from its term calendar and weekdays (0 = Monday).

    A make-up day (调休补课, a weekend day with school) counts only for a program that runs every weekday, since
    the calendar does not say which weekday's timetable it follows; holidays, vacation and the days from the
    program's cancellation (`ProgramCancelled.effective_on`) never count.
    """
    every_weekday = set(range(5)) <= set(weekdays)
    first = date(year, month, 1)
    days = (first + timedelta(days=n) for n in range(31))
    return [
        day
        for day in days
        if day.month == month
        and (cancelled_on is None or day < cancelled_on)
        and term.day_kind(day) is DayKind.SCHOOL_DAY
        and (day.weekday() in weekdays or (day.weekday() >= 5 and every_weekday))
    ]


def month_due(
    *,
    program_id: str,
    plans: Sequence[FeePlan],
    waivers: Iterable[Waiver],
    attendance: Iterable[Attendance],
    service_days: Collection[date],
) -> MonthDue:
    """ST-6: what is due for one calendar month whose days of service are `service_days`.

    Only service days count (a record on another day charges nothing). A day is attended when it has at least
    one attended class-hour. Days without a plan in force, or under a free plan, cost nothing.
    """
    months = {(d.year, d.month) for d in service_days}
    if len(months) > 1:
        raise FeeRuleBroken("service days must all lie in one calendar month")
    hours = class_hours_by_day(attendance)
    on_service_days = {day: hours[day] for day in service_days if day in hours}
    return charge_days(
        program_id=program_id, plans=plans, waivers=waivers, hours=on_service_days, service_days=service_days
    )


def charge_days(
    *,
    program_id: str,
    plans: Sequence[FeePlan],
    waivers: Iterable[Waiver],
    hours: Mapping[date, int],
    service_days: Collection[date],
) -> MonthDue:
    """ST-6: what a month's attended days (`hours`: class-hours per day, days with none are not attended) cost.

    Each day is charged by the plan in force that day, at the family's percentage payable; a monthly plan charges
    only the month's service days, `fee ÷ service days` each. Summed exactly, rounded once (ST-7).
    """
    waivers = list(waivers)
    # Exact sums as whole numbers over one denominator (a monthly day is `fee ÷ service days`, a waiver a
    # percentage), so the month is still summed exactly and rounded once, without a Fraction a day (issue 9).
    parts = max(len(service_days), 1)
    denominator = parts * FULL_PRICE_PERCENT
    gross = due = 0
    attended = charged_hours = 0
    for day in sorted(d for d, h in hours.items() if h > 0):
        attended += 1
        plan = plan_in_force(plans, day)
        if plan is None or plan.kind is FeeKind.FREE or (plan.kind is FeeKind.MONTHLY and day not in service_days):
            continue
        if plan.kind is FeeKind.MONTHLY:
            share = plan.fen_per_month * FULL_PRICE_PERCENT  # fee ÷ service days, over the denominator
        else:
            share = day_charge_fen(plan, hours[day]) * denominator
            charged_hours += charged_class_hours(plan, hours[day])
        gross += share
        payable = percent_payable_on(waivers, day, program_id) if waivers else FULL_PRICE_PERCENT
        due += share // FULL_PRICE_PERCENT * payable  # shares are ×100: exact
    return MonthDue(attended, charged_hours, _half_up_of(gross, denominator), _half_up_of(due, denominator))


def _half_up_of(numerator: int, denominator: int) -> int:
    """`round_half_up(Fraction(numerator, denominator))` in integers (denominator > 0), without building a Fraction
    for each child and program of a month (issue 9)."""
    return (2 * numerator + denominator) // (2 * denominator)


def prepayment_fen(plan: FeePlan | None, *, months: int, percent_payable: int = FULL_PRICE_PERCENT) -> int:
    """EN-7: what a monthly plan collects at term start for `months` months, at the family's percentage."""
    if plan is None or plan.kind is not FeeKind.MONTHLY:
        return 0
    return round_half_up(Fraction(plan.fen_per_month * months * percent_payable, FULL_PRICE_PERCENT))


@dataclass(frozen=True)
class Settlement:
    """EN-7 多退少补: the term's prepayment against what attendance made due."""

    prepaid_fen: int
    due_fen: int

    @property
    def refund_fen(self) -> int:
        """Paid too much: returned to the family."""
        return max(0, self.prepaid_fen - self.due_fen)

    @property
    def collect_fen(self) -> int:
        """Paid too little: collected from the family."""
        return max(0, self.due_fen - self.prepaid_fen)


def settle_term(*, prepaid_fen: int, months: Iterable[MonthDue]) -> Settlement:
    """EN-7/ST-6: settle the prepayment against the sum of the months' dues (each already rounded once)."""
    if prepaid_fen < 0:
        raise FeeRuleBroken("a prepayment cannot be negative")
    return Settlement(prepaid_fen=prepaid_fen, due_fen=sum(m.due_fen for m in months))
