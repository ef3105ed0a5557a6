"""The stream port (chassis/streams.py, issue 10): what it answers before a stream opens, and what it refuses.

The streams themselves (cap, resume, fan-out) are tested on both ports in tests/services/test_notify_streams.py.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

import httpx
import orjson
import pytest

from chassis import streams
from chassis.auth import Role
from services.notify.app import DEFINITION
from tests.conftest import auth, serving_streams, stack_settings

pytestmark = [pytest.mark.service, pytest.mark.timeout(60)]

STREAM = "/notify/v1/notifications/stream"


@contextlib.asynccontextmanager
async def stream_port(pg_url: str, topic_prefix: str) -> AsyncIterator[tuple[httpx.AsyncClient, str]]:
    """Notify on the stack; a client of its main port, and the stream port's base URL."""
    settings = stack_settings(DEFINITION, pg_url, topic_prefix)
    async with (
        serving_streams(DEFINITION, settings) as (base, streams_base),
        httpx.AsyncClient(base_url=base, timeout=30) as client,
    ):
        yield client, streams_base


async def raw(base: str, request: bytes, *, pause: float = 0.0) -> bytes:
    """Send `request` as it is (after `pause` seconds, if given) and read until the port closes."""
    host, port = base.removeprefix("http://").split(":")
    reader, writer = await asyncio.open_connection(host, int(port))
    try:
        writer.write(request)
        await writer.drain()
        async with asyncio.timeout(10):
            return await reader.read()
    finally:
        writer.close()


async def test_the_stream_port_answers_a_refused_stream_with_the_main_ports_problem_and_counts_it(
    pg_url: str, topic_prefix: str
) -> None:
    async with stream_port(pg_url, topic_prefix) as (client, streams_base):
        before = await refused_count(client)
        anonymous = await client.get(streams_base + STREAM)
        teacher = await client.get(streams_base + STREAM, headers=auth(Role.CLASS_TEACHER, "t-wang", school="s1"))
        elsewhere = await client.get(streams_base + "/notify/v1/notifications", headers=auth(Role.GUARDIAN, "mum"))
        posted = await client.post(streams_base + STREAM, headers=auth(Role.GUARDIAN, "mum", school="s1"))
        for answer, status in ((anonymous, 401), (teacher, 403), (elsewhere, 404), (posted, 404)):
            assert answer.status_code == status, answer.text
            assert answer.headers["content-type"] == "application/problem+json"
            assert answer.headers["connection"] == "close"
            assert orjson.loads(answer.content)["status"] == status
        assert anonymous.headers["www-authenticate"] == "Bearer"
        # the same answers as the main port's, which serves the route too
        assert (await client.get(STREAM)).json()["title"] == anonymous.json()["title"]
        # the stream port's and the main port's, each counted under its route (the metrics are the process's)
        assert await refused_count(client) == before + 2


async def refused_count(client: httpx.AsyncClient) -> float:
    """How many stream requests this process has refused with a 401, by its request metrics."""
    counted = f'afterschool_http_requests_total{{method="GET",route="{STREAM}",service="notify",status="401"}}'
    lines = [line for line in (await client.get("/metrics")).text.splitlines() if line.startswith(counted)]
    return float(lines[0].split()[-1]) if lines else 0.0


async def test_the_stream_port_refuses_a_malformed_oversized_bodied_or_slow_request_with_a_problem(
    pg_url: str, topic_prefix: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(streams, "REQUEST_SECONDS", 0.5)
    async with stream_port(pg_url, topic_prefix) as (_, streams_base):
        cases = {
            400: b"NOT HTTP AT ALL\r\n\r\n",
            431: b"GET " + STREAM.encode() + b" HTTP/1.1\r\nX-Big: " + b"x" * streams.MAX_HEADER_BYTES + b"\r\n\r\n",
            413: b"GET " + STREAM.encode() + b" HTTP/1.1\r\nContent-Length: 5\r\n\r\nhello",
            408: b"GET " + STREAM.encode() + b" HTTP/1.1\r\nHost: x\r\n",  # the headers never end
        }
        for status, request in cases.items():
            answer = await raw(streams_base, request)
            head, _, body = answer.partition(b"\r\n\r\n")
            assert head.startswith(f"HTTP/1.1 {status} ".encode()), (status, answer[:200])
            assert b"content-type: application/problem+json" in head.lower()
            assert orjson.loads(body)["status"] == status
