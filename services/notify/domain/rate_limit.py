"""A token bucket: how many sends a channel may make per second, with a burst (pure, time passed in)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


@dataclass
class TokenBucket:
    """`rate` sends per second on average, at most `burst` at once."""

    rate: float
    burst: float
    _tokens: float = field(init=False)
    _at: datetime | None = field(init=False, default=None)

    def __post_init__(self) -> None:
        if self.rate <= 0 or self.burst < 1:
            raise ValueError("a bucket needs a positive rate and a burst of at least 1")
        self._tokens = self.burst

    def take(self, now: datetime, wanted: int) -> int:
        """Take up to `wanted` tokens at `now`; how many were granted (the rest must wait)."""
        if self._at is not None and now > self._at:
            self._tokens = min(self.burst, self._tokens + (now - self._at).total_seconds() * self.rate)
        if self._at is None or now > self._at:
            self._at = now
        granted = min(wanted, int(self._tokens))
        self._tokens -= granted
        return granted

    def refund(self, count: int) -> None:
        """Give back tokens taken but not used (fewer deliveries were due than granted)."""
        self._tokens = min(self.burst, self._tokens + max(count, 0))

    def seconds_until_next(self) -> float:
        """How long until one more token is there."""
        return max(0.0, (1 - self._tokens) / self.rate)
