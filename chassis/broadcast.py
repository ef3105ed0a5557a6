"""Live fan-out for server-sent events: Redis pub/sub across replicas, or in-process for the embedded mode.

Either way a process holds its listeners in memory, each with a bounded queue, and hands every message of a
channel to that channel's listeners. With Redis the process holds ONE pub/sub connection, subscribed to the
channels that have at least one local listener (a stream used to hold a connection each: 500 streams of one
guardian drained the pool and took the replica out of readiness). A listener that falls `queue_size` messages
behind is dropped (its iteration ends) rather than slowing the others; its client reconnects and resumes.

`publish_many` (a whole school's broadcast: 10,000 messages to 10,000 channels) sends its messages bundled, up to
`BUNDLE_SIZE` a PUBLISH, on one bundle channel every process subscribes to: the one reader then parses ten Redis
messages instead of 10,000 (parsing them one `get_message` at a time was a sixth of notify's CPU in the fan-out).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import struct
from collections import defaultdict
from collections.abc import Callable, Sequence
from typing import Any, Protocol

log = logging.getLogger(__name__)

DEFAULT_QUEUE_SIZE = 1000
SUBSCRIBE_TIMEOUT = 5.0
"""Seconds a new listener waits for Redis to confirm its channel's subscription."""
BUNDLE_SIZE = 1000
"""Messages a bundle (one PUBLISH): a whole-school broadcast of 10,000 is ten."""
_ENTRY = struct.Struct("!HI")  # a bundled message's channel length and message length, before the two


def bundle(messages: Sequence[tuple[str, bytes]]) -> bytes:
    """(channel, message) pairs as one payload, each length-prefixed (messages are any bytes)."""
    parts: list[bytes] = []
    for channel, message in messages:
        name = channel.encode()
        parts += (_ENTRY.pack(len(name), len(message)), name, message)
    return b"".join(parts)


def unbundle(payload: bytes) -> list[tuple[str, bytes]]:
    """The (channel, message) pairs of a `bundle`, in order."""
    pairs, at, end, head = [], 0, len(payload), _ENTRY.size
    while at < end:
        name_length, length = _ENTRY.unpack_from(payload, at)
        at += head
        channel = payload[at : at + name_length].decode()
        at += name_length
        pairs.append((channel, payload[at : at + length]))
        at += length
    return pairs


class Listener:
    """One local subscriber of a channel: iterate it for messages; it ends when closed or dropped for lagging.

    Small on purpose (a notify process holds one per open stream, 10,000 of them): slots, no queue object until a
    message waits, and a future only while its reader waits."""

    __slots__ = ("_closed", "_items", "_release", "_size", "_waiter", "channel", "dropped")

    def __init__(self, channel: str, size: int, release: Callable[[Listener], object]) -> None:
        self.channel = channel
        self.dropped = False
        # The messages not yet read, none held while there are none. A list, not a deque: a broadcast queues one
        # message on each of 10,000 listeners at once, and a deque's first block is ~600 bytes where this is ~90.
        self._items: list[bytes] | None = None
        self._waiter: asyncio.Future[None] | None = None
        self._size, self._release, self._closed = size, release, False

    def offer(self, message: bytes) -> None:
        """Queue a message without waiting; a full queue drops this listener instead (others are not held up)."""
        if self._closed:
            return
        if self._items is None:
            self._items = []
        if len(self._items) >= self._size:
            self.dropped = True
            self._end()
            return
        self._items.append(message)
        self._wake()

    def discard_queued(self) -> None:
        """Let go of the messages queued so far (for a reader that only needs to know that something changed)."""
        self._items = None

    def _wake(self) -> None:
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_result(None)

    def _end(self) -> None:
        if self._closed:
            return
        self._closed = True
        self._release(self)
        self._items = None  # a dropped listener ends at once: its client resumes from its last event
        self._wake()

    def __aiter__(self) -> Listener:
        return self

    async def __anext__(self) -> bytes:
        while (message := await self.next_within(None)) is None:
            pass  # nothing to wait out without a timer: only a message or the end wakes it
        return message

    async def next_within(self, seconds: float | None) -> bytes | None:
        """The next message, or None if none came within `seconds` (a stream's keep-alive is due; None: no limit);
        StopAsyncIteration once it has ended. One timer handle while it waits, where `asyncio.timeout` kept a context
        manager too."""
        if not self._items:
            if self._closed:
                raise StopAsyncIteration
            loop = asyncio.get_running_loop()
            self._waiter = loop.create_future()
            timer = None if seconds is None else loop.call_later(seconds, self._wake)
            try:
                await self._waiter
            finally:
                self._waiter = None
                if timer is not None:
                    timer.cancel()
            if not self._items:
                if self._closed:
                    raise StopAsyncIteration
                return None
        message = self._items.pop(0)
        if not self._items:
            self._items = None
        return message

    async def aclose(self) -> None:
        """Stop listening (idempotent)."""
        self._end()


class Broadcaster(Protocol):
    """Publish to a channel; every current listener of that channel (on any replica) receives it."""

    async def publish(self, channel: str, message: bytes) -> None: ...

    async def publish_many(self, messages: Sequence[tuple[str, bytes]]) -> None:
        """Publish each (channel, message), in order: one round trip for a whole fan-out, not one per message."""
        ...

    async def listen(self, channel: str) -> Listener:
        """A listener of `channel`, receiving every message published after this returns."""
        ...

    async def close(self) -> None: ...

    def listening(self) -> int:
        """How many listeners this process holds (open live streams)."""
        ...


class _Fanout:
    """The listeners of this process, per channel."""

    def __init__(self, queue_size: int) -> None:
        if queue_size < 1:
            raise ValueError("a listener's queue holds at least one message")
        self.queue_size = queue_size
        self.listeners: dict[str, set[Listener]] = defaultdict(set)

    def add(self, channel: str, release: Callable[[Listener], object]) -> Listener:
        listener = Listener(channel, self.queue_size, release)
        self.listeners[channel].add(listener)
        return listener

    def remove(self, listener: Listener) -> bool:
        """Forget a listener; whether it was its channel's last."""
        found = self.listeners.get(listener.channel)
        if found is None:
            return False
        found.discard(listener)
        if found:
            return False
        del self.listeners[listener.channel]
        return True

    def count(self) -> int:
        """How many listeners this process holds (open live streams)."""
        return sum(len(listeners) for listeners in self.listeners.values())

    def deliver(self, channel: str, message: bytes) -> None:
        for listener in list(self.listeners.get(channel, ())):
            listener.offer(message)


class MemoryBroadcaster:
    """Listeners are queues in this process (the embedded mode, and units of work without a runtime)."""

    def __init__(self, queue_size: int = DEFAULT_QUEUE_SIZE) -> None:
        self._fanout = _Fanout(queue_size)

    async def publish(self, channel: str, message: bytes) -> None:
        """Hand the message to every local listener."""
        self._fanout.deliver(channel, message)

    async def publish_many(self, messages: Sequence[tuple[str, bytes]]) -> None:
        """Hand each message to its channel's local listeners, in order."""
        for channel, message in messages:
            self._fanout.deliver(channel, message)

    async def listen(self, channel: str) -> Listener:
        """A listener of `channel`, receiving every message published after this returns."""
        return self._fanout.add(channel, self._fanout.remove)

    def listening(self) -> int:
        """How many listeners this process holds."""
        return self._fanout.count()

    async def close(self) -> None:
        """End every listener."""
        for listeners in list(self._fanout.listeners.values()):
            for listener in list(listeners):
                await listener.aclose()


class RedisBroadcaster:
    """One Redis pub/sub connection per process, subscribed to the channels local listeners want, fanned out in
    memory; a notification stored by one replica reaches the listeners of all."""

    def __init__(self, redis: Any, namespace: str = "", queue_size: int = DEFAULT_QUEUE_SIZE) -> None:
        self._redis, self._namespace = redis, namespace
        self._fanout = _Fanout(queue_size)
        self._pubsub: Any = None
        self._reader: asyncio.Task[None] | None = None
        self._lock = asyncio.Lock()
        self._confirmed: dict[str, asyncio.Event] = {}  # channels with a SUBSCRIBE sent and not yet taken back
        self._pending: set[asyncio.Task[None]] = set()

    def _name(self, channel: str) -> str:
        return f"{self._namespace}live:{channel}"

    @property
    def _bundles(self) -> str:  # outside `live:`, so no listener's channel can be named like it
        return f"{self._namespace}live-bundles"

    async def publish(self, channel: str, message: bytes) -> None:
        """PUBLISH to Redis."""
        await self._redis.publish(self._name(channel), message)

    async def publish_many(self, messages: Sequence[tuple[str, bytes]]) -> None:
        """PUBLISH them in bundles of `BUNDLE_SIZE` on the bundle channel, in order, a round trip a bundle: one
        bundle's copy of the messages is held at a time, not the whole fan-out's (10 MB for a school of 10,000)."""
        for start in range(0, len(messages), BUNDLE_SIZE):
            await self._redis.publish(self._bundles, bundle(messages[start : start + BUNDLE_SIZE]))

    async def listen(self, channel: str) -> Listener:
        """A listener of `channel`, receiving every message published after this returns (Redis has confirmed the
        channel's subscription by then, so a caller may read a backlog next and miss nothing)."""
        async with self._lock:
            if self._pubsub is None:
                self._pubsub = self._redis.pubsub()
                await self._pubsub.connect()
                self._reader = asyncio.create_task(self._read(), name="broadcast-reader")
            listener = self._fanout.add(channel, self._released)
            try:
                for name in (self._bundles, self._name(channel)):  # the bundles while any listener is here
                    if name not in self._confirmed:
                        self._confirmed[name] = asyncio.Event()
                        await self._pubsub.subscribe(name)
                    async with asyncio.timeout(SUBSCRIBE_TIMEOUT):
                        await self._confirmed[name].wait()
            except BaseException:
                await listener.aclose()
                raise
        return listener

    def listening(self) -> int:
        """How many listeners this process holds."""
        return self._fanout.count()

    def _released(self, listener: Listener) -> None:
        if self._fanout.remove(listener):
            task = asyncio.get_running_loop().create_task(self._unsubscribe(listener.channel))
            self._pending.add(task)
            task.add_done_callback(self._pending.discard)

    async def _unsubscribe(self, channel: str) -> None:
        async with self._lock:
            name = self._name(channel)
            if channel in self._fanout.listeners or name not in self._confirmed or self._pubsub is None:
                return  # a new listener came for it meanwhile, or the broadcaster is closed
            del self._confirmed[name]
            names = [name]
            if not self._fanout.listeners and self._bundles in self._confirmed:  # the last listener of all gone
                del self._confirmed[self._bundles]
                names.append(self._bundles)
            with contextlib.suppress(Exception):
                await self._pubsub.unsubscribe(*names)

    async def _read(self) -> None:
        """The one reader: messages to the channel's listeners, subscription confirmations to the waiters."""
        prefix = self._name("")
        while True:
            try:
                message = await self._pubsub.get_message(timeout=1.0)
            except asyncio.CancelledError:
                raise
            except Exception as error:  # the connection reconnects (and resubscribes) on the next read
                log.warning("live broadcast reader: %r; retrying", error)
                await asyncio.sleep(0.5)
                continue
            if message is None:
                continue
            name = message["channel"].decode() if isinstance(message["channel"], bytes) else message["channel"]
            if message["type"] == "subscribe" and name in self._confirmed:
                self._confirmed[name].set()
            elif message["type"] != "message":
                continue
            elif name == self._bundles:
                for channel, data in unbundle(message["data"]):
                    self._fanout.deliver(channel, data)
            elif name.startswith(prefix):
                self._fanout.deliver(name[len(prefix) :], message["data"])

    async def close(self) -> None:
        """End every listener and the pub/sub connection."""
        for listeners in list(self._fanout.listeners.values()):
            for listener in list(listeners):
                await listener.aclose()
        for task in [*self._pending, *([self._reader] if self._reader else [])]:
            task.cancel()
            with contextlib.suppress(BaseException):
                await task
        if self._pubsub is not None:
            with contextlib.suppress(Exception):
                await self._pubsub.aclose()
            self._pubsub = None
        self._confirmed.clear()
