"""The consumer runner: exactly-once effects, retries with back-off, dead letters, commits after the effect."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import orjson
import pytest
from prometheus_client import REGISTRY
from sqlalchemy import select

from chassis.bus import Bus
from chassis.bus.kafka import KafkaBus
from chassis.bus.memory import MemoryBus
from chassis.clock import FakeClock
from chassis.consumer import ConsumerRunner, Subscription
from chassis.db import Database
from chassis.deadletters import replay_dead_letters
from chassis.uow import UnitOfWork
from contracts.attendance import StudentCheckedIn
from contracts.envelope import Envelope
from tests.chassis.probe import EFFECTS, checked_in, effect_count, envelope_of, unit_of_work
from tests.conftest import KAFKA, SCHOOL_AFTERNOON, eventually, in_background

pytestmark = [pytest.mark.service, pytest.mark.timeout(120)]

TOPIC = StudentCheckedIn.topic
DEAD = "probe.deadletters"


class Effects:
    """The handler under test's collaborator: records the effect, and fails when told to."""

    def __init__(self) -> None:
        self.failures: dict[str, int] = {}  # check_in_id -> failures left (-1: always)

    async def apply(self, uow: UnitOfWork, event: StudentCheckedIn, envelope: Envelope) -> None:
        await uow.session.execute(EFFECTS.insert().values(event_id=envelope.id))
        left = self.failures.get(event.check_in_id, 0)
        if left:
            self.failures[event.check_in_id] = left - 1 if left > 0 else -1
            raise RuntimeError(f"cannot handle {event.check_in_id} yet")


def runner_for(
    bus: Bus, db: Database, effects: Effects, group: str = "probe", clock: FakeClock | None = None
) -> ConsumerRunner:
    return ConsumerRunner(
        bus,
        Subscription({StudentCheckedIn: effects.apply}),
        service="probe",
        group=group,
        uow=lambda: unit_of_work(db),
        dead_letter_topic=DEAD,
        max_attempts=3,
        backoff=0.01,
        clock=clock,
    )


@contextlib.asynccontextmanager
async def consuming(runner: ConsumerRunner) -> AsyncIterator[None]:
    async with in_background(runner.run()):
        async with asyncio.timeout(30):
            await runner.ready.wait()
        yield


def dead_letters(bus: MemoryBus) -> list[dict[str, Any]]:
    return [orjson.loads(r.value) for part in bus.logs.get(DEAD, []) for r in part]


@pytest.fixture
async def bus() -> MemoryBus:
    memory = MemoryBus()
    await memory.ensure_topics({TOPIC: 3, DEAD: 1})
    return memory


async def test_an_event_delivered_twice_takes_effect_once(db: Database, bus: MemoryBus) -> None:
    raw = envelope_of(checked_in("小明"))
    for _ in range(2):
        await bus.publish(TOPIC, "小明", raw)
    async with consuming(runner_for(bus, db, Effects())):
        await eventually(lambda: _committed(bus, 2))
    assert list((await effect_count(db)).values()) == [1]


async def test_a_transient_failure_is_retried_and_takes_effect_once(db: Database, bus: MemoryBus) -> None:
    effects = Effects()
    event = checked_in("小明")
    effects.failures[event.check_in_id] = 2
    await bus.publish(TOPIC, "小明", envelope_of(event))
    async with consuming(runner_for(bus, db, effects)):
        await eventually(lambda: _committed(bus, 1))
    assert list((await effect_count(db)).values()) == [1]
    assert dead_letters(bus) == []


async def test_an_event_that_keeps_failing_goes_to_dead_letters_and_the_partition_moves_on(
    db: Database, bus: MemoryBus
) -> None:
    effects = Effects()
    broken, after = checked_in("小明", 1), checked_in("小明", 2)
    effects.failures[broken.check_in_id] = -1
    await bus.publish(TOPIC, "小明", envelope_of(broken))
    await bus.publish(TOPIC, "小明", envelope_of(after))
    async with consuming(runner_for(bus, db, effects)):
        await eventually(lambda: _committed(bus, 2))
    letters = dead_letters(bus)
    assert len(letters) == 1
    assert letters[0]["attempts"] == 3
    assert "cannot handle" in letters[0]["error"]
    assert orjson.loads(letters[0]["value"])["data"]["check_in_id"] == broken.check_in_id
    assert sum((await effect_count(db)).values()) == 1  # only `after`; the failed attempts rolled back


async def test_records_read_again_after_the_database_dropped_mid_batch_take_effect_once_in_order(
    db: Database, bus: MemoryBus
) -> None:
    """Issue 14: when the database drops during a batch, the records before the failed one are kept and the partition
    is sought back to it, so nothing is skipped and nothing is applied twice or out of the partition's order."""
    events = [checked_in("小明", n) for n in range(10)]
    envelopes = [Envelope.from_bytes(envelope_of(event)) for event in events]
    # The database drops while this one is applied: in the batch's transaction, then in its own.
    outage = {events[3].check_in_id: 2}

    async def apply(uow: UnitOfWork, event: StudentCheckedIn, envelope: Envelope) -> None:
        await uow.session.execute(EFFECTS.insert().values(event_id=envelope.id))
        if outage.get(event.check_in_id):
            outage[event.check_in_id] -= 1
            raise ConnectionError("the database is restarting")

    for envelope in envelopes:
        await bus.publish(TOPIC, "小明", envelope.to_bytes())
    runner = ConsumerRunner(
        bus, Subscription({StudentCheckedIn: apply}), service="probe", group="probe",
        uow=lambda: unit_of_work(db), dead_letter_topic=DEAD, max_records=5, backoff=0.01,
    )  # fmt: skip
    async with consuming(runner):
        await eventually(lambda: _committed(bus, 10))
    async with db.sessions() as session:
        applied = (await session.execute(select(EFFECTS.c.event_id).order_by(EFFECTS.c.id))).scalars().all()
    assert applied == [envelope.id for envelope in envelopes]
    assert dead_letters(bus) == []


async def test_a_dead_letter_replayed_after_the_fix_takes_effect_once(db: Database, bus: MemoryBus) -> None:
    effects = Effects()
    broken = checked_in("小明")
    effects.failures[broken.check_in_id] = -1
    await bus.publish(TOPIC, "小明", envelope_of(broken))
    async with consuming(runner_for(bus, db, effects)):
        await eventually(lambda: _committed(bus, 1))
        assert await effect_count(db) == {}
        effects.failures.clear()  # the operator fixed the cause
        assert await replay_dead_letters(bus, "probe", idle_seconds=0.2) == 1
        await eventually(lambda: _count_is(db, 1))
        assert await replay_dead_letters(bus, "probe", idle_seconds=0.2) == 0  # each letter is replayed once
    assert list((await effect_count(db)).values()) == [1]


async def test_a_dead_letter_that_fails_again_on_replay_waits_for_the_next_replay(db: Database, bus: MemoryBus) -> None:
    """Issue 14 (tests/fault/test_poison_event.py): a replay that re-read the letters its own replay caused would go
    round until its limit."""
    effects = Effects()
    broken = checked_in("小明")
    effects.failures[broken.check_in_id] = -1  # not fixed
    await bus.publish(TOPIC, "小明", envelope_of(broken))
    async with consuming(runner_for(bus, db, effects)):
        await eventually(lambda: len(dead_letters(bus)) == 1)
        assert await replay_dead_letters(bus, "probe", idle_seconds=0.5, limit=50) == 1
        await eventually(lambda: len(dead_letters(bus)) == 2)  # parked again
        effects.failures.clear()  # now the operator fixes the cause
        assert await replay_dead_letters(bus, "probe", idle_seconds=0.2) == 1  # the letter the last replay caused
        await eventually(lambda: _count_is(db, 1))
    assert list((await effect_count(db)).values()) == [1]


async def test_a_replayed_dead_letter_is_as_old_as_its_replay_not_its_event(db: Database, bus: MemoryBus) -> None:
    """Issue 14: a day-old event replayed from the dead letters must not read as a slow alert (SlowGuardianAlerts)."""
    clock = FakeClock(SCHOOL_AFTERNOON + timedelta(hours=2))
    effects = Effects()
    broken = checked_in("小明")
    effects.failures[broken.check_in_id] = -1
    await bus.publish(
        TOPIC, "小明", Envelope.wrap(broken, source="/t", school_id="s1", time=SCHOOL_AFTERNOON).to_bytes()
    )
    ages = {"service": "probe", "type": broken.type}
    before = REGISTRY.get_sample_value("afterschool_event_age_seconds_sum", ages) or 0.0
    async with consuming(runner_for(bus, db, effects, clock=clock)):
        await eventually(lambda: _committed(bus, 1))
        effects.failures.clear()
        clock.advance(timedelta(minutes=30))  # the operator fixes the cause and replays
        assert await replay_dead_letters(bus, "probe", idle_seconds=0.2, clock=clock) == 1
        await eventually(lambda: _count_is(db, 1))
    # Handled at the moment of its replay (the fake clock stands still): 0 s, not the 2 h 30 min since the event.
    assert REGISTRY.get_sample_value("afterschool_event_age_seconds_sum", ages) == before


async def test_a_message_that_is_not_an_event_is_parked_without_retrying(db: Database, bus: MemoryBus) -> None:
    await bus.publish(TOPIC, "小明", b"not json at all")
    await bus.publish(TOPIC, "小明", envelope_of(checked_in("小明")))
    async with consuming(runner_for(bus, db, Effects())):
        await eventually(lambda: _committed(bus, 2))
    letters = dead_letters(bus)
    assert [letter["attempts"] for letter in letters] == [1]
    assert "not a valid CloudEvents envelope" in letters[0]["error"]


async def test_a_batch_is_one_transaction_and_a_bad_record_does_not_sink_the_good_ones(
    db: Database, bus: MemoryBus
) -> None:
    effects = Effects()
    events = [checked_in("小明", n) for n in range(5)]
    effects.failures[events[2].check_in_id] = -1
    for e in events:
        await bus.publish(TOPIC, "小明", envelope_of(e))
    consumer = bus.consumer("probe", [TOPIC])
    await consumer.start()
    batch = await consumer.getmany(timeout=1, max_records=100)
    assert sum(len(r) for r in batch.values()) == 5
    await runner_for(bus, db, effects).handle_batch(consumer, batch)
    assert sorted((await effect_count(db)).values()) == [1, 1, 1, 1]
    assert len(dead_letters(bus)) == 1
    assert await _committed(bus, 5)


async def test_a_commit_refused_in_a_rebalance_means_redelivery_without_a_second_effect(
    db: Database, bus: MemoryBus
) -> None:
    for n in range(6):
        await bus.publish(TOPIC, f"k{n}", envelope_of(checked_in(f"k{n}", n)))
    first = bus.consumer("probe", [TOPIC])
    await first.start()
    batch = await first.getmany(timeout=1, max_records=100)
    second = bus.consumer("probe", [TOPIC])
    await second.start()  # rebalance: `first` loses partitions before it commits
    await runner_for(bus, db, Effects()).handle_batch(first, batch)  # logs the refused commit, raises nothing
    redelivered = await second.getmany(timeout=1, max_records=100)
    assert redelivered
    await runner_for(bus, db, Effects()).handle_batch(second, redelivered)
    assert sorted((await effect_count(db)).values()) == [1] * 6


async def test_on_kafka_duplicates_and_a_restart_take_effect_exactly_once(pg_db: Database, topic_prefix: str) -> None:
    kafka = KafkaBus(KAFKA, prefix=topic_prefix)
    await kafka.start()
    await kafka.ensure_topics({TOPIC: 3, DEAD: 1})
    try:
        events = [checked_in(f"s{n % 7}", n) for n in range(40)]
        for e in events:
            raw = envelope_of(e)
            await kafka.publish(TOPIC, e.student_id, raw)
            if int(e.check_in_id.rsplit("-", 1)[1]) % 4 == 0:
                await kafka.publish(TOPIC, e.student_id, raw)  # the relay re-sent it after a crash
        async with consuming(runner_for(kafka, pg_db, Effects())):
            await eventually(lambda: _count_is(pg_db, 40), timeout=60)
        async with consuming(runner_for(kafka, pg_db, Effects())):  # a restart reads from the commit
            await asyncio.sleep(3)
        counts = await effect_count(pg_db)
        assert len(counts) == 40
        assert set(counts.values()) == {1}
    finally:
        await kafka.stop()


async def _count_is(db: Database, expected: int) -> bool:
    return sum((await effect_count(db)).values()) == expected


async def _committed(bus: MemoryBus, count: int) -> bool:
    committed = bus.groups.get("probe")
    return committed is not None and sum(committed.committed.values()) == count
