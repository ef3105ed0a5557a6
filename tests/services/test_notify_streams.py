"""Live streams that cannot be abused: one guardian cannot hold more than the cap of streams open on a notify
process (each holds a Redis subscription; 500 of them drained the pool), and a closed stream frees its place."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime

import httpx
import orjson
import pytest
from redis.asyncio import Redis

from chassis.auth import Role
from chassis.pagination import encode_cursor
from contracts.attendance.dismissal import EscalationStep
from contracts.envelope import Event
from services.notify.app import DEFINITION
from services.notify.inbox import handlers
from tests.conftest import REDIS_URL, auth, eventually, serving, serving_streams, stack_settings
from tests.services.conftest import publish_as_producer
from tests.services.test_notify_alerts import ROSTER
from tests.services.test_notify_staff import not_collected
from tests.simulators.notify_stack import checked_in

pytestmark = [pytest.mark.service, pytest.mark.timeout(120)]

MUM = auth(Role.GUARDIAN, "mum", school="s1")
STREAM = "/notify/v1/notifications/stream"


PORTS = ["main", "stream"]  # the streams are served on the service's port and on the stream port (chassis/streams.py)


@pytest.mark.parametrize("port", PORTS)
async def test_a_guardian_cannot_open_more_streams_than_the_cap(port: str, pg_url: str, topic_prefix: str) -> None:
    settings = stack_settings(DEFINITION, pg_url, topic_prefix, stream_cap_per_person=3)
    async with (
        serving_streams(DEFINITION, settings) as (base, streams_base),
        httpx.AsyncClient(base_url=base, timeout=30) as client,
    ):
        stream_url = (base if port == "main" else streams_base) + STREAM
        held: list[AsyncIterator[str]] = []  # kept referenced: a dropped line iterator would close its stream
        async with contextlib.AsyncExitStack() as streams:
            for _ in range(3):
                stream = await streams.enter_async_context(client.stream("GET", stream_url, headers=MUM))
                assert stream.status_code == 200
                held.append(stream.aiter_lines())
                assert await anext(held[-1]) == ": connected"

            async with client.stream("GET", stream_url, headers=MUM) as refused:  # a stream: today's code answers 200
                assert refused.status_code == 429
                assert refused.headers["content-type"] == "application/problem+json"
                assert orjson.loads(await refused.aread())["limit"] == 3

            dad = auth(Role.GUARDIAN, "dad", school="s1")  # another person has their own cap
            async with client.stream("GET", stream_url, headers=dad) as his:
                assert his.status_code == 200
            assert (await client.get("/readyz")).status_code == 200
        # mum closed her streams: their places are free again

        async def reopened() -> bool:
            async with client.stream("GET", stream_url, headers=MUM) as again:
                return again.status_code == 200

        await eventually(reopened, timeout=10)


async def next_event(lines: AsyncIterator[str]) -> dict[str, str]:
    """The next server-sent event's fields (`event`, `data`, `id`), comments skipped."""
    fields: dict[str, str] = {}
    async for line in lines:
        if not line:
            if fields:
                return fields
            continue
        if line.startswith(":"):
            continue
        name, _, value = line.partition(": ")
        fields[name] = fields[name] + "\n" + value if name in fields else value
    raise AssertionError("the stream ended")


async def test_many_streams_on_one_process_share_one_redis_subscription(pg_url: str, topic_prefix: str) -> None:
    name = f"notify-{topic_prefix.rstrip('.')}"
    settings = stack_settings(DEFINITION, pg_url, topic_prefix, redis_url=f"{REDIS_URL}?client_name={name}")
    guardians = [f"g{n}" for n in range(12)]
    admin = Redis.from_url(REDIS_URL)
    async with serving(DEFINITION, settings) as base, httpx.AsyncClient(base_url=base, timeout=30) as client:
        held: list[tuple[str, AsyncIterator[str]]] = []
        async with contextlib.AsyncExitStack() as streams:
            for guardian in guardians:
                for _ in range(5):  # the cap per person, so 60 streams
                    headers = auth(Role.GUARDIAN, guardian, school="s1")
                    stream = await streams.enter_async_context(client.stream("GET", STREAM, headers=headers))
                    assert stream.status_code == 200
                    held.append((guardian, stream.aiter_lines()))
            clients = [c for c in await admin.client_list() if c.get("name") == name and int(c.get("sub", 0)) > 0]
            assert len(clients) == 1  # today's code: 60 connections, one per stream
            assert int(clients[0]["sub"]) == len(guardians) + 1  # one per guardian's channel, and the bundles

            for guardian in guardians:
                alert = {
                    "notification_id": f"n-{guardian}", "student_id": "c1", "event_type": "x", "channel": "in_app",
                    "status": "delivered", "title": "到校", "body": "", "urgent": False,
                    "created_at": datetime(2026, 11, 25, 7, 0, tzinfo=UTC),
                }  # fmt: skip
                await admin.publish(f"{topic_prefix}live:guardian:{guardian}", handlers.live_frame(alert))
            async with asyncio.timeout(10):
                events = await asyncio.gather(*(next_event(lines) for _, lines in held))
            assert [orjson.loads(e["data"])["notification_id"] for e in events] == [f"n-{g}" for g, _ in held]
            ready = await client.get("/readyz")
            assert ready.status_code == 200, ready.text
    await admin.aclose()


STAFF_STREAM = "/notify/v1/staff/notifications/stream"
# AT-6's class-teacher rung calls the event's class teacher by name, with no roster to apply first.
CLASS_TEACHER = auth(Role.CLASS_TEACHER, "t-wang", school="s1")


def arrival(n: int) -> Event:
    return checked_in(n)


def class_teacher_called(n: int) -> Event:
    return not_collected(n, EscalationStep.CLASS_TEACHER, "t-wang")


# stream, caller, the n-th event that stores one notification for the caller, the caller's v2 inbox
RESUMABLE: dict[str, tuple[str, dict[str, str], Callable[[int], Event], str]] = {
    "guardian": (STREAM, MUM, arrival, "/notify/v2/notifications"),
    "staff": (STAFF_STREAM, CLASS_TEACHER, class_teacher_called, "/notify/v2/staff/notifications"),
}


def notification_ids(events: list[dict[str, str]]) -> list[str]:
    return [orjson.loads(event["data"])["notification_id"] for event in events]


@pytest.mark.parametrize("port", PORTS)
@pytest.mark.parametrize("who", sorted(RESUMABLE))
async def test_a_stream_resumed_with_last_event_id_gets_exactly_the_missed_alerts_then_live_ones(
    who: str, port: str, pg_url: str, topic_prefix: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    stream_path, headers, event, inbox = RESUMABLE[who]
    monkeypatch.setattr(handlers, "BACKLOG_PAGE", 1)  # the backlog is read a page at a time: pages of one here
    await publish_as_producer(topic_prefix, ROSTER, school_id="s1")
    settings = stack_settings(DEFINITION, pg_url, topic_prefix)
    async with (
        serving_streams(DEFINITION, settings) as (base, streams_base),
        httpx.AsyncClient(base_url=base, timeout=30) as client,
    ):
        path = (base if port == "main" else streams_base) + stream_path

        async def stored(count: int) -> list[dict[str, str]]:
            items: list[dict[str, str]] = (await client.get(inbox, headers=headers)).json()["items"]
            return items if len(items) == count else []

        async with client.stream("GET", path, headers=headers) as first:
            lines = first.aiter_lines()
            assert await anext(lines) == ": connected"  # listening from here
            await publish_as_producer(topic_prefix, [event(1)], school_id="s1")
            async with asyncio.timeout(30):
                seen = await next_event(lines)
        # the client is away while two more are stored
        await publish_as_producer(topic_prefix, [event(2), event(3)], school_id="s1")
        await eventually(lambda: stored(3))
        newest_first = await stored(3)
        assert seen["event"] == "notification"
        assert notification_ids([seen]) == [newest_first[2]["notification_id"]]
        assert seen["id"] == cursor_of(newest_first[2])  # the id is the notification's v2 page cursor

        resumed = headers | {"Last-Event-ID": seen["id"]}
        async with client.stream("GET", path, headers=resumed) as again:
            assert again.status_code == 200
            lines = again.aiter_lines()
            async with asyncio.timeout(30):
                missed = [await next_event(lines) for _ in range(2)]
            assert notification_ids(missed) == [newest_first[1]["notification_id"], newest_first[0]["notification_id"]]
            assert [e["id"] for e in missed] == [cursor_of(newest_first[1]), cursor_of(newest_first[0])]
            await publish_as_producer(topic_prefix, [event(4)], school_id="s1")
            async with asyncio.timeout(30):
                live = await next_event(lines)  # the next event is the new one: no repeat
        now_stored = await stored(4)
        assert notification_ids([live]) == [now_stored[0]["notification_id"]]
        assert live["id"] == cursor_of(now_stored[0])


def cursor_of(item: dict[str, str]) -> str:
    return encode_cursor(datetime.fromisoformat(item["created_at"]), item["notification_id"])


@pytest.mark.parametrize("path", [STREAM, STAFF_STREAM])
async def test_a_last_event_id_the_stream_did_not_write_is_a_422_problem(
    path: str, pg_url: str, topic_prefix: str
) -> None:
    headers = MUM if path == STREAM else CLASS_TEACHER
    settings = stack_settings(DEFINITION, pg_url, topic_prefix)
    async with serving(DEFINITION, settings) as base, httpx.AsyncClient(base_url=base, timeout=30) as client:
        bad_ids = ["garbage", "2026-11-25T07:00:00Z", "2026-11-25T07:00:00|n1", "|", "x|y", ""]  # more than the cap
        for bad in bad_ids:
            async with client.stream("GET", path, headers=headers | {"Last-Event-ID": bad}) as refused:
                assert refused.status_code == 422
                assert refused.headers["content-type"] == "application/problem+json"
        async with client.stream("GET", path, headers=headers) as fine:  # the refused ones took no stream place
            assert fine.status_code == 200


@pytest.mark.parametrize("who", sorted(RESUMABLE))
async def test_a_stream_request_that_reaches_the_declared_route_is_answered_by_the_lean_handler_too(
    who: str, pg_url: str, topic_prefix: str
) -> None:
    """The declared endpoint of a lean route is no stub (chassis/lean.py): without the middleware that answers it
    first, FastAPI's route streams it with the same handler, who may call and what they get."""
    path, headers, event, _ = RESUMABLE[who]
    await publish_as_producer(topic_prefix, ROSTER, school_id="s1")
    settings = stack_settings(DEFINITION, pg_url, topic_prefix)
    async with (
        serving(DEFINITION, settings, lean_routes=False) as base,
        httpx.AsyncClient(base_url=base, timeout=30) as client,
    ):
        assert (await client.get(path)).status_code == 401
        async with client.stream("GET", path, headers=headers) as stream:
            assert stream.status_code == 200
            assert stream.headers["content-type"].startswith("text/event-stream")
            lines = stream.aiter_lines()
            assert await anext(lines) == ": connected"
            await publish_as_producer(topic_prefix, [event(1)], school_id="s1")
            async with asyncio.timeout(30):
                assert (await next_event(lines))["event"] == "notification"
