"""Program rules (EN-4, EN-5, EN-6): what a school may publish as the base service, a club or an optional service."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta

from contracts.enrollment import ProgramKind
from contracts.policy import PolicySettings

SCHOOL_WEEK = frozenset(range(5))
"""EN-5: the service runs Monday (0) to Friday (4)."""

OPTIONAL_KINDS = frozenset({ProgramKind.EARLY_ARRIVAL, ProgramKind.NOON_CARE, ProgramKind.BUS})
"""EN-6: services a school offers only if its policy says so."""


class ProgramRuleBroken(ValueError):
    """A program the school's policy does not allow; `rule` is the id the refusal cites."""

    def __init__(self, message: str, rule: str) -> None:
        super().__init__(message)
        self.rule = rule


@dataclass(frozen=True)
class Schedule:
    """When and for whom a program runs."""

    kind: ProgramKind
    weekdays: Sequence[int]
    starts_at: time
    class_hours: int
    min_grade: int
    max_grade: int


def offered(kind: ProgramKind, policy: PolicySettings) -> bool:
    """EN-6: the base service and clubs always; early arrival, noon care and bus only when the policy offers them."""
    return {
        ProgramKind.EARLY_ARRIVAL: policy.offers_early_arrival,
        ProgramKind.NOON_CARE: policy.offers_noon_care,
        ProgramKind.BUS: policy.offers_bus,
    }.get(kind, True)


def ends_at(starts_at: time, class_hours: int, class_hour_minutes: int) -> time | None:
    """EN-5: when a session of `class_hours` class-hours ends; None if it would run past midnight."""
    start = datetime.combine(datetime.min.date(), starts_at)
    end = start + timedelta(minutes=class_hours * class_hour_minutes)
    return end.time() if end.date() == start.date() else None


def check_schedule(schedule: Schedule, policy: PolicySettings) -> None:
    """EN-4/EN-5/EN-6: weekdays of the school week, a grade range, a session ending by the latest end."""
    if not offered(schedule.kind, policy):
        raise ProgramRuleBroken(f"the school's policy does not offer {schedule.kind.value}", "EN-6")
    days = set(schedule.weekdays)
    if not days or not days <= SCHOOL_WEEK or len(days) != len(schedule.weekdays):
        raise ProgramRuleBroken("weekdays must be distinct days from Monday (0) to Friday (4)", "EN-5")
    if schedule.kind is ProgramKind.HOMEWORK_SUPERVISION and days != SCHOOL_WEEK:
        raise ProgramRuleBroken("the base service runs 5 days a week, Monday to Friday", "EN-5")
    if not 1 <= schedule.min_grade <= schedule.max_grade <= 9:
        raise ProgramRuleBroken("the grade range must run from a lower to a higher grade within 1 to 9", "EN-4")
    if schedule.kind is ProgramKind.HOMEWORK_SUPERVISION and schedule.class_hours < policy.min_class_hours_per_day:
        raise ProgramRuleBroken(
            f"the base service gives at least {policy.min_class_hours_per_day} class-hours a day", "EN-5"
        )
    end = ends_at(schedule.starts_at, schedule.class_hours, policy.class_hour_minutes)
    if end is None or end > policy.latest_end:
        shown = "after midnight" if end is None else end.strftime("%H:%M")
        raise ProgramRuleBroken(
            f"{schedule.class_hours} class-hours of {policy.class_hour_minutes} min from "
            f"{schedule.starts_at.strftime('%H:%M')} end {shown}, later than {policy.latest_end.strftime('%H:%M')}",
            "EN-5",
        )


def check_capacity(capacity: int, places_held: int) -> None:
    """BX-1: a capacity below the places already given would over-fill the club."""
    if capacity < places_held:
        raise ProgramRuleBroken(f"capacity {capacity} is below the {places_held} places already held", "BX-1")
