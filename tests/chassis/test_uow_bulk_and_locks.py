"""`UnitOfWork.publish_many` (bulk writers) and `UnitOfWork.lock` (named transaction locks)."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import select

from chassis.db import Database
from contracts.envelope import Envelope
from tests.chassis.probe import TABLES, checked_in, unit_of_work

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
