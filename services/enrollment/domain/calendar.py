"""Term calendar rules (EN-5): when sessions run, and which days are holidays, make-up days or winter days."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta

from contracts.enrollment import DayKind, TermCalendarSet
from services.enrollment.domain.setup import RuleBroken

MAX_TERM_DAYS = 366
MAX_VIEW_DAYS = 366


@dataclass(frozen=True)
class TermDates:
    """A term's dates as the school admin gives them."""

    starts_on: date
    ends_on: date
    holidays: tuple[date, ...] = ()
    makeup_days: tuple[date, ...] = ()
    winter_from: date | None = None
    winter_to: date | None = None


@dataclass(frozen=True)
class CalendarDay:
    """One day of a term's calendar view."""

    day: date
    kind: DayKind
    winter: bool


def _inside(days: Iterable[date], term: TermDates, field: str) -> None:
    for day in days:
        if not term.starts_on <= day <= term.ends_on:
            raise RuleBroken(f"{day} is outside the term {term.starts_on}..{term.ends_on}", rule="EN-5", field=field)


def check_term(term: TermDates) -> TermDates:
    """EN-5: a term ends after it starts; holidays are weekdays and make-up days weekends, all inside it;
    the winter period lies inside it. Returns the term with its day lists sorted and deduplicated."""
    if term.ends_on <= term.starts_on:
        raise RuleBroken("a term must end after it starts", rule="EN-5", field="ends_on")
    if (term.ends_on - term.starts_on).days >= MAX_TERM_DAYS:
        raise RuleBroken(f"a term lasts at most {MAX_TERM_DAYS} days", rule="EN-5", field="ends_on")
    _inside(term.holidays, term, "holidays")
    _inside(term.makeup_days, term, "makeup_days")
    if weekend := [d for d in term.holidays if d.weekday() >= 5]:
        raise RuleBroken(f"holidays fall on weekdays; {weekend[0]} is a weekend", rule="EN-5", field="holidays")
    if weekday := [d for d in term.makeup_days if d.weekday() < 5]:
        raise RuleBroken(f"make-up days fall on weekends; {weekday[0]} is a weekday", rule="EN-5", field="makeup_days")
    if (term.winter_from is None) != (term.winter_to is None):
        raise RuleBroken("the winter period needs both winter_from and winter_to", rule="EN-5", field="winter_to")
    if term.winter_from is not None and term.winter_to is not None:
        if term.winter_to < term.winter_from:
            raise RuleBroken("the winter period must end on or after its start", rule="EN-5", field="winter_to")
        _inside((term.winter_from, term.winter_to), term, "winter_from")
    return TermDates(
        starts_on=term.starts_on,
        ends_on=term.ends_on,
        holidays=tuple(sorted(set(term.holidays))),
        makeup_days=tuple(sorted(set(term.makeup_days))),
        winter_from=term.winter_from,
        winter_to=term.winter_to,
    )


def check_no_overlap(term: TermDates, others: Iterable[tuple[str, date, date]]) -> None:
    """EN-2/EN-5: a school's terms do not overlap (a day belongs to at most one term)."""
    for term_id, starts_on, ends_on in others:
        if term.starts_on <= ends_on and starts_on <= term.ends_on:
            raise RuleBroken(f"the term overlaps term '{term_id}'", rule="EN-5", field="starts_on")


def calendar(term: TermCalendarSet, first: date, last: date) -> list[CalendarDay]:
    """EN-5: each day from `first` to `last` with its kind and whether the winter timetable applies (school days)."""
    if last < first:
        raise RuleBroken("'to' must not be before 'from'", rule="EN-5", field="to")
    if (last - first).days >= MAX_VIEW_DAYS:
        raise RuleBroken(f"a calendar view spans at most {MAX_VIEW_DAYS} days", rule="EN-5", field="to")
    days = (first + timedelta(days=n) for n in range((last - first).days + 1))
    kinds = ((d, term.day_kind(d)) for d in days)
    return [CalendarDay(day=d, kind=k, winter=k is DayKind.SCHOOL_DAY and term.is_winter(d)) for d, k in kinds]
