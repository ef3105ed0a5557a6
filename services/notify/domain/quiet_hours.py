"""Quiet hours: when a guardian is not to be disturbed, except by urgent alerts (NT-2)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from chassis.clock import SCHOOL_TZ


@dataclass(frozen=True)
class QuietHours:
    """A daily window in school-local time, e.g. 21:30–07:00 (it may run past midnight)."""

    start: time
    end: time

    def __post_init__(self) -> None:
        if self.start == self.end:
            raise ValueError("quiet hours must not start and end at the same time")

    def contains(self, moment: datetime, tz: ZoneInfo = SCHOOL_TZ) -> bool:
        """Whether `moment` falls inside the window (start included, end excluded)."""
        local = moment.astimezone(tz).time().replace(tzinfo=None)
        if self.start < self.end:
            return self.start <= local < self.end
        return local >= self.start or local < self.end

    def ends_after(self, moment: datetime, tz: ZoneInfo = SCHOOL_TZ) -> datetime:
        """The first moment at or after `moment` outside the window (`moment` itself if it is not quiet)."""
        if not self.contains(moment, tz):
            return moment
        local = moment.astimezone(tz)
        end = local.replace(hour=self.end.hour, minute=self.end.minute, second=0, microsecond=0)
        if end <= local:
            end += timedelta(days=1)
        return end


def send_at(moment: datetime, quiet: QuietHours | None, *, urgent: bool, tz: ZoneInfo = SCHOOL_TZ) -> datetime:
    """NT-2: when a delivery created at `moment` may go out; urgent alerts ignore quiet hours."""
    if urgent or quiet is None:
        return moment
    return quiet.ends_after(moment, tz)
