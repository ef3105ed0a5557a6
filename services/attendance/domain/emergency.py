"""Emergency early dismissal (AT-7, BX-7): who is covered, and when the broadcast may be issued or cleared."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime


class BroadcastRefused(ValueError):
    """An emergency broadcast or all-clear that cannot be issued as asked."""


def check_grades(grades: Sequence[int], school_grades: Sequence[int]) -> list[int]:
    """AT-7: a broadcast covers the whole school (no grades) or grades that the school has."""
    chosen = sorted(set(grades))
    unknown = [g for g in chosen if g not in set(school_grades)]
    if school_grades and unknown:
        raise BroadcastRefused(f"the school has no grade {', '.join(map(str, unknown))}")
    return chosen


def covers(grades: Sequence[int], grade: int) -> bool:
    """Whether a broadcast for `grades` (empty = whole school) reaches a child of `grade`."""
    return not grades or grade in grades


def check_dismiss_at(dismiss_at: datetime, now: datetime, regular: datetime) -> None:
    """AT-7: an early dismissal is not in the past and not later than the regular dismissal."""
    if dismiss_at < now.replace(second=0, microsecond=0):
        raise BroadcastRefused("an early dismissal cannot be in the past")
    if dismiss_at > regular:
        raise BroadcastRefused("an early dismissal must not be later than the regular dismissal")


def check_all_clear(already_cleared: bool) -> None:
    """BX-7: an all-clear ends a broadcast once."""
    if already_cleared:
        raise BroadcastRefused("this broadcast was already cleared")
