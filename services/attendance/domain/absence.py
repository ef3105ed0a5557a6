"""Leave and unexcused-absence rules (AT-3)."""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

REQUESTED, APPROVED, REFUSED = "requested", "approved", "refused"
CHECK_IN_LOOKBACK = timedelta(hours=3)
"""A check-in counts for a session from this long before its start: a morning check-in (early arrival) does not
stand for the afternoon's session, one at the school gate before homework supervision does."""


class LeaveRuleBroken(ValueError):
    """A leave command breaks a rule; `rule` names it."""

    def __init__(self, message: str, rule: str = "AT-3") -> None:
        super().__init__(message)
        self.rule = rule


@dataclass(frozen=True)
class Leave:
    """What a leave covers: a day, or one session of it."""

    student_id: str
    day: date
    session_id: str | None
    status: str


def check_request(day: date, today: date) -> None:
    """AT-3: leave is asked for today or a later day, never for the past."""
    if day < today:
        raise LeaveRuleBroken(f"leave cannot be asked for a past day ({day.isoformat()})")


def decide(status: str, decision: str) -> str:
    """AT-3: the class teacher approves or refuses a request once."""
    if decision not in (APPROVED, REFUSED):
        raise LeaveRuleBroken(f"unknown decision '{decision}'")
    if status != REQUESTED:
        raise LeaveRuleBroken(f"the leave was already {status}")
    return decision


def covers(leave: Leave, *, day: date, session_id: str) -> bool:
    """AT-3: an approved leave for the day, or for this very session, excuses the child."""
    return leave.status == APPROVED and leave.day == day and leave.session_id in (None, session_id)


def on_leave(leaves: Iterable[Leave], *, day: date, session_id: str) -> set[str]:
    """The children an approved leave excuses from the session."""
    return {leave.student_id for leave in leaves if covers(leave, day=day, session_id=session_id)}


def absence_due(starts_at: datetime, absence_after_minutes: int) -> datetime:
    """AT-3: when a child not yet checked in counts as absent."""
    return starts_at + timedelta(minutes=absence_after_minutes)


def counts_for(checked_in_at: datetime, starts_at: datetime) -> bool:
    """Whether a check-in of the session's day stands for this session (see CHECK_IN_LOOKBACK)."""
    return checked_in_at >= starts_at - CHECK_IN_LOOKBACK


def unexcused(expected: Collection[str], checked_in: Collection[str], excused: Collection[str]) -> list[str]:
    """AT-3: expected, not checked in and without approved leave (无故脱管), sorted."""
    return sorted(set(expected) - set(checked_in) - set(excused))
