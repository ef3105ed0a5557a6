"""Check-in rules (AT-2, AT-8): which device events are accepted and which session they count for."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum

from chassis.clock import school_date


class DeviceTimeRefused(ValueError):
    """The device's time lies outside the window the server trusts (AT-8)."""


@dataclass(frozen=True)
class DeviceEvent:
    """What a kiosk or a teacher's app reports: who, when (device time), where, how."""

    student_id: str
    device_id: str
    method: str
    occurred_at: datetime


@dataclass(frozen=True)
class DeviceWindow:
    """AT-8: how far a device's clock may run ahead of the server's, and how old an offline upload may be."""

    max_ahead: timedelta
    max_age: timedelta

    def accept(self, occurred_at: datetime, now: datetime) -> datetime:
        """The device time, in UTC, when it lies in the window. Offline uploads of the recent past are accepted as
        they are (and marked late, LATE-1); a time further ahead, or older than `max_age`, is refused, so a device
        token cannot backfill attendance, pay and fees into a month long closed (issue 11)."""
        if occurred_at.tzinfo is None:
            raise DeviceTimeRefused("device time must carry a timezone")
        if occurred_at - now > self.max_ahead:
            raise DeviceTimeRefused(
                f"occurred_at is {(occurred_at - now).total_seconds():.0f}s ahead of the server clock "
                f"(at most {self.max_ahead.total_seconds():.0f}s allowed)"
            )
        if now - occurred_at > self.max_age:
            raise DeviceTimeRefused(
                f"occurred_at is more than {self.max_age.days} days old: too late to upload (AT-8 window)"
            )
        return occurred_at.astimezone(UTC)


def owns_device(*, is_kiosk: bool, subject: str, device_id: str) -> bool:
    """AT-8: a kiosk reports under its own device id (its token's subject); a teacher's app reports under the
    teacher's own, `<subject>` or `<subject>/<device>`, so nobody records events as a gate kiosk they are not."""
    if is_kiosk:
        return device_id == subject
    return device_id == subject or device_id.startswith(f"{subject}/")


def as_utc(moment: datetime) -> datetime:
    """An aware UTC moment; a naive one is UTC already (SQLite keeps the UTC wall time without its offset)."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def session_date_for(event: DeviceEvent) -> str:
    """The school-local date of the session a check-in belongs to (schools run on Asia/Shanghai time)."""
    return school_date(event.occurred_at)


class Outcome(StrEnum):
    """What became of one device event of a batch (AT-8)."""

    CREATED = "created"
    DUPLICATE = "duplicate"
    REFUSED = "refused"


def batch_counts(outcomes: Iterable[Outcome]) -> dict[str, int]:
    """A batch answer's counts (AT-8): how many of its events were created, duplicates, or refused."""
    counts = Counter(outcomes)
    return {
        "created": counts[Outcome.CREATED],
        "duplicates": counts[Outcome.DUPLICATE],
        "refused": counts[Outcome.REFUSED],
    }


def identity(event: DeviceEvent) -> tuple[str, str, datetime]:
    """A device event is the same event when the same device saw the same child at the same device time (AT-8)."""
    return event.device_id, event.student_id, as_utc(event.occurred_at)


def in_device_order(events: Sequence[DeviceEvent]) -> list[int]:
    """AT-8: the positions of a batch in device-time order (ties keep the upload order), to apply it in."""
    return sorted(range(len(events)), key=lambda position: events[position].occurred_at)


def first_sightings(events: Sequence[DeviceEvent], order: Sequence[int]) -> tuple[list[int], dict[int, int]]:
    """AT-8: of a batch in device order, the positions seen first, and each repeat mapped to its first sighting."""
    first: dict[tuple[str, str, datetime], int] = {}
    repeats: dict[int, int] = {}
    for position in order:
        key = identity(events[position])
        if key in first:
            repeats[position] = first[key]
        else:
            first[key] = position
    return list(first.values()), repeats
