"""Live streams that cannot be abused: one guardian cannot hold more than the cap of streams open on a notify
process (each holds a Redis subscription; 500 of them drained the pool), and a closed stream frees its place."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

import httpx
import orjson
import pytest

from chassis.auth import Role
from services.notify.app import DEFINITION
from tests.conftest import auth, eventually, serving, stack_settings

pytestmark = [pytest.mark.service, pytest.mark.timeout(120)]

MUM = auth(Role.GUARDIAN, "mum", school="s1")
STREAM = "/notify/v1/notifications/stream"


async def test_a_guardian_cannot_open_more_streams_than_the_cap(pg_url: str, topic_prefix: str) -> None:
    settings = stack_settings(DEFINITION, pg_url, topic_prefix, stream_cap_per_person=3)
    async with serving(DEFINITION, settings) as base, httpx.AsyncClient(base_url=base, timeout=30) as client:
        held: list[AsyncIterator[str]] = []  # kept referenced: a dropped line iterator would close its stream
        async with contextlib.AsyncExitStack() as streams:
            for _ in range(3):
                stream = await streams.enter_async_context(client.stream("GET", STREAM, headers=MUM))
                assert stream.status_code == 200
                held.append(stream.aiter_lines())
                assert await anext(held[-1]) == ": connected"

            async with client.stream("GET", STREAM, headers=MUM) as refused:  # a stream: today's code answers 200
                assert refused.status_code == 429
                assert refused.headers["content-type"] == "application/problem+json"
                assert orjson.loads(await refused.aread())["limit"] == 3

            dad = auth(Role.GUARDIAN, "dad", school="s1")  # another person has their own cap
            async with client.stream("GET", STREAM, headers=dad) as his:
                assert his.status_code == 200
            assert (await client.get("/readyz")).status_code == 200
        # mum closed her streams: their places are free again

        async def reopened() -> bool:
            async with client.stream("GET", STREAM, headers=MUM) as again:
                return again.status_code == 200

        await eventually(reopened, timeout=10)
