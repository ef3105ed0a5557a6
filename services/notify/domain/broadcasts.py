"""Repeated emergency broadcasts are merged (issue 10, BX-7): the same message to the same guardians within the
window tells nobody anything new, so it is not sent again; five clicks of the button are one alert."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import datetime, timedelta


def broadcast_key(
    *, school_id: str, grades: Sequence[int], drill: bool, reason: str, dismiss_at: datetime, note: str | None
) -> str:
    """What makes two broadcasts the same message to the same guardians (not who sent it, nor its id)."""
    text = "|".join(
        [school_id, ",".join(map(str, sorted(set(grades)))), str(drill), reason, dismiss_at.isoformat(), note or ""]
    )
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def is_repeat(previous_at: datetime | None, at: datetime, window: timedelta) -> bool:
    """Whether a broadcast at `at` repeats one sent at `previous_at` (either order: Kafka may reorder keys)."""
    return previous_at is not None and abs(at - previous_at) < window
