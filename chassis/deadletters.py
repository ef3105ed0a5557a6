"""Replaying dead letters: an operator sends parked events back to their topic once the cause is fixed.

A replayed event keeps its id, so a consumer that did handle it after all skips it (inbox); the replay itself
is a consumer group of its own, so each dead letter is replayed once. The envelope gains `replayedat`, so the
consumer measures its age from the replay, not from the event (which may be days old).
"""

from __future__ import annotations

import orjson

from chassis.bus import Bus
from chassis.clock import Clock, SystemClock


async def replay_dead_letters(
    bus: Bus, service: str, *, limit: int = 10_000, idle_seconds: float = 2.0, clock: Clock | None = None
) -> int:
    """Republish up to `limit` of `service`'s dead letters to their original topics; returns how many."""
    replayed_at = (clock or SystemClock()).now().isoformat()
    consumer = bus.consumer(f"{service}.deadletters-replay", [f"{service}.deadletters"])
    await consumer.start()
    replayed = 0
    try:
        while replayed < limit:
            batch = await consumer.getmany(timeout=idle_seconds, max_records=min(500, limit - replayed))
            if not batch:
                break
            for records in batch.values():
                for record in records:
                    letter = orjson.loads(record.value)
                    value = _marked(letter["value"], replayed_at)
                    await bus.publish(letter["topic"], letter["key"] or "", value)
                    replayed += 1
            await consumer.commit({part: records[-1].offset + 1 for part, records in batch.items()})
    finally:
        await consumer.stop()
    return replayed


def _marked(value: str, replayed_at: str) -> bytes:
    """The parked event with `replayedat` set; a value that is no envelope goes back as it was (to be parked again)."""
    try:
        envelope = orjson.loads(value)
    except orjson.JSONDecodeError:
        return value.encode()
    if not isinstance(envelope, dict):
        return value.encode()
    return orjson.dumps({**envelope, "replayedat": replayed_at})
