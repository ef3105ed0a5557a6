"""Dismissal rules (AT-4, BX-5): staggered times by grade, each child's plan for a day, the change cutoff."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time

from chassis.clock import SCHOOL_TZ
from contracts.attendance.dismissal import DismissalMode
from contracts.policy import PolicySettings


class PlanChangeTooLate(ValueError):
    """A change to a day's plan after the school's cutoff (or for a day already past)."""


@dataclass(frozen=True)
class PlanChange:
    """A change to a child's plan: standing from `from_date`, for one day (`on`), or every `weekday` from
    `from_date` (until `until`, if given)."""

    mode: DismissalMode
    on: date | None = None
    weekday: int | None = None
    from_date: date | None = None
    until: date | None = None

    @property
    def kind(self) -> str:
        """one-day, repeating or standing."""
        return "one-day" if self.on is not None else ("repeating" if self.weekday is not None else "standing")

    def applies_to(self, day: date) -> bool:
        """Whether this change speaks for `day`."""
        if self.on is not None:
            return self.on == day
        if self.weekday is not None and self.weekday != day.weekday():
            return False
        return (self.from_date is None or self.from_date <= day) and (self.until is None or day <= self.until)


def local_moment(day: date, at: time) -> datetime:
    """The aware moment of a school-local day and time."""
    return datetime.combine(day, at, tzinfo=SCHOOL_TZ)


def dismissal_at(day: date, grade: int, policy: PolicySettings) -> datetime:
    """AT-4: when a child of `grade` is dismissed on `day` (staggered by grade band, a policy setting)."""
    return local_moment(day, policy.dismissal_time(grade))


def dismissal_bands(policy: PolicySettings, grades: Iterable[int]) -> dict[time, list[int]]:
    """AT-4: the grades dismissed together, by their dismissal time (one not-collected timer per band)."""
    bands: dict[time, list[int]] = {}
    for grade in sorted(set(grades)):
        bands.setdefault(policy.dismissal_time(grade), []).append(grade)
    return bands


def is_early(occurred_at: datetime, dismissed_at: datetime) -> bool:
    """AT-4 弹性离校: a guardian collecting before the child's dismissal time is a flexible early departure."""
    return occurred_at < dismissed_at


def plan_for(day: date, changes: Sequence[PlanChange]) -> DismissalMode:
    """BX-5: a one-day change wins over a repeating one, which wins over the standing plan; the latest of a kind
    wins (changes are given oldest first); without any plan the child goes home with a guardian."""
    for kind in ("one-day", "repeating", "standing"):
        matching = [c for c in changes if c.kind == kind and c.applies_to(day)]
        if matching:
            return matching[-1].mode
    return DismissalMode.GUARDIAN


def check_change_in_time(first_day: date, now: datetime, cutoff: time) -> None:
    """BX-5: a change may touch today only before the school's cutoff, and never a day already past."""
    local = now.astimezone(SCHOOL_TZ)
    today = local.date()
    if first_day < today:
        raise PlanChangeTooLate(f"{first_day.isoformat()} is already past")
    if first_day == today and local.time() > cutoff:
        raise PlanChangeTooLate(
            f"today's plan can no longer change: the cutoff was {cutoff.strftime('%H:%M')} "
            f"and it is {local.strftime('%H:%M')}"
        )


def first_day_of_repeating(weekday: int, now: datetime, cutoff: time) -> date:
    """BX-5: a repeating change starts today when today is that weekday and the cutoff has not passed, else at
    the next such weekday."""
    local = now.astimezone(SCHOOL_TZ)
    today = local.date()
    ahead = (weekday - today.weekday()) % 7
    if ahead == 0 and local.time() > cutoff:
        ahead = 7
    return date.fromordinal(today.toordinal() + ahead)
