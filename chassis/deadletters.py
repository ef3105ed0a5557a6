"""Replaying dead letters: an operator sends parked events back to their topic once the cause is fixed.

A replayed event keeps its id, so a consumer that did handle it after all skips it (inbox); the replay itself
is a consumer group of its own, so each dead letter is replayed once.
"""

from __future__ import annotations

import orjson

from chassis.bus import Bus


async def replay_dead_letters(bus: Bus, service: str, *, limit: int = 10_000, idle_seconds: float = 2.0) -> int:
    """Republish up to `limit` of `service`'s dead letters to their original topics; returns how many."""
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
                    await bus.publish(letter["topic"], letter["key"] or "", letter["value"].encode())
                    replayed += 1
            await consumer.commit({part: records[-1].offset + 1 for part, records in batch.items()})
    finally:
        await consumer.stop()
    return replayed
