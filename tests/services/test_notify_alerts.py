"""Notify on the real stack (NT-1, NT-3): one alert per guardian per check-in, listed and pushed live."""

from __future__ import annotations

import asyncio
import contextlib
import re
from collections.abc import AsyncIterator
from typing import Any

import httpx
import orjson
import pytest
import redis.asyncio as aioredis
from sqlalchemy import event, func, select
from sqlalchemy.engine import Engine

from chassis.auth import Role
from chassis.broadcast import unbundle
from contracts.enrollment import GuardianLinked, StudentEnrolled
from contracts.envelope import Envelope
from services.notify import store
from services.notify.app import DEFINITION
from services.notify.reference.store import GuardianLink
from tests.conftest import (
    REDIS_URL,
    SCHOOL_AFTERNOON,
    ServiceClient,
    auth,
    eventually,
    running,
    serving,
    stack_settings,
)
from tests.events import check_in
from tests.services.conftest import publish_as_producer, publish_envelopes
from tests.simulators.notify_stack import checked_in, deliveries, notify_with, providers

pytestmark = [pytest.mark.service, pytest.mark.timeout(120)]

ROSTER = [
    StudentEnrolled(student_id="xiaoming", school_id="s1", class_id="s1-g3-c1", grade=3, name="小明"),
    GuardianLinked(guardian_id="mum", student_id="xiaoming", school_id="s1", relation="母亲"),
    GuardianLinked(guardian_id="dad", student_id="xiaoming", school_id="s1", relation="父亲", preferred_language="en"),
    StudentEnrolled(student_id="xiaohong", school_id="s1", class_id="s1-g3-c1", grade=3, name="小红"),
    GuardianLinked(guardian_id="hong-mum", student_id="xiaohong", school_id="s1", relation="母亲"),
]


async def notifications(client: ServiceClient, guardian: str, school: str = "s1") -> list[dict[str, str]]:
    response = await client.get("/notify/v1/notifications", headers=auth(Role.GUARDIAN, guardian, school=school))
    assert response.status_code == 200
    items: list[dict[str, str]] = response.json()["items"]
    return items


@pytest.fixture
async def notify(pg_url: str, topic_prefix: str) -> AsyncIterator[ServiceClient]:
    await publish_as_producer(topic_prefix, ROSTER, school_id="s1")
    async with running(DEFINITION, stack_settings(DEFINITION, pg_url, topic_prefix)) as client:
        yield client


async def test_each_guardian_gets_exactly_one_alert_per_check_in_even_when_delivered_twice(
    notify: ServiceClient,
) -> None:
    first, second = (Envelope.wrap(checked_in(n), source="/attendance", school_id="s1") for n in (5, 40))
    await publish_envelopes(notify.prefix, [first, first, second])

    async def both_arrived() -> bool:
        return len(await notifications(notify, "mum")) == 2

    await eventually(both_arrived)
    await asyncio.sleep(1.0)  # a late duplicate would land now
    mum, dad = await notifications(notify, "mum"), await notifications(notify, "dad")
    assert [n["body"] for n in mum] == ["小明已于16:40签到参加课后服务。", "小明已于16:05签到参加课后服务。"]
    assert [n["body"] for n in dad] == [
        "小明 checked in to the after-school service at 16:40.",
        "小明 checked in to the after-school service at 16:05.",
    ]


async def test_a_guardian_sees_only_their_own_alerts(notify: ServiceClient) -> None:
    await publish_as_producer(notify.prefix, [checked_in(1)], school_id="s1")

    async def arrived() -> bool:
        return len(await notifications(notify, "mum")) == 1

    await eventually(arrived)
    assert await notifications(notify, "hong-mum") == []
    assert await notifications(notify, "mum", school="s2") == []  # the same id in another school's token
    teacher = await notify.get("/notify/v1/notifications", headers=auth(Role.CLASS_TEACHER, "mum", school="s1"))
    assert teacher.status_code == 403


async def test_alerts_are_pushed_live_to_the_guardians_stream(pg_url: str, topic_prefix: str) -> None:
    await publish_as_producer(topic_prefix, ROSTER, school_id="s1")
    async with (
        serving(DEFINITION, stack_settings(DEFINITION, pg_url, topic_prefix)) as base,
        httpx.AsyncClient(base_url=base, timeout=30) as client,
        client.stream(
            "GET", "/notify/v1/notifications/stream", headers=auth(Role.GUARDIAN, "mum", school="s1")
        ) as stream,
    ):
        assert stream.headers["content-type"].startswith("text/event-stream")
        lines = stream.aiter_lines()
        assert await anext(lines) == ": connected"
        await publish_as_producer(topic_prefix, [checked_in(7)], school_id="s1")
        data = None
        with contextlib.suppress(StopAsyncIteration):
            async with asyncio.timeout(30):
                async for line in lines:
                    if line.startswith("data: "):
                        data = orjson.loads(line.removeprefix("data: "))
                        break
    assert data is not None
    assert data["student_id"] == "xiaoming"
    assert data["body"] == "小明已于16:07签到参加课后服务。"


async def count(client: ServiceClient, table: type[store.Notification] | type[GuardianLink]) -> int:
    """Rows of one of notify's tables."""
    async with client.runtime.db.sessions() as session:
        found: int = (await session.execute(select(func.count()).select_from(table))).scalar_one()
        return found


async def test_a_backlog_of_check_ins_is_pushed_live_once_a_transaction_not_once_an_event(
    pg_url: str, topic_prefix: str
) -> None:
    """Issue 13 (notify's catch-up): a consumer batch's live events go out in one PUBLISH (a bundle a 1,000), not one
    Redis round trip an event; still every guardian's notification is pushed exactly once, on their own channel."""
    children = 300
    roster: list[StudentEnrolled | GuardianLinked] = []
    for n in range(children):
        roster += [
            StudentEnrolled(student_id=f"c{n}", school_id="s1", class_id="s1-g3-c1", grade=3, name=f"孩子{n}"),
            GuardianLinked(guardian_id=f"g{n}", student_id=f"c{n}", school_id="s1", relation="母亲"),
        ]
    await publish_as_producer(topic_prefix, roster, school_id="s1")
    settings = stack_settings(DEFINITION, pg_url, topic_prefix)
    async with running(DEFINITION, settings) as notify:

        async def roster_known() -> bool:
            return await count(notify, GuardianLink) == children

        await eventually(roster_known)
    # The check-ins wait on the topic while notify is down, so the restarted consumer fetches them as a backlog.
    check_ins = [
        Envelope.wrap(checked_in(n % 60, f"c{n}"), source="/attendance", school_id="s1") for n in range(children)
    ]
    await publish_envelopes(topic_prefix, check_ins)
    redis = aioredis.from_url(REDIS_URL)
    pubsub: Any = redis.pubsub()  # redis-py's PubSub is untyped
    await pubsub.subscribe(f"{topic_prefix}live-bundles")
    try:
        async with running(DEFINITION, settings) as notify:

            async def all_stored() -> bool:
                return await count(notify, store.Notification) == children

            await eventually(all_stored)
            async with notify.runtime.db.sessions() as session:
                rows = await session.execute(select(store.Notification.guardian_id, store.Notification.notification_id))
                stored: dict[str, str] = dict(rows.all())
            bundles: list[bytes] = []
            async with asyncio.timeout(30):
                while len(pushed := [pair for b in bundles for pair in unbundle(b)]) < children:
                    message = await pubsub.get_message(timeout=1.0)
                    if message is not None and message["type"] == "message":
                        bundles.append(message["data"])
    finally:
        await pubsub.aclose()
        await redis.aclose()
    channels = [channel for channel, _ in pushed]
    assert sorted(channels) == sorted(f"guardian:g{n}" for n in range(children)), "each guardian's, once"
    for channel, frame in pushed:
        assert stored[channel.removeprefix("guardian:")].encode() in frame
    assert len(bundles) <= children // 10, f"{len(bundles)} PUBLISHes for {children} check-ins"


async def test_a_backlog_from_many_schools_reads_their_webhook_endpoints_once_a_transaction(
    pg_url: str, topic_prefix: str
) -> None:
    """Issue 13 (tenancy does not cost): check-ins of 40 schools in one backlog read the schools' webhook endpoints in
    one statement a consumer transaction, not one a school; the school with an endpoint still has its webhook queued
    for its child's check-in, and the others none (NT-2)."""
    schools = 40
    roster: list[StudentEnrolled | GuardianLinked] = []
    for n in range(schools):
        roster += [
            StudentEnrolled(student_id=f"c{n}", school_id=f"s{n}", class_id=f"s{n}-g3-c1", grade=3, name=f"孩子{n}"),
            GuardianLinked(guardian_id=f"g{n}", student_id=f"c{n}", school_id=f"s{n}", relation="母亲"),
        ]
    await publish_envelopes(topic_prefix, [Envelope.wrap(e, source="/test", school_id=e.school_id) for e in roster])
    admin = auth(Role.SCHOOL_ADMIN, "s7-admin", school="s7")
    async with providers() as outside:
        async with notify_with(pg_url, topic_prefix, outside) as notify:

            async def roster_known() -> bool:
                return await count(notify, GuardianLink) == schools

            await eventually(roster_known)
            created = await notify.post(
                "/notify/v1/webhooks", json={"url": outside.settings["hooks_url"]}, headers=admin
            )
            assert created.status_code == 201, created.text
        arrivals = [
            check_in(f"k{n}", f"c{n}", SCHOOL_AFTERNOON).model_copy(update={"school_id": f"s{n}"})
            for n in range(schools)
        ]
        check_ins = [Envelope.wrap(e, source="/attendance", school_id=e.school_id) for e in arrivals]
        await publish_envelopes(topic_prefix, check_ins)
        by_school: list[str] = []

        def seen(_conn: object, _cursor: object, statement: str, *_: object) -> None:
            if re.search(r"FROM webhook_endpoints\s+WHERE webhook_endpoints\.school_id (=|IN)", statement):
                by_school.append(statement)

        event.listen(Engine, "before_cursor_execute", seen)  # every engine: notify's is made as it starts
        try:
            async with notify_with(pg_url, topic_prefix, outside) as notify:

                async def all_stored() -> bool:
                    return await count(notify, store.Notification) == schools

                await eventually(all_stored)
                hooks = await deliveries(notify, "webhook")
        finally:
            event.remove(Engine, "before_cursor_execute", seen)
    assert [(d.school_id, d.event_id) for d in hooks] == [("s7", check_ins[7].id)]
    assert 1 <= len(by_school) <= schools // 4, f"{len(by_school)} reads of schools' endpoints for {schools} schools"
