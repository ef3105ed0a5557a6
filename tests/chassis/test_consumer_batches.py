"""The consumer's batch path: one inbox claim per batch, effects kept for one insert, every guarantee kept."""

from __future__ import annotations

import contextlib
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

import orjson
import pytest
from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    Integer,
    MetaData,
    String,
    Table,
    Time,
    func,
    select,
)

from chassis.bus import BusConsumer, Partition, Record
from chassis.bus.kafka import KafkaBus
from chassis.bus.memory import MemoryBus
from chassis.consumer import ConsumerRunner, Subscription
from chassis.db import Database
from chassis.sql import insert_json_rows_ignoring_duplicates
from chassis.uow import UnitOfWork
from contracts.attendance import StudentCheckedIn
from contracts.envelope import Envelope
from tests.chassis.probe import EFFECTS, FACTS, TABLES, checked_in, effect_count, envelope_of, unit_of_work
from tests.chassis.test_consumer_runner import DEAD, TOPIC, Effects, consuming
from tests.conftest import KAFKA, eventually, sql_statements

pytestmark = [pytest.mark.service, pytest.mark.timeout(120)]


class Crash(BaseException):
    """The process dies here: not an error the runner handles, so nothing after this point runs."""


async def keep_effect(uow: UnitOfWork, event: StudentCheckedIn, envelope: Envelope) -> None:
    """A handler that keeps its row for the batch's one multi-row insert, as the stipend's fact handlers do."""
    uow.keep(EFFECTS, {"event_id": envelope.id})


async def keep_fact(uow: UnitOfWork, event: StudentCheckedIn, envelope: Envelope) -> None:
    """A handler that only keeps its fact under the fact's own id, as the stipend's fact handlers do."""
    uow.keep(FACTS, {"check_in_id": event.check_in_id, "event_id": envelope.id})


def batch_runner(
    bus: Any, db: Database, *, handler: Any = keep_effect, crash_at_commit: bool = False, idempotent: bool = False
) -> ConsumerRunner:
    def uow() -> UnitOfWork:
        unit = unit_of_work(db)
        if crash_at_commit:

            async def crash() -> None:
                raise Crash("killed before the transaction committed")

            unit.commit = crash  # type: ignore[method-assign]
        return unit

    return ConsumerRunner(
        bus,
        Subscription({StudentCheckedIn: handler}, idempotent=frozenset({StudentCheckedIn} if idempotent else ())),
        service="probe",
        group="probe",
        uow=uow,
        dead_letter_topic=DEAD,
        max_attempts=2,
        backoff=0.01,
    )


def inbox_statements(db: Database) -> contextlib.AbstractContextManager[list[str]]:
    """Every statement that writes the inbox while the block runs."""
    return sql_statements(db, lambda statement: statement.lstrip().upper().startswith("INSERT INTO INBOX"))


async def inbox_rows(db: Database) -> int:
    async with db.sessions() as session:
        return int((await session.execute(select(func.count()).select_from(TABLES.inbox))).scalar_one())


async def test_claim_many_returns_each_new_id_once_and_skips_the_seen_ones(db: Database) -> None:
    async with unit_of_work(db) as uow:
        assert await uow.claim_many("probe", ["a", "b"]) == {"a", "b"}
        await uow.commit()
    async with unit_of_work(db) as uow:
        assert await uow.claim_many("probe", ["b", "c", "c", "d", "a"]) == {"c", "d"}
        assert await uow.claim_many("other", ["a"]) == {"a"}  # the inbox is per consumer
        assert await uow.claim_many("probe", []) == set()
        await uow.commit()
    assert await inbox_rows(db) == 5


async def test_kept_rows_are_written_at_commit_once_and_not_at_all_on_rollback(db: Database) -> None:
    async with unit_of_work(db) as uow:
        uow.keep(EFFECTS, {"id": 101, "event_id": "e1"})
        uow.keep(EFFECTS, {"id": 101, "event_id": "e1-again"})  # same key: the first wins, as one by one
        uow.keep(EFFECTS, {"id": 102, "event_id": "e2"})
        uow.keep(EFFECTS, {"event_id": "e3"})  # other columns: its own statement
        assert await effect_count(db) == {}  # nothing written before the commit
    assert await effect_count(db) == {}  # rolled back: the kept rows went with it
    async with unit_of_work(db) as uow:
        uow.keep(EFFECTS, {"id": 101, "event_id": "e1"})
        uow.keep(EFFECTS, {"id": 101, "event_id": "e1-again"})
        uow.keep(EFFECTS, {"id": 102, "event_id": "e2"})
        uow.keep(EFFECTS, {"event_id": "e3"})
        await uow.commit()
    assert await effect_count(db) == {"e1": 1, "e2": 1, "e3": 1}


async def test_on_postgresql_kept_rows_of_plain_columns_go_in_as_one_set_and_the_first_of_a_key_wins(
    pg_db: Database,
) -> None:
    """Issue 9: a batch's kept rows are one INSERT … SELECT FROM json_populate_recordset(…), not an execution a row."""
    written = sql_statements(pg_db, lambda statement: statement.lstrip().upper().startswith("INSERT INTO EFFECTS"))
    with written as inserts:
        async with unit_of_work(pg_db) as uow:
            for n in range(200):
                uow.keep(EFFECTS, {"id": n, "event_id": f"e{n}"})
            uow.keep(EFFECTS, {"id": 7, "event_id": "e7-again"})
            await uow.commit()
    assert len(inserts) == 1
    assert "json_populate_recordset" in inserts[0]
    assert await effect_count(pg_db) == {f"e{n}": 1 for n in range(200)}


def test_a_column_whose_value_json_would_change_is_kept_row_by_row() -> None:
    metadata = MetaData()
    notes = Table("notes", metadata, Column("id", Integer, primary_key=True), Column("body", JSON))
    naive = Table("naive", metadata, Column("id", Integer, primary_key=True), Column("at", DateTime()))
    aware = Table("aware", metadata, Column("id", Integer, primary_key=True), Column("at", DateTime(timezone=True)))
    assert insert_json_rows_ignoring_duplicates(notes, ("body", "id")) is None
    assert insert_json_rows_ignoring_duplicates(notes, ("id",)) is not None
    assert insert_json_rows_ignoring_duplicates(naive, ("at", "id")) is None  # an offset in the text would be dropped
    assert insert_json_rows_ignoring_duplicates(aware, ("at", "id")) is not None
    for kind in (Time(), Time(timezone=True)):  # a time of day: an aware value's offset would go (naive column)
        times = Table(f"times_{kind.timezone}", metadata, Column("id", Integer, primary_key=True), Column("at", kind))
        assert insert_json_rows_ignoring_duplicates(times, ("at", "id")) is None


async def test_on_postgresql_kept_values_read_back_as_they_were_given(pg_db: Database) -> None:
    """The one JSON text carries every plain type unchanged: an instant's offset, a date, a flag, quotes, Chinese
    and a naive instant (taken as UTC, as asyncpg binds it) read back equal to what was kept."""
    metadata = MetaData()
    kinds = Table(
        "kept_kinds", metadata, Column("id", Integer, primary_key=True), Column("name", String(64)),
        Column("at", DateTime(timezone=True)), Column("day", Date), Column("flag", Boolean), Column("big", BigInteger),
    )  # fmt: skip
    async with pg_db.engine.begin() as connection:
        await connection.run_sync(metadata.create_all)
    shanghai = timezone(timedelta(hours=8))
    rows: list[dict[str, Any]] = [
        {"id": 1, "name": '小明 "quoted" \\ back', "at": datetime(2026, 9, 1, 15, 30, tzinfo=shanghai),
         "day": date(2026, 9, 1), "flag": True, "big": 2**40},
        {"id": 2, "name": "", "at": datetime(2026, 9, 1, 7, 30), "day": date(2026, 12, 31), "flag": False, "big": -1},
        {"id": 3, "name": None, "at": None, "day": None, "flag": None, "big": None},
    ]  # fmt: skip
    async with unit_of_work(pg_db) as uow:
        for row in rows:
            uow.keep(kinds, row)
        await uow.commit()
    async with pg_db.sessions() as session:
        stored = [dict(r._mapping) for r in await session.execute(select(kinds).order_by(kinds.c.id))]
    rows[1]["at"] = datetime(2026, 9, 1, 7, 30, tzinfo=UTC)
    assert stored == rows


async def test_a_batch_with_duplicates_is_claimed_in_one_statement_and_applied_once_each(db: Database) -> None:
    bus = MemoryBus()
    await bus.ensure_topics({TOPIC: 1, DEAD: 1})
    raws = [envelope_of(checked_in("小明", n)) for n in range(6)]
    for raw in [raws[0], raws[1], raws[1], raws[2], raws[0], raws[3], raws[4], raws[5], raws[5]]:
        await bus.publish(TOPIC, "小明", raw)
    consumer = bus.consumer("probe", [TOPIC])
    await consumer.start()
    batch = await consumer.getmany(timeout=1, max_records=100)
    assert sum(len(r) for r in batch.values()) == 9
    with inbox_statements(db) as claims:
        await batch_runner(bus, db).handle_batch(consumer, batch)
    assert len(claims) == 1
    assert sorted((await effect_count(db)).values()) == [1] * 6
    assert await inbox_rows(db) == 6
    assert bus.groups["probe"].committed == {Partition(TOPIC, 0): 9}


@pytest.fixture
async def kafka(topic_prefix: str) -> Any:
    bus = KafkaBus(KAFKA, prefix=topic_prefix)
    await bus.start()
    await bus.ensure_topics({TOPIC: 3, DEAD: 1})
    yield bus
    await bus.stop()


async def fetch_all(consumer: BusConsumer, expected: int) -> dict[Partition, list[Record]]:
    """Everything on the topic in one batch (Kafka may hand it over in a few fetches)."""
    batch: dict[Partition, list[Record]] = {}
    for _ in range(60):
        for part, records in (await consumer.getmany(timeout=0.5, max_records=10_000)).items():
            batch.setdefault(part, []).extend(records)
        if sum(len(r) for r in batch.values()) >= expected:
            return batch
    raise AssertionError(f"fetched {sum(len(r) for r in batch.values())} of {expected}")


async def kafka_dead_letters(kafka: KafkaBus, expected: int) -> list[dict[str, Any]]:
    reader = kafka.consumer("dead-letter-reader", [DEAD])
    await reader.start()
    try:
        return [orjson.loads(r.value) for records in (await fetch_all(reader, expected)).values() for r in records]
    finally:
        await reader.stop()


async def test_on_kafka_duplicates_within_and_across_batches_take_effect_once(kafka: KafkaBus, pg_db: Database) -> None:
    events = [checked_in(f"s{n % 3}", n) for n in range(30)]
    raws = [envelope_of(e) for e in events]  # a re-sent event is the same bytes, the same event id
    for e, raw in zip(events, raws, strict=True):
        await kafka.publish(TOPIC, e.student_id, raw)
        await kafka.publish(TOPIC, e.student_id, raw)  # re-sent at once: the same batch
    with inbox_statements(pg_db) as claims:
        async with consuming(batch_runner(kafka, pg_db)):
            await eventually(lambda: _effects_are(pg_db, 30), timeout=60)
            for e, raw in list(zip(events, raws, strict=True))[::3]:  # re-sent after the first copies were handled
                await kafka.publish(TOPIC, e.student_id, raw)
            fresh = checked_in("s0", 99)
            await kafka.publish(TOPIC, "s0", envelope_of(fresh))
            await eventually(lambda: _effects_are(pg_db, 31), timeout=60)
    counts = await effect_count(pg_db)
    assert len(counts) == 31
    assert set(counts.values()) == {1}
    assert len(claims) < 70  # a claim per partition batch, never one per record (70 records)


async def test_on_kafka_a_poison_event_mid_batch_is_dead_lettered_and_the_rest_commit(
    kafka: KafkaBus, pg_db: Database
) -> None:
    events = [checked_in("小明", n) for n in range(9)]
    raws = [envelope_of(e) for e in events]
    poison = orjson.loads(raws[4])
    poison["data"]["method"] = "telepathy"  # a valid envelope whose data no longer matches the event's schema
    raws[4] = orjson.dumps(poison)
    effects = Effects()
    effects.failures[events[6].check_in_id] = -1  # and a handler that always fails, later in the same batch
    for raw in raws:
        await kafka.publish(TOPIC, "小明", raw)
    consumer = kafka.consumer("probe", [TOPIC])
    await consumer.start()
    try:
        batch = await fetch_all(consumer, 9)
        assert len(batch) == 1  # one key: one partition, one batch
        await batch_runner(kafka, pg_db, handler=effects.apply).handle_batch(consumer, batch)
    finally:
        await consumer.stop()
    counts = await effect_count(pg_db)
    assert len(counts) == 7
    assert set(counts.values()) == {1}
    letters = sorted(await kafka_dead_letters(kafka, 2), key=lambda letter: letter["offset"])
    assert [orjson.loads(letter["value"])["data"]["check_in_id"] for letter in letters] == [
        events[4].check_in_id,
        events[6].check_in_id,
    ]
    assert "does not match" in letters[0]["error"]
    assert letters[0]["attempts"] == 1
    assert "cannot handle" in letters[1]["error"]
    assert letters[1]["attempts"] == 2
    assert await inbox_rows(pg_db) == 7  # the dead letters left no claim: a replay after the fix applies them
    assert await nothing_left(kafka)  # and the partition moved on past both


async def publish_twenty_check_ins(kafka: KafkaBus) -> None:
    """Twenty check-ins of four children on the topic, each child's in order."""
    for event in [checked_in(f"s{n % 4}", n) for n in range(20)]:
        await kafka.publish(TOPIC, event.student_id, envelope_of(event))


async def test_on_kafka_a_batch_redelivered_after_a_crash_before_commit_takes_effect_once(
    kafka: KafkaBus, pg_db: Database
) -> None:
    await publish_twenty_check_ins(kafka)
    consumer = kafka.consumer("probe", [TOPIC])
    await consumer.start()
    try:
        batch = await fetch_all(consumer, 20)
        with pytest.raises(Crash):
            await batch_runner(kafka, pg_db, crash_at_commit=True).handle_batch(consumer, batch)
    finally:
        await consumer.stop()  # dies without committing offsets
    assert await effect_count(pg_db) == {}
    assert await inbox_rows(pg_db) == 0
    async with consuming(batch_runner(kafka, pg_db)):  # the restarted member reads the batch again
        await eventually(lambda: _effects_are(pg_db, 20), timeout=60)
    counts = await effect_count(pg_db)
    assert len(counts) == 20
    assert set(counts.values()) == {1}
    assert await inbox_rows(pg_db) == 20


async def die_before_the_offset_commit(kafka: KafkaBus, runner: ConsumerRunner, expected: int) -> None:
    """A member fetches the `expected` records, applies them and dies before committing their offsets."""
    consumer = kafka.consumer("probe", [TOPIC])
    await consumer.start()
    try:
        batch = await fetch_all(consumer, expected)

        async def crash(_offsets: Any) -> None:
            raise Crash("killed before the offsets were committed")

        consumer.commit = crash  # type: ignore[method-assign,assignment]
        with pytest.raises(Crash):
            await runner.handle_batch(consumer, batch)
    finally:
        await consumer.stop()


async def test_on_kafka_a_crash_after_the_transaction_but_before_the_offset_commit_changes_nothing_on_redelivery(
    kafka: KafkaBus, pg_db: Database
) -> None:
    await publish_twenty_check_ins(kafka)
    await die_before_the_offset_commit(kafka, batch_runner(kafka, pg_db), 20)
    assert len(await effect_count(pg_db)) == 20
    restarted = kafka.consumer("probe", [TOPIC])
    await restarted.start()
    try:
        redelivered = await fetch_all(restarted, 20)  # the offsets were never committed
        with inbox_statements(pg_db) as claims:
            await batch_runner(kafka, pg_db).handle_batch(restarted, redelivered)
        assert 1 <= len(claims) <= 3  # claimed again, a statement per partition, and all found seen
    finally:
        await restarted.stop()
    counts = await effect_count(pg_db)
    assert len(counts) == 20
    assert set(counts.values()) == {1}
    assert await nothing_left(kafka)  # this time the offsets were committed


async def facts_kept(db: Database) -> dict[str, str]:
    """Each kept fact's id and the event that brought it."""
    async with db.sessions() as session:
        return {r[0]: r[1] for r in await session.execute(select(FACTS.c.check_in_id, FACTS.c.event_id))}


async def test_on_kafka_an_idempotent_type_takes_no_inbox_row_and_a_redelivery_changes_nothing(
    kafka: KafkaBus, pg_db: Database
) -> None:
    """Issue 9: a fact kept under its own id is claimed nowhere; duplicates in a batch, re-sent copies and a batch
    redelivered after a crash before the offset commit all leave each fact once, from its first delivery."""
    events = [checked_in(f"s{n % 4}", n) for n in range(20)]
    first = {e.check_in_id: envelope_of(e) for e in events}
    for e in events:
        await kafka.publish(TOPIC, e.student_id, first[e.check_in_id])
        await kafka.publish(TOPIC, e.student_id, first[e.check_in_id])  # the same event twice in one batch
    await die_before_the_offset_commit(kafka, batch_runner(kafka, pg_db, handler=keep_fact, idempotent=True), 40)
    expected = {e.check_in_id: orjson.loads(first[e.check_in_id])["id"] for e in events}
    assert await facts_kept(pg_db) == expected
    for e in events[::3]:  # the same facts again under new event ids: a device re-sent them
        await kafka.publish(TOPIC, e.student_id, envelope_of(e))
    with inbox_statements(pg_db) as claims:
        async with consuming(batch_runner(kafka, pg_db, handler=keep_fact, idempotent=True)):
            await eventually(lambda: nothing_left(kafka), timeout=60)
    assert claims == []
    assert await inbox_rows(pg_db) == 0
    assert await facts_kept(pg_db) == expected  # the first delivery's event stays behind each fact


async def _effects_are(db: Database, expected: int) -> bool:
    return len(await effect_count(db)) == expected


async def nothing_left(kafka: KafkaBus) -> bool:
    """Whether group `probe` committed everything: a new member of it is handed no record."""
    member = kafka.consumer("probe", [TOPIC])
    await member.start()
    try:
        return not any([await member.getmany(timeout=1.0, max_records=100) for _ in range(3)])
    finally:
        await member.stop()


async def test_a_prefetch_reads_a_whole_batch_once_and_each_handler_then_reads_nothing(db: Database) -> None:
    """`Subscription.prefetch` runs once a batch, before the handlers, with the batch's new events only; what it asks
    through `UnitOfWork.read_many` each handler then gets without a read (issue 13)."""
    bus = MemoryBus()
    await bus.ensure_topics({TOPIC: 1, DEAD: 1})
    raws = [envelope_of(checked_in(child)) for child in ("小明", "小红", "小明", "小刚")]
    for raw in [raws[0], raws[1], raws[0], raws[2], raws[3]]:  # raws[0] twice: a duplicate is not prefetched
        await bus.publish(TOPIC, "k", raw)
    reads: list[list[str]] = []
    seen: list[tuple[str, str | None]] = []

    async def names(uow: UnitOfWork, children: list[str]) -> dict[str, str | None]:
        async def read(missing: list[str]) -> dict[str, str]:
            reads.append(missing)
            return {child: f"name of {child}" for child in missing if child != "小刚"}  # 小刚 is not on the roster

        return await uow.read_many("names", children, read)

    async def prefetch(uow: UnitOfWork, events: Any) -> None:
        await names(uow, [event.student_id for event in events])

    async def handler(uow: UnitOfWork, event: StudentCheckedIn, envelope: Envelope) -> None:
        seen.append((event.student_id, (await names(uow, [event.student_id]))[event.student_id]))
        uow.keep(EFFECTS, {"event_id": envelope.id})

    runner = ConsumerRunner(
        bus,
        Subscription({StudentCheckedIn: handler}, prefetch=prefetch),
        service="probe",
        group="probe",
        uow=lambda: unit_of_work(db),
        dead_letter_topic=DEAD,
    )
    consumer = bus.consumer("probe", [TOPIC])
    await consumer.start()
    await runner.handle_batch(consumer, await consumer.getmany(timeout=1, max_records=100))

    assert reads == [["小明", "小红", "小刚"]]  # one read for the batch, each child once, none by the handlers
    assert seen == [("小明", "name of 小明"), ("小红", "name of 小红"), ("小明", "name of 小明"), ("小刚", None)]
    assert sorted((await effect_count(db)).values()) == [1] * 4


async def test_read_many_reads_only_what_it_was_not_asked_before_and_forgets_on_request(db: Database) -> None:
    reads: list[list[int]] = []

    async def squares(missing: list[int]) -> dict[int, int]:
        reads.append(missing)
        return {n: n * n for n in missing}

    async with unit_of_work(db) as uow:
        assert await uow.read_many("squares", [2, 3, 2], squares) == {2: 4, 3: 9}
        assert await uow.read_many("squares", [3, 4], squares) == {3: 9, 4: 16}
        assert await uow.read_many("cubes", [3], squares) == {3: 9}  # another kind is read on its own
        uow.forget("squares")  # a handler wrote those rows: the next ask reads them again
        assert await uow.read_many("squares", [2], squares) == {2: 4}
        assert await uow.read_once("squares", lambda: squares([5])) == {5: 25}  # read_once's keys are apart
    assert reads == [[2, 3], [4], [3], [2], [5]]
