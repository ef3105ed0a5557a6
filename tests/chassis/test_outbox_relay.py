"""The outbox relay: commit order per key, nothing lost or reordered across failures, prompt wake-up."""

from __future__ import annotations

import asyncio

import pytest
from prometheus_client import REGISTRY
from sqlalchemy import func, select

from chassis.bus.memory import MemoryBus
from chassis.db import Database
from chassis.outbox import OutboxRelay
from contracts.envelope import Envelope
from tests.chassis.probe import TABLES, checked_in, unit_of_work
from tests.conftest import eventually, in_background, round_trips, school_clock

pytestmark = [pytest.mark.service, pytest.mark.timeout(60)]


class FlakyBus(MemoryBus):
    """A real in-process bus whose publish fails for chosen payload numbers once, or hangs."""

    def __init__(self) -> None:
        super().__init__()
        self.fail_once: set[str] = set()
        self.hang = False

    async def publish(self, topic: str, key: str, value: bytes) -> None:
        check_in_id = Envelope.from_bytes(value).data["check_in_id"]
        if self.hang:
            await asyncio.sleep(3600)
        if check_in_id in self.fail_once:
            self.fail_once.discard(check_in_id)
            raise ConnectionError("broker unavailable")
        await super().publish(topic, key, value)


def relay_for(db: Database, bus: MemoryBus, **kwargs: float) -> OutboxRelay:
    return OutboxRelay(db, TABLES, bus, service="probe", clock=school_clock(), **kwargs)  # type: ignore[arg-type]


def published(bus: MemoryBus, key: str | None = None) -> list[str]:
    records = [r for part in bus.logs.get("attendance.events", []) for r in part]
    return [Envelope.from_bytes(r.value).data["check_in_id"] for r in records if key is None or r.key == key]


async def commit_check_ins(db: Database, count: int) -> None:
    """`count` check-ins of as many children, each committed in a transaction of its own."""
    for n in range(count):
        async with unit_of_work(db) as uow:
            await uow.publish(checked_in(f"s{n}", n), school_id="s1")
            await uow.commit()


async def unpublished(db: Database) -> int:
    async with db.sessions() as session:
        query = select(func.count()).select_from(TABLES.outbox).where(TABLES.outbox.c.published_at.is_(None))
        return int((await session.execute(query)).scalar_one())


async def test_committed_events_are_published_in_commit_order_and_rolled_back_ones_never(db: Database) -> None:
    bus = MemoryBus()
    ids = []
    for n in range(5):
        event = checked_in("小明", n)
        async with unit_of_work(db) as uow:
            await uow.publish(event, school_id="s1")
            if n == 2:
                continue  # leaves without commit: rolled back
            await uow.commit()
        ids.append(event.check_in_id)
    sent, complete = await relay_for(db, bus).relay_once()
    assert (sent, complete) == (4, True)
    assert published(bus) == ids
    assert await unpublished(db) == 0


async def test_a_failed_send_holds_back_that_keys_later_events_but_not_other_keys(db: Database) -> None:
    bus = FlakyBus()
    mine = [checked_in("小明", n) for n in range(3)]
    other = [checked_in("小红", n) for n in range(3)]
    async with unit_of_work(db) as uow:
        for a, b in zip(mine, other, strict=True):
            await uow.publish(a, school_id="s1")
            await uow.publish(b, school_id="s1")
        await uow.commit()
    bus.fail_once.add(mine[1].check_in_id)
    relay = relay_for(db, bus)

    assert await relay.relay_once() == (4, False)
    assert published(bus, "小明") == [mine[0].check_in_id]
    assert published(bus, "小红") == [e.check_in_id for e in other]
    assert await relay.relay_once() == (2, True)
    assert published(bus, "小明") == [e.check_in_id for e in mine]


async def test_a_hanging_broker_is_cut_off_by_the_send_timeout_and_nothing_is_marked_sent(db: Database) -> None:
    bus = FlakyBus()
    bus.hang = True
    async with unit_of_work(db) as uow:
        await uow.publish(checked_in("小明"), school_id="s1")
        await uow.commit()
    started = asyncio.get_running_loop().time()
    assert await relay_for(db, bus, send_timeout=0.3).relay_once() == (0, False)
    assert asyncio.get_running_loop().time() - started < 2.0
    assert await unpublished(db) == 1


async def test_a_relay_that_dies_before_marking_resends_and_loses_nothing(db: Database) -> None:
    bus = MemoryBus()
    events = [checked_in("小明", n) for n in range(3)]
    async with unit_of_work(db) as uow:
        for e in events:
            await uow.publish(e, school_id="s1")
        await uow.commit()
    relay = relay_for(db, bus)
    original = relay._send_in_order

    async def crash_after_sending(rows: list) -> list:  # type: ignore[type-arg]
        await original(rows)
        raise RuntimeError("process killed before marking rows sent")

    relay._send_in_order = crash_after_sending  # type: ignore[method-assign]
    with pytest.raises(RuntimeError):
        await relay.relay_once()
    assert await unpublished(db) == 3
    assert await relay_for(db, bus).relay_once() == (3, True)
    ids = [e.check_in_id for e in events]
    assert published(bus) == ids + ids  # duplicates in order; consumers drop them by event id


async def test_a_commit_wakes_the_relay_at_once_not_at_the_next_poll(db: Database) -> None:
    bus = MemoryBus()
    relay = relay_for(db, bus)
    async with in_background(relay.run()):
        await asyncio.sleep(0.3)  # relay idle, waiting
        loop = asyncio.get_running_loop()
        started = loop.time()
        async with unit_of_work(db, relay.wake) as uow:
            await uow.publish(checked_in("小明"), school_id="s1")
            await uow.commit()
        await eventually(lambda: len(published(bus)) == 1)
        assert loop.time() - started < 0.1


async def test_on_postgresql_a_commit_on_another_replica_wakes_the_relay_through_notify(pg_db: Database) -> None:
    db = pg_db
    bus = MemoryBus()
    async with in_background(relay_for(db, bus).run()):
        await asyncio.sleep(0.5)  # holds the lock, listens, idles
        loop = asyncio.get_running_loop()
        started = loop.time()
        async with unit_of_work(db) as uow:  # not wired to this relay: as if on another pod
            await uow.publish(checked_in("小明"), school_id="s1")
            await uow.commit()
        await eventually(lambda: len(published(bus)) == 1)
        assert loop.time() - started < 0.1


async def test_on_postgresql_a_pass_is_two_statements_outside_any_transaction(pg_db: Database) -> None:
    """Issue 13: under load each round trip waits a turn of the service's busy event loop, so a pass wrapped in
    two transactions (one to read, one to mark) delayed every alert behind it; now it reads and marks, nothing else."""
    db, bus = pg_db, MemoryBus()
    await commit_check_ins(db, 3)
    relay = relay_for(db, bus)
    with round_trips(db) as seen:
        assert await relay.relay_once() == (3, True)
    assert [sql.split()[0] for sql in seen] == ["SELECT", "UPDATE"]
    assert await unpublished(db) == 0
    assert len(published(bus)) == 3


async def test_on_postgresql_the_backlog_count_is_one_statement_outside_any_transaction(pg_db: Database) -> None:
    """The relay counts its backlog every second on the same busy event loop: one round trip, not BEGIN, count, end."""
    db, bus = pg_db, MemoryBus()
    await commit_check_ins(db, 2)
    relay = relay_for(db, bus)
    relay._last_purge = school_clock().now()  # this pass counts only; purging has tests of its own
    with round_trips(db) as seen:
        await relay._housekeeping()
    assert [sql.split()[0] for sql in seen] == ["SELECT"]
    assert REGISTRY.get_sample_value("afterschool_outbox_backlog", {"service": "probe"}) == 2


async def test_on_postgresql_only_one_replica_relays_at_a_time(pg_db: Database) -> None:
    db = pg_db
    bus = MemoryBus()
    async with in_background(relay_for(db, bus).run()), in_background(relay_for(db, bus).run()):
        for n in range(30):
            async with unit_of_work(db) as uow:
                await uow.publish(checked_in(f"s{n % 4}", n), school_id="s1")
                await uow.commit()
        await eventually(lambda: len(published(bus)) >= 30)
        await asyncio.sleep(0.5)
    assert len(published(bus)) == 30


async def test_a_stop_that_meets_a_wake_up_stops_the_relay(db: Database) -> None:
    # Python 3.11's asyncio.wait_for returns the inner result when its task is cancelled in the same loop step as
    # the inner wait finishes, so a shutdown racing a commit's wake-up was lost and the relay polled on for ever
    # (seen as "enrollment-relay did not stop within 15.0s; abandoned", then polling a dropped test database).
    bus = MemoryBus()
    relay = relay_for(db, bus)
    task = asyncio.create_task(relay.run())
    try:
        await asyncio.sleep(0.5)  # holds the lock (PostgreSQL), finds nothing, idles on its wake-up
        relay.wake()
        task.cancel()
        done, _ = await asyncio.wait([task], timeout=2.0)
        assert done, "the relay ignored its cancellation"
        assert task.cancelled()
    finally:
        task.cancel()
