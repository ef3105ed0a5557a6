"""Live fan-out for server-sent events: Redis pub/sub across replicas, or in-process for the embedded mode."""

from __future__ import annotations

import asyncio
import contextlib
from collections import defaultdict
from collections.abc import AsyncIterator
from typing import Any, Protocol


class Broadcaster(Protocol):
    """Publish to a channel; every current subscriber of that channel (on any replica) receives it."""

    async def publish(self, channel: str, message: bytes) -> None: ...

    def subscribe(self, channel: str) -> AsyncIterator[bytes]: ...


class MemoryBroadcaster:
    """Subscribers are queues in this process."""

    def __init__(self) -> None:
        self._queues: dict[str, set[asyncio.Queue[bytes]]] = defaultdict(set)

    async def publish(self, channel: str, message: bytes) -> None:
        """Hand the message to every local subscriber."""
        for queue in self._queues.get(channel, ()):
            queue.put_nowait(message)

    async def subscribe(self, channel: str) -> AsyncIterator[bytes]:
        """Messages published to `channel` from now on."""
        queue: asyncio.Queue[bytes] = asyncio.Queue(maxsize=1000)
        self._queues[channel].add(queue)
        try:
            while True:
                yield await queue.get()
        finally:
            self._queues[channel].discard(queue)


class RedisBroadcaster:
    """Subscribers listen on Redis channels, so a notification stored by one replica reaches all."""

    def __init__(self, redis: Any, namespace: str = "") -> None:
        self._redis, self._namespace = redis, namespace

    async def publish(self, channel: str, message: bytes) -> None:
        """PUBLISH to Redis."""
        await self._redis.publish(f"{self._namespace}live:{channel}", message)

    async def subscribe(self, channel: str) -> AsyncIterator[bytes]:
        """Messages published to `channel` from now on."""
        pubsub = self._redis.pubsub()
        await pubsub.subscribe(f"{self._namespace}live:{channel}")
        try:
            while True:
                message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=1.0)
                if message is not None:
                    yield message["data"]
        finally:
            with contextlib.suppress(Exception):
                await pubsub.unsubscribe()
                await pubsub.aclose()
