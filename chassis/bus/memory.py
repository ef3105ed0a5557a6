"""In-process bus for the embedded mode: per-key order, consumer groups with their own offsets, redelivery.

It keeps Kafka's semantics that the services rely on, so code never learns which bus it runs on:
a key always lands in the same partition, each group commits its own offsets, a member that leaves hands
its partitions to the others, and records not committed are read again.
"""

from __future__ import annotations

import asyncio
import zlib
from collections.abc import Mapping, Sequence

from chassis.bus.base import Bus, BusConsumer, CommitFailed, Partition, Record

DEFAULT_PARTITIONS = 6


class _Group:
    def __init__(self) -> None:
        self.committed: dict[Partition, int] = {}
        self.members: list[MemoryConsumer] = []


class MemoryBus(Bus):
    """All topics and groups live in this object; nothing survives the process (the outbox does)."""

    def __init__(self, *, partitions: int = DEFAULT_PARTITIONS) -> None:
        self.default_partitions = partitions
        self.logs: dict[str, list[list[Record]]] = {}
        self.groups: dict[str, _Group] = {}
        self.arrived = asyncio.Condition()

    async def start(self) -> None:
        """Nothing to connect."""

    async def stop(self) -> None:
        """Nothing to flush."""

    async def ping(self) -> None:
        """Always reachable."""

    async def ensure_topics(self, partitions: Mapping[str, int]) -> None:
        """Create missing topics with the given partition counts."""
        for topic, count in partitions.items():
            self._topic(topic, count)

    async def publish(self, topic: str, key: str, value: bytes) -> None:
        """Append to the key's partition and wake the readers."""
        log = self._topic(topic)
        number = partition_for(key, len(log))
        log[number].append(Record(topic, number, len(log[number]), key, value))
        async with self.arrived:
            self.arrived.notify_all()

    def consumer(self, group: str, topics: Sequence[str]) -> BusConsumer:
        """A new member of `group`."""
        return MemoryConsumer(self, group, topics)

    def _topic(self, topic: str, count: int | None = None) -> list[list[Record]]:
        if topic not in self.logs:
            self.logs[topic] = [[] for _ in range(count or self.default_partitions)]
        return self.logs[topic]

    def _rebalance(self, group: _Group) -> None:
        """Deal the subscribed partitions round-robin among the members, each resuming at the commit."""
        members = group.members
        for member in members:
            member.assigned = {}
        if not members:
            return
        every = sorted({Partition(t, p) for m in members for t in m.topics for p in range(len(self._topic(t)))})
        for index, part in enumerate(every):
            eligible = [m for m in members if part.topic in m.topics]
            owner = eligible[index % len(eligible)]
            owner.assigned[part] = group.committed.get(part, 0)


def partition_for(key: str, partitions: int) -> int:
    """A stable partition for a key (crc32, so it is the same in every process)."""
    return zlib.crc32(key.encode()) % partitions


class MemoryConsumer(BusConsumer):
    """A group member reading from a MemoryBus."""

    def __init__(self, bus: MemoryBus, group: str, topics: Sequence[str]) -> None:
        self.bus, self.group_name, self.topics = bus, group, tuple(topics)
        self.assigned: dict[Partition, int] = {}

    @property
    def _group(self) -> _Group:
        return self.bus.groups.setdefault(self.group_name, _Group())

    async def start(self) -> None:
        """Join and take a share of the partitions."""
        self._group.members.append(self)
        self.bus._rebalance(self._group)

    async def stop(self) -> None:
        """Leave; the others take over this member's partitions from their committed offsets."""
        if self in self._group.members:
            self._group.members.remove(self)
            self.bus._rebalance(self._group)

    async def getmany(self, *, timeout: float, max_records: int) -> dict[Partition, list[Record]]:
        """Wait up to `timeout` for records after our positions."""
        batch = self._take(max_records)
        if batch:
            return batch
        async with self.bus.arrived:
            try:
                async with asyncio.timeout(timeout):
                    await self.bus.arrived.wait_for(lambda: bool(self._pending()))
            except TimeoutError:
                return {}
        return self._take(max_records)

    def _pending(self) -> list[Partition]:
        return [p for p, pos in self.assigned.items() if pos < len(self.bus.logs[p.topic][p.partition])]

    def _take(self, max_records: int) -> dict[Partition, list[Record]]:
        batch: dict[Partition, list[Record]] = {}
        room = max_records
        for part in self._pending():
            if room <= 0:
                break
            position = self.assigned[part]
            records = self.bus.logs[part.topic][part.partition][position : position + room]
            batch[part] = records
            self.assigned[part] = position + len(records)
            room -= len(records)
        return batch

    async def commit(self, offsets: Mapping[Partition, int]) -> None:
        """Commit, refusing partitions this member no longer owns (as Kafka does after a rebalance)."""
        lost = [p for p in offsets if p not in self.assigned]
        if lost:
            raise CommitFailed(f"partitions no longer assigned: {lost}")
        self._group.committed.update(offsets)

    def seek(self, partition: Partition, offset: int) -> None:
        """Read again from `offset`."""
        if partition in self.assigned:
            self.assigned[partition] = offset

    def lag(self) -> dict[Partition, int]:
        """End of each assigned partition minus our position."""
        return {p: len(self.bus.logs[p.topic][p.partition]) - pos for p, pos in self.assigned.items()}
