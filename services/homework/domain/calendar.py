"""Which kind of day a school's date is (EN-5; HW-3 depends on it), and its week."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta

from contracts.enrollment import DayKind, TermCalendarSet, kind_of_day


def day_kind(calendars: Iterable[TermCalendarSet], day: date) -> DayKind:
    """EN-5: the kind of day from the school's term calendars (`contracts.enrollment.kind_of_day`)."""
    terms = list(calendars)
    covering = next((term for term in terms if term.starts_on <= day <= term.ends_on), None)
    return kind_of_day(day, covering, school_has_calendar=bool(terms))


def week_start(day: date) -> date:
    """The Monday of the week holding `day`."""
    return day - timedelta(days=day.weekday())


def week_of(monday: date) -> list[date]:
    """The seven days of the week starting on `monday`."""
    return [monday + timedelta(days=n) for n in range(7)]
