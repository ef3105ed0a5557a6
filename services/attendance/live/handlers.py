"""Live board pings: a change in a school's attendance wakes every board stream of that school at once.

Streams also recompute on a short interval (`board/api.py`), so a change made by a slice that does not ping
still reaches the screens within seconds; a ping only makes it immediate. Pings are fire-and-forget: a lost
one costs at most one interval, never a wrong number. Handlers register the ping on their unit of work, so it
goes out only once the change is committed.
"""

from __future__ import annotations

import logging

from chassis.broadcast import Broadcaster
from chassis.uow import UnitOfWork

log = logging.getLogger(__name__)


def channel(school_id: str) -> str:
    """The broadcaster channel of a school's board."""
    return f"attendance-board:{school_id}"


def wake_board(uow: UnitOfWork, school_id: str) -> None:
    """Once `uow` commits, tell the school's board streams (on every replica) that something changed."""
    uow.after_commit(lambda: announce(uow.broadcaster, school_id))


async def announce(broadcaster: Broadcaster, school_id: str) -> None:
    """Tell the school's board streams, now, that something changed (a lost ping costs one interval)."""
    try:
        await broadcaster.publish(channel(school_id), b"changed")
    except Exception:
        log.warning("board ping failed; streams catch up at their next interval", exc_info=True)
