"""`UnitOfWork.publish_many` (bulk writers), `UnitOfWork.lock` (named transaction locks) and `chassis.sql.among`."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import Column, MetaData, String, Table, select

from chassis.db import Database
from chassis.sql import among
from contracts.envelope import Envelope
from tests.chassis.probe import TABLES, checked_in, unit_of_work
from tests.conftest import sql_statements

pytestmark = [pytest.mark.unit, pytest.mark.timeout(60)]


async def test_publish_many_writes_every_event_in_order_per_key_in_one_transaction(db: Database) -> None:
    events = [checked_in(f"student-{n % 7}", n) for n in range(2500)]  # more than one insert chunk
    woken: list[int] = []
    async with unit_of_work(db, on_publish=lambda: woken.append(1)) as uow:
        envelopes = await uow.publish_many(events, school_id="s1")
        await uow.commit()
    assert woken == [1]
    outbox = TABLES.outbox
    async with db.sessions() as session:
        rows = (await session.execute(select(outbox.c.key, outbox.c.payload).order_by(outbox.c.id))).all()
    assert [Envelope.from_bytes(r.payload).id for r in rows] == [e.id for e in envelopes]
    for key in {e.key() for e in events}:
        published = [Envelope.from_bytes(r.payload).data["check_in_id"] for r in rows if r.key == key]
        assert published == [e.check_in_id for e in events if e.key() == key]


async def test_publish_many_rolled_back_leaves_nothing(db: Database) -> None:
    async with unit_of_work(db) as uow:
        await uow.publish_many([checked_in("a"), checked_in("b")], school_id="s1")
    async with db.sessions() as session:
        assert (await session.execute(select(TABLES.outbox.c.id))).all() == []


async def test_on_postgresql_a_named_lock_makes_the_second_transaction_wait_for_the_first(pg_db: Database) -> None:
    order: list[str] = []
    first_holds = asyncio.Event()

    async def first() -> None:
        async with unit_of_work(pg_db) as uow:
            await uow.lock("places:s1:t1")
            first_holds.set()
            await asyncio.sleep(0.5)
            order.append("first commits")
            await uow.commit()

    async def second() -> None:
        await first_holds.wait()
        async with unit_of_work(pg_db) as uow:
            await uow.lock("places:s1:t1")
            order.append("second holds")
            await uow.commit()

    async def other_name() -> None:
        await first_holds.wait()
        async with unit_of_work(pg_db) as uow:
            await uow.lock("places:s1:t2")
            order.append("other name holds")
            await uow.commit()

    await asyncio.gather(first(), second(), other_name())
    assert order == ["other name holds", "first commits", "second holds"]


async def test_read_once_reads_once_per_transaction(db: Database) -> None:
    """A consumer's batch shares reference reads (a school's webhook endpoints); the next transaction reads anew."""
    reads: list[str] = []

    async def read() -> str:
        reads.append("read")
        return f"answer {len(reads)}"

    async with unit_of_work(db) as uow:
        assert [await uow.read_once(("k", 1), read) for _ in range(3)] == ["answer 1"] * 3
        assert await uow.read_once(("k", 2), read) == "answer 2"
    async with unit_of_work(db) as uow:
        assert await uow.read_once(("k", 1), read) == "answer 3"
    assert len(reads) == 3


async def test_among_picks_the_rows_of_many_values_in_one_parameter_on_postgresql(db: Database) -> None:
    """`chassis.sql.among`: the same rows as an IN list; on PostgreSQL a statement of one array parameter whatever
    the number of values (a school's 10,000 guardians were 10,000 placeholders)."""
    metadata = MetaData()
    people = Table("among_people", metadata, Column("id", String(64), primary_key=True))
    async with db.engine.begin() as connection:
        await connection.run_sync(metadata.create_all)
        await connection.execute(people.insert(), [{"id": f"p{n}"} for n in range(3000)])
    wanted = [f"p{n}" for n in range(0, 3000, 2)] + ["nobody", "o'brien"]
    async with db.sessions() as session:
        with sql_statements(db, lambda sql: "among_people" in sql) as statements:
            found = await session.scalars(select(people.c.id).where(among(session, people.c.id, wanted)))
    assert sorted(found) == sorted(f"p{n}" for n in range(0, 3000, 2))
    (statement,) = statements
    if db.engine.dialect.name == "postgresql":
        assert "ANY" in statement, statement
        assert statement.count("$") == 1, statement
