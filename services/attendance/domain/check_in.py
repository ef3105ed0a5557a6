"""Check-in rules (AT-2, AT-8): which device events are accepted and which session they count for."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum

from chassis.clock import school_date


class DeviceClockAhead(ValueError):
    """The device claims a time too far in the future to be trusted."""


@dataclass(frozen=True)
class DeviceEvent:
    """What a kiosk or a teacher's app reports: who, when (device time), where, how."""

    student_id: str
    device_id: str
    method: str
    occurred_at: datetime


def accept_device_time(occurred_at: datetime, now: datetime, max_skew: timedelta) -> datetime:
    """AT-8: the device's own time orders events, so offline uploads of the past are accepted as they are;
    a time further ahead than the allowed clock skew is refused rather than silently trusted."""
    if occurred_at.tzinfo is None:
        raise ValueError("device time must carry a timezone")
    if occurred_at - now > max_skew:
        raise DeviceClockAhead(
            f"occurred_at is {(occurred_at - now).total_seconds():.0f}s ahead of the server clock "
            f"(at most {max_skew.total_seconds():.0f}s allowed)"
        )
    return occurred_at.astimezone(UTC)


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
