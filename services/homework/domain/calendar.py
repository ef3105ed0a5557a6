"""Which policy profile and which kind of day apply to a school's date (PL-1, EN-5; HW-3 depends on both)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta

from contracts.enrollment import DayKind, TermCalendarSet
from contracts.policy import PolicySettings


def policy_on(profiles: Iterable[tuple[date, PolicySettings]], day: date) -> PolicySettings:
    """PL-1: the profile with the latest `effective_from` not after `day`; the national default when none."""
    in_force = [(start, settings) for start, settings in profiles if start <= day]
    return max(in_force, key=lambda pair: pair[0])[1] if in_force else PolicySettings()


def day_kind(calendars: Iterable[TermCalendarSet], day: date) -> DayKind:
    """EN-5: the kind of day from the term covering it; outside every term it is vacation.

    A school that has published no calendar yet gets Monday–Friday school days and Saturday–Sunday weekends,
    so the caps still apply (the stricter HW-2/HW-3 numbers of a school day are never skipped by accident).
    """
    terms = list(calendars)
    for term in terms:
        if term.starts_on <= day <= term.ends_on:
            return term.day_kind(day)
    if terms:
        return DayKind.VACATION
    return DayKind.WEEKEND if day.weekday() >= 5 else DayKind.SCHOOL_DAY


def week_start(day: date) -> date:
    """The Monday of the week holding `day`."""
    return day - timedelta(days=day.weekday())


def week_of(monday: date) -> list[date]:
    """The seven days of the week starting on `monday`."""
    return [monday + timedelta(days=n) for n in range(7)]
