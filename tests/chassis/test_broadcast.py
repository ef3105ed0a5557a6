"""The live broadcaster: one Redis pub/sub connection per process however many listeners it holds, fanned out in
memory to bounded queues; a listener that falls behind is dropped without holding up the others (issue 10)."""

from __future__ import annotations

import asyncio
import uuid

import pytest
from redis.asyncio import Redis

from chassis.broadcast import MemoryBroadcaster, RedisBroadcaster, bundle, unbundle
from tests.conftest import REDIS_URL, eventually

pytestmark = pytest.mark.timeout(60)


async def _subscribed_clients(admin: Redis, name: str) -> list[dict[str, str]]:
    """The Redis connections named `name` that hold a subscription."""
    clients = await admin.client_list()
    return [c for c in clients if c.get("name") == name and int(c.get("sub", 0)) > 0]


async def test_many_listeners_share_one_redis_subscription_and_all_receive() -> None:
    name = f"bcast-{uuid.uuid4().hex[:8]}"
    namespace = f"{name}."
    redis = Redis.from_url(REDIS_URL, client_name=name)
    admin = Redis.from_url(REDIS_URL)
    broadcaster = RedisBroadcaster(redis, namespace, queue_size=10)
    try:
        channels = [f"guardian:g{n}" for n in range(20)]
        listeners = [await broadcaster.listen(channel) for channel in channels for _ in range(10)]  # 200 listeners

        subscribed = await _subscribed_clients(admin, name)
        assert len(subscribed) == 1  # today's code: 200, one per listener
        assert int(subscribed[0]["sub"]) == 20 + 1  # one subscription per channel, not per listener; and the bundles
        counts = dict(await admin.pubsub_numsub(*(f"{namespace}live:{c}" for c in channels)))
        assert set(counts.values()) == {1}

        for channel in channels:
            await broadcaster.publish(channel, f"alert for {channel}".encode())
        async with asyncio.timeout(10):
            received = await asyncio.gather(*(anext(listener) for listener in listeners))
        assert received == [f"alert for {listener.channel}".encode() for listener in listeners]

        for listener in listeners:
            await listener.aclose()

        async def unsubscribed() -> bool:  # the last listener of a channel gone, the channel is let go
            return not await _subscribed_clients(admin, name)

        await eventually(unsubscribed, timeout=10)
        again = await broadcaster.listen(channels[0])  # and taken up again for a new listener
        await broadcaster.publish(channels[0], b"again")
        async with asyncio.timeout(10):
            assert await anext(again) == b"again"
    finally:
        await broadcaster.close()
        await redis.aclose()
        await admin.aclose()


@pytest.mark.parametrize("kind", ["memory", "redis"])
async def test_a_listener_that_falls_behind_is_dropped_and_the_others_still_receive(kind: str) -> None:
    redis = Redis.from_url(REDIS_URL)
    broadcaster = (
        MemoryBroadcaster(queue_size=3)
        if kind == "memory"
        else RedisBroadcaster(redis, f"lag-{uuid.uuid4().hex[:8]}.", queue_size=3)
    )
    try:
        slow = await broadcaster.listen("school:s1")  # never read
        quick = await broadcaster.listen("school:s1")
        received: list[bytes] = []

        async def read_quick() -> None:
            async for message in quick:
                received.append(message)

        reader = asyncio.create_task(read_quick())
        for number in range(5):
            await broadcaster.publish("school:s1", f"m{number}".encode())
            await eventually(lambda n=number: len(received) > n, timeout=10)
        assert received == [f"m{n}".encode() for n in range(5)]  # never held up by the slow one
        assert slow.dropped
        assert not quick.dropped
        assert [m async for m in slow] == []  # it ends at once: its client reconnects and resumes
        reader.cancel()
    finally:
        await broadcaster.close()
        await redis.aclose()


@pytest.mark.parametrize("kind", ["redis", "memory"])
async def test_a_fan_out_published_at_once_reaches_each_channel_in_order(kind: str) -> None:
    """`publish_many`: a whole school's broadcast in bundles, a round trip each (more than one bundle here), each
    message to its own channel's listeners only, in the order given."""
    redis = Redis.from_url(REDIS_URL) if kind == "redis" else None
    broadcaster = (
        RedisBroadcaster(redis, f"many-{uuid.uuid4().hex[:8]}.", queue_size=10) if redis else MemoryBroadcaster(10)
    )
    try:
        channels = [f"guardian:g{n}" for n in range(1200)]
        listeners = {channel: await broadcaster.listen(channel) for channel in channels[::100]}
        messages = [(channel, f"{channel}#{i}".encode()) for i in range(2) for channel in channels]
        await broadcaster.publish_many(messages)
        async with asyncio.timeout(10):
            for channel, listener in listeners.items():
                assert [await anext(listener) for _ in range(2)] == [f"{channel}#0".encode(), f"{channel}#1".encode()]
        await broadcaster.publish_many([])
    finally:
        await broadcaster.close()
        if redis is not None:
            await redis.aclose()


def test_a_bundle_gives_back_every_channel_and_message_in_order_whatever_their_bytes() -> None:
    """A broadcast's messages travel bundled (one PUBLISH a thousand); any bytes, empty ones and non-ASCII channel
    names included, come back unchanged."""
    pairs = [("guardian:小明妈妈", b"event: notification\ndata: {}\n\n"), ("staff:t1", b""), ("g:2", bytes(range(256)))]
    assert unbundle(bundle(pairs)) == pairs
    assert unbundle(bundle([])) == []
