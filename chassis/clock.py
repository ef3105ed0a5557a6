"""Time as a dependency, so a whole school afternoon can run in seconds in a test."""

from __future__ import annotations

import time
from datetime import UTC, date, datetime, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

SCHOOL_TZ = ZoneInfo("Asia/Shanghai")


class Clock(Protocol):
    """Something that tells the current time (always timezone-aware UTC)."""

    def now(self) -> datetime: ...


class SystemClock:
    """The real wall clock."""

    def now(self) -> datetime:
        """Now, in UTC."""
        return datetime.now(UTC)


class FakeClock:
    """A clock the tests set and advance by hand."""

    def __init__(self, start: datetime) -> None:
        if start.tzinfo is None:
            raise ValueError("FakeClock needs a timezone-aware start")
        self._now = start.astimezone(UTC)

    def now(self) -> datetime:
        """The time the test has set."""
        return self._now

    def advance(self, delta: timedelta) -> None:
        """Move time forward."""
        self._now += delta


class SteadyClock:
    """A clock that starts at a chosen moment and then runs at the pace of the monotonic clock.

    Services started as separate processes by a test (or the demo) agree on a pinned school day this way, whatever
    the wall clock says, while time still passes for them as it would in production."""

    def __init__(self, start: datetime) -> None:
        if start.tzinfo is None:
            raise ValueError("SteadyClock needs a timezone-aware start")
        self._start = start.astimezone(UTC)
        self._origin = time.monotonic()

    def now(self) -> datetime:
        """The start moment plus the time elapsed since this clock was made."""
        return self._start + timedelta(seconds=time.monotonic() - self._origin)


def school_today(clock: Clock, tz: ZoneInfo = SCHOOL_TZ) -> date:
    """The school's local calendar date now: the day by which effective dates, notice and sessions are judged."""
    return clock.now().astimezone(tz).date()


def school_date(moment: datetime, tz: ZoneInfo = SCHOOL_TZ) -> str:
    """The school's local calendar date (YYYY-MM-DD) of an aware moment."""
    return moment.astimezone(tz).date().isoformat()
