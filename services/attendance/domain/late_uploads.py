"""Late uploads (AT-8): facts that reach the school long after the moment they describe.

A kiosk that was offline uploads its queue when it reconnects: a whole afternoon's check-ins at 22:00, or a
check-in batch and its check-out batch a few seconds apart after dismissal. The device time says what happened;
the arrival time says what the school could have known. Three rules follow, and they are the whole policy:

- LATE-1 A check-in or check-out that arrives more than `LATE_AFTER` after its device time is *late*. It is
  stored and published as usual, in device-time order, and staff see it marked late with its arrival time.
- LATE-2 A timer judges the moment it is due for, by device times, from the facts known by then. A child whose
  check-in arrived only after a band's not-collected moment is not moved to reception by it: the check-out may be
  in the same queue, seconds behind. Staff still see the child on the board, and 清校 must account for them.
- LATE-3 A guardian is never alarmed about a moment that is already history: a timer set more than
  `HISTORY_AFTER` past its due time (a day first opened by a late upload, a session added after it started) is
  recorded as expired and never fires. A timer set in time that fires late (a worker outage) still fires, and the
  escalation that follows it starts from now, not from the past.
"""

from __future__ import annotations

from datetime import datetime, timedelta

LATE_AFTER = timedelta(minutes=2)
HISTORY_AFTER = timedelta(minutes=5)


def is_late(occurred_at: datetime, received_at: datetime) -> bool:
    """LATE-1: the fact reached the school more than LATE_AFTER after the device says it happened."""
    return received_at - occurred_at > LATE_AFTER


def is_history(due_at: datetime, now: datetime) -> bool:
    """LATE-3: a timer for `due_at`, set at `now`, judges a moment already past: it must not alarm anyone."""
    return due_at < now - HISTORY_AFTER


def not_before(due_at: datetime, now: datetime) -> datetime:
    """LATE-3: a follow-up step of a timer that fired late is due no earlier than now (never in the past)."""
    return max(due_at, now)
