"""A circuit breaker per webhook endpoint: a school's system that keeps failing is left alone for a while, then
tried with one delivery before the rest follow (NT-2, webhooks)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum


class CircuitState(StrEnum):
    """closed: send; open: send nothing until the cool-down ends; half-open: send one trial."""

    CLOSED = "closed"
    OPEN = "open"
    HALF_OPEN = "half_open"


@dataclass(frozen=True)
class Breaker:
    """How many failures in a row open the circuit, and for how long."""

    failures_to_open: int
    cooldown: timedelta

    def state(self, failures: int, open_until: datetime | None, now: datetime) -> CircuitState:
        """The endpoint's circuit at `now`, from its failures in a row and the end of its cool-down."""
        if failures < self.failures_to_open:
            return CircuitState.CLOSED
        if open_until is not None and now < open_until:
            return CircuitState.OPEN
        return CircuitState.HALF_OPEN

    def after_failure(self, failures: int, now: datetime) -> tuple[int, datetime | None]:
        """Failures in a row and the cool-down's end after one more failure (a failed trial reopens it)."""
        failures += 1
        return failures, (now + self.cooldown if failures >= self.failures_to_open else None)


def after_success() -> tuple[int, None]:
    """A delivery that got through closes the circuit."""
    return 0, None
