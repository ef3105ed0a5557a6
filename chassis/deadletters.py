"""Replaying dead letters: an operator sends parked events back to their topic once the cause is fixed.

A replayed event keeps its id, so a consumer that did handle it after all skips it (inbox); the replay itself
is a consumer group of its own, so each dead letter is replayed once, and a letter the replay itself caused (the
event failed again) waits for the next replay. The envelope gains `replayedat`, so the
consumer measures its age from the replay, not from the event (which may be days old).
"""

from __future__ import annotations

import orjson

from chassis.bus import Bus, Partition
from chassis.clock import Clock, SystemClock


async def replay_dead_letters(
    bus: Bus, service: str, *, limit: int = 10_000, idle_seconds: float = 2.0, clock: Clock | None = None
) -> int:
    """Republish up to `limit` of `service`'s dead letters to their original topics; returns how many."""
    replayed_at = (clock or SystemClock()).now().isoformat()
    consumer = bus.consumer(f"{service}.deadletters-replay", [f"{service}.deadletters"])
    await consumer.start()
    replayed = 0
    # A partition that reaches a letter this very replay caused (the cause is not fixed: the event failed again)
    # stops there, and the next replay resumes from it: replaying it again now would loop until `limit`.
    stopped: dict[Partition, int] = {}
    try:
        while replayed < limit:
            batch = await consumer.getmany(timeout=idle_seconds, max_records=min(500, limit - replayed))
            if not batch:
                break
            for part, records in batch.items():
                for record in records:
                    if part in stopped:
                        break
                    letter = orjson.loads(record.value)
                    if _replayed_at(letter["value"]) == replayed_at:
                        stopped[part] = record.offset
                        break
                    value = _marked(letter["value"], replayed_at)
                    await bus.publish(letter["topic"], letter["key"] or "", value)
                    replayed += 1
            await consumer.commit({part: stopped.get(part, records[-1].offset + 1) for part, records in batch.items()})
    finally:
        await consumer.stop()
    return replayed


def _replayed_at(value: str) -> object:
    """The parked event's `replayedat`, if it is an envelope that has one."""
    try:
        envelope = orjson.loads(value)
    except orjson.JSONDecodeError:
        return None
    return envelope.get("replayedat") if isinstance(envelope, dict) else None


def _marked(value: str, replayed_at: str) -> bytes:
    """The parked event with `replayedat` set; a value that is no envelope goes back as it was (to be parked again)."""
    try:
        envelope = orjson.loads(value)
    except orjson.JSONDecodeError:
        return value.encode()
    if not isinstance(envelope, dict):
        return value.encode()
    return orjson.dumps({**envelope, "replayedat": replayed_at})
