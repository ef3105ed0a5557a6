"""HW-8: the school publishes next week's homework plan by the policy's cutoff weekday (default Friday)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta


class PlanRefused(ValueError):
    """A plan that cannot be published (not a Monday, or a week that is over)."""


@dataclass(frozen=True)
class Publication:
    """When a plan for `week_start` was due and whether this publication is late."""

    week_start: date
    deadline: date
    late: bool


def publication_deadline(week_start: date, cutoff_weekday: int) -> date:
    """The cutoff weekday (0 = Monday, 4 = Friday) of the week before the planned one."""
    return week_start - timedelta(days=7 - cutoff_weekday)


def publish(week_start: date, today: date, cutoff_weekday: int) -> Publication:
    """HW-8: a plan for a Monday-started week not yet over; late when published after the cutoff."""
    if week_start.weekday() != 0:
        raise PlanRefused(f"{week_start} is not a Monday: a weekly plan starts on a Monday")
    if week_start + timedelta(days=6) < today:
        raise PlanRefused(f"the week of {week_start} is over")
    deadline = publication_deadline(week_start, cutoff_weekday)
    return Publication(week_start=week_start, deadline=deadline, late=today > deadline)
