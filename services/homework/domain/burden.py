"""HW-9 burden monitoring: actual against estimated minutes, classes over a cap, struggling students (学困生)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from services.homework.domain.caps import ClassDay, Load, daily_cap_minutes, total_cap


@dataclass(frozen=True)
class Actual:
    """One assignment of a class's day: its counted estimate and the mean actual minutes recorded for it."""

    load: Load
    mean_actual_minutes: int


@dataclass(frozen=True)
class Breach:
    """A cap the class's actual minutes went over."""

    rule: str
    cap: int
    actual_minutes: int
    estimated_minutes: int


@dataclass(frozen=True)
class Outcome:
    """One recorded completion of a child: done or not, actual and estimated minutes."""

    done: bool
    actual_minutes: int
    estimated_minutes: int


@dataclass(frozen=True)
class StruggleRule:
    """A child struggles with homework not finished, or taking `overrun` times the estimate or more.

    Flagged when `threshold` of their last `window` recorded completions were struggles ("repeatedly").
    """

    window: int = 5
    threshold: int = 3
    overrun: float = 1.5

    def struggled(self, outcome: Outcome) -> bool:
        """Not finished, or much slower than estimated."""
        return not outcome.done or outcome.actual_minutes >= self.overrun * outcome.estimated_minutes

    def struggles(self, recent: Sequence[Outcome]) -> int:
        """Struggles among the last `window` outcomes (oldest first in `recent`)."""
        return sum(self.struggled(outcome) for outcome in recent[-self.window :])

    def flags(self, recent: Sequence[Outcome]) -> bool:
        """HW-9: whether the child is listed for individual help."""
        return self.struggles(recent) >= self.threshold


def breach(day: ClassDay, actuals: Sequence[Actual]) -> Breach | None:
    """HW-9 against HW-2/HW-3: the first cap the day's actual minutes exceed, if any."""
    written = [a for a in actuals if a.load.written]
    written_actual = sum(a.mean_actual_minutes for a in written)
    written_cap = daily_cap_minutes(day.grade, day.policy)
    if written and written_actual > written_cap:
        return Breach("HW-2", written_cap, written_actual, sum(a.load.minutes for a in written))
    limit = total_cap(day)
    total_actual = sum(a.mean_actual_minutes for a in actuals)
    if limit is not None and total_actual > limit:
        return Breach("HW-3", limit, total_actual, sum(a.load.minutes for a in actuals))
    return None
