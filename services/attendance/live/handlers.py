"""Live board pings: a change in a school's attendance wakes every board stream of that school at once.

Streams also recompute on a short interval (`board/api.py`), so a change made by a slice that does not ping
still reaches the screens within seconds; a ping only makes it immediate. Pings are fire-and-forget: a lost
one costs at most one interval, never a wrong number.
"""

from __future__ import annotations

import logging

from chassis.app import Runtime

log = logging.getLogger(__name__)


def channel(school_id: str) -> str:
    """The broadcaster channel of a school's board."""
    return f"attendance-board:{school_id}"


async def announce(runtime: Runtime, school_id: str) -> None:
    """Tell the school's board streams (on every replica) that something changed."""
    try:
        await runtime.broadcaster.publish(channel(school_id), b"changed")
    except Exception:
        log.warning("board ping failed; streams catch up at their next interval", exc_info=True)
