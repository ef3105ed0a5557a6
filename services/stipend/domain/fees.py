"""A child's monthly fee statement (EN-7, ST-6, BX-5), from attended class-hours and enrollment's fee facts.

The same arithmetic as enrollment's reference rules (services/enrollment/domain/fees.py), restated here because a
service never imports another; the stipend applies it to its own copies of the facts:

- per class-hour: a day's charge is `rate × min(class-hours attended that day, daily cap)` (EN-7: 230 fen × at
  most 2 a day by default);
- monthly: the month is due pro rata by the service days attended, `fee × attended ÷ service days` (the
  prepayment is settled against these dues at term end, 多退少补);
- free (公益): nothing; waivers: a day is charged at the lowest percentage payable of the waivers covering it;
- late-pickup fees (BX-5) are added as attendance charged them, once per check-out.

Rounding (ST-7): each program's month is summed exactly and rounded once, half up.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from fractions import Fraction

from services.stipend.domain.class_hours import Line
from services.stipend.domain.money import round_fen

FULL = 100


@dataclass(frozen=True)
class FeePlan:
    """EN-7: how a program is paid from `effective_from` (kind: per_class_hour, monthly or free)."""

    kind: str
    effective_from: date
    fen_per_class_hour: int = 0
    max_per_day: int | None = None
    fen_per_month: int = 0


@dataclass(frozen=True)
class Waiver:
    """EN-7: the family pays `percent_payable` % of one program (or every program) over a period."""

    waiver_id: str
    percent_payable: int
    valid_from: date
    valid_to: date | None = None
    program_id: str | None = None
    revoked_on: date | None = None

    def covers(self, day: date, program_id: str) -> bool:
        """Whether the waiver applies to `program_id` on `day` (a revocation ends it the day before)."""
        ends = [d for d in (self.valid_to, self.revoked_on and self.revoked_on - timedelta(days=1)) if d is not None]
        return self.valid_from <= day <= min(ends, default=day) and self.program_id in (None, program_id)


@dataclass(frozen=True)
class LateFee:
    """BX-5: a late-pickup fee attendance charged for one check-out."""

    check_out_id: str
    day: date
    minutes_late: int
    fee_fen: int
    event_id: str


@dataclass(frozen=True)
class ProgramCharge:
    """One program line of a child's month: attendance, what it costs before and after waivers."""

    program_id: str
    kind: str
    attended_days: int
    class_hours: int
    charged_class_hours: int
    gross_fen: int
    due_fen: int
    event_ids: tuple[str, ...] = field(default=())

    @property
    def waived_fen(self) -> int:
        """What the waivers took off (EN-7)."""
        return self.gross_fen - self.due_fen


def plan_in_force(plans: Sequence[FeePlan], day: date) -> FeePlan | None:
    """The plan judging `day`: the latest `effective_from` on or before it."""
    eligible = [p for p in plans if p.effective_from <= day]
    return max(eligible, key=lambda p: p.effective_from, default=None)


def percent_payable(waivers: Iterable[Waiver], day: date, program_id: str) -> int:
    """EN-7: the most favourable covering waiver, else full price."""
    return min((w.percent_payable for w in waivers if w.covers(day, program_id)), default=FULL)


def program_charge(
    program_id: str,
    kind: str,
    lines: Iterable[Line],
    plans: Sequence[FeePlan],
    waivers: Collection[Waiver],
    service_days: Collection[date],
) -> ProgramCharge:
    """ST-6: one program's month for one child (lines of other programs are ignored)."""
    hours: dict[date, int] = {}
    ids: set[str] = set()
    for line in lines:
        if line.program_id == program_id and line.class_hours > 0:
            hours[line.day] = hours.get(line.day, 0) + line.class_hours
            ids.update(line.event_ids)
    gross = due = Fraction(0)
    charged = 0
    for day, attended in sorted(hours.items()):
        plan = plan_in_force(plans, day)
        if plan is None or plan.kind == "free":
            continue
        if plan.kind == "monthly":
            share = Fraction(plan.fen_per_month, max(1, len(service_days))) if day in service_days else Fraction(0)
        else:
            day_hours = attended if plan.max_per_day is None else min(attended, plan.max_per_day)
            charged += day_hours
            share = Fraction(plan.fen_per_class_hour * day_hours)
        gross += share
        due += share * percent_payable(waivers, day, program_id) / FULL
    return ProgramCharge(
        program_id, kind, len(hours), sum(hours.values()), charged, round_fen(gross), round_fen(due), tuple(sorted(ids))
    )


def late_fees(fees: Iterable[LateFee]) -> list[LateFee]:
    """BX-5: each check-out's fee once, however often (or in whichever envelope) it was delivered."""
    once: dict[str, LateFee] = {}
    for fee in fees:
        kept = once.get(fee.check_out_id)
        if kept is None or fee.event_id < kept.event_id:
            once[fee.check_out_id] = fee
    return sorted(once.values(), key=lambda f: (f.day, f.check_out_id))


def service_days(
    is_school_day: Callable[[date], bool],
    weekdays: Collection[int],
    *,
    year: int,
    month: int,
    cancelled_on: date | None,
) -> list[date]:
    """ST-6: the days of a month a program runs (its weekdays that are school days, before any cancellation)."""
    first = date(year, month, 1)
    days = (first + timedelta(days=n) for n in range(31))
    return [
        d
        for d in days
        if d.month == month
        and d.weekday() in weekdays
        and is_school_day(d)
        and (cancelled_on is None or d < cancelled_on)
    ]


@dataclass(frozen=True)
class TermSettlement:
    """EN-7 多退少补 for one monthly program: the prepayment asked at term start against attendance's dues."""

    program_id: str
    prepaid_fen: int
    due_fen: int

    @property
    def refund_fen(self) -> int:
        """Paid too much: returned to the family (also what a withdrawal gives back, EN-2)."""
        return max(0, self.prepaid_fen - self.due_fen)

    @property
    def collect_fen(self) -> int:
        """Paid too little: collected from the family."""
        return max(0, self.due_fen - self.prepaid_fen)


def prepayment(plan: FeePlan | None, months: int, percent: int) -> int:
    """EN-7: a monthly plan's term prepayment, `fee × months × percent payable`, rounded once half up."""
    if plan is None or plan.kind != "monthly":
        return 0
    return round_fen(Fraction(plan.fen_per_month * months * percent, FULL))
