"""One contract, two buses: the in-process bus must behave as Kafka does wherever the services rely on it."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Sequence

import pytest

from chassis.bus import Bus, BusConsumer, Partition, Record
from chassis.bus.kafka import KafkaBus
from chassis.bus.memory import MemoryBus
from tests.conftest import KAFKA

pytestmark = [pytest.mark.contract, pytest.mark.timeout(180)]

TOPIC = "attendance.events"


@pytest.fixture(params=["memory", "kafka"])
async def bus(request: pytest.FixtureRequest, topic_prefix: str) -> AsyncIterator[Bus]:
    """Each backend, with fresh topics."""
    backend: Bus = MemoryBus() if request.param == "memory" else KafkaBus(KAFKA, prefix=topic_prefix)
    await backend.start()
    await backend.ensure_topics({TOPIC: 3, "notify.events": 3})
    yield backend
    await backend.stop()


@contextlib.asynccontextmanager
async def member(bus: Bus, group: str) -> AsyncIterator[BusConsumer]:
    """A started member of `group` reading TOPIC, stopped when the block ends however it ends."""
    consumer = bus.consumer(group, [TOPIC])
    await consumer.start()
    try:
        yield consumer
    finally:
        await consumer.stop()


async def collect(consumer: BusConsumer, count: int, *, timeout: float = 30.0) -> list[Record]:
    """Read until `count` records arrived (or fail after `timeout`)."""
    received: list[Record] = []
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while len(received) < count:
        assert loop.time() < deadline, f"received {len(received)} of {count}"
        for records in (await consumer.getmany(timeout=0.5, max_records=100)).values():
            received.extend(records)
    return received


async def drain(consumer: BusConsumer, seconds: float = 2.0) -> list[Record]:
    """Whatever else arrives within `seconds`."""
    received: list[Record] = []
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    while loop.time() < deadline:
        for records in (await consumer.getmany(timeout=0.3, max_records=100)).values():
            received.extend(records)
    return received


async def publish(bus: Bus, items: Sequence[tuple[str, str]]) -> None:
    for key, value in items:
        await bus.publish(TOPIC, key, value.encode())


async def commit_all(consumer: BusConsumer, records: Sequence[Record]) -> None:
    offsets: dict[Partition, int] = {}
    for r in records:
        offsets[r.where] = max(offsets.get(r.where, 0), r.offset + 1)
    await consumer.commit(offsets)


async def test_each_keys_records_arrive_in_the_order_they_were_published(bus: Bus) -> None:
    items = [(f"student-{i % 5}", f"{i % 5}:{i}") for i in range(60)]
    await publish(bus, items)
    async with member(bus, "g-order") as consumer:
        received = await collect(consumer, 60)
    for k in range(5):
        mine = [r.value.decode() for r in received if r.key == f"student-{k}"]
        assert mine == [v for key, v in items if key == f"student-{k}"]
        assert len({r.partition for r in received if r.key == f"student-{k}"}) == 1


async def test_every_group_reads_everything_with_its_own_offsets(bus: Bus) -> None:
    await publish(bus, [(f"k{i}", str(i)) for i in range(10)])
    async with member(bus, "notify") as notify, member(bus, "stipend") as stipend:
        await commit_all(notify, await collect(notify, 10))
        assert sorted(r.value for r in await collect(stipend, 10)) == sorted(str(i).encode() for i in range(10))


async def test_uncommitted_records_are_delivered_again_and_committed_ones_are_not(bus: Bus) -> None:
    await publish(bus, [(f"k{i}", str(i)) for i in range(12)])
    first = bus.consumer("g-redeliver", [TOPIC])
    await first.start()
    received = await collect(first, 12)
    first_of_each_partition = {r.where: r for r in sorted(received, key=lambda r: -r.offset)}.values()
    await commit_all(first, list(first_of_each_partition))
    await first.stop()  # leaves without committing the rest, as a crashed consumer would

    async with member(bus, "g-redeliver") as second:
        again = await collect(second, 12 - len(first_of_each_partition))
        assert sorted(r.value for r in again) == sorted(r.value for r in received if r not in first_of_each_partition)
        assert await drain(second, 1.0) == []


async def test_seek_reads_a_partition_again(bus: Bus) -> None:
    await publish(bus, [("same-key", str(i)) for i in range(4)])
    async with member(bus, "g-seek") as consumer:
        received = await collect(consumer, 4)
        consumer.seek(received[1].where, received[1].offset)
        again = await collect(consumer, 3)
        assert [r.value for r in again] == [b"1", b"2", b"3"]


async def test_members_of_one_group_share_the_partitions(bus: Bus) -> None:
    async with member(bus, "g-share") as a, member(bus, "g-share") as b:
        await drain(a, 1.0)
        await drain(b, 1.0)  # let the group settle before publishing
        await publish(bus, [(f"k{i}", str(i)) for i in range(30)])
        got_a, got_b = await asyncio.gather(drain(a, 4.0), drain(b, 4.0))
        values = [r.value for r in got_a + got_b]
        assert sorted(values) == sorted(str(i).encode() for i in range(30))
        assert not {r.partition for r in got_a} & {r.partition for r in got_b}


async def test_lag_counts_what_is_not_yet_read(bus: Bus) -> None:
    await publish(bus, [("k", str(i)) for i in range(5)])
    async with member(bus, "g-lag") as consumer:
        await collect(consumer, 5)
        assert sum(consumer.lag().values()) == 0
