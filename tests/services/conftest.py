"""Helpers for service tests on the real stack: publish as another service would, read what a service published,
walk a list page after page."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from typing import Any

import httpx
from prometheus_client import REGISTRY, Gauge

from chassis.app import Runtime
from chassis.bus.kafka import KafkaBus
from chassis.figures import SchoolFigure, refresh
from contracts.envelope import Envelope, Event
from tests.conftest import KAFKA


async def publish_as_producer(prefix: str, events: Iterable[Event], *, school_id: str) -> None:
    """Put events on their topics as the producing service's relay would (each in a new envelope)."""
    await publish_envelopes(prefix, [Envelope.wrap(e, source="/test", school_id=school_id) for e in events])


async def publish_envelopes(prefix: str, envelopes: Iterable[Envelope]) -> None:
    """Put envelopes on their topics; the same envelope twice is a redelivery (same event id)."""
    from contracts.registry import decode

    envelopes = list(envelopes)
    events = [decode(e) for e in envelopes]
    async with producer(prefix, {e.topic for e in events}) as bus:
        for envelope, event in zip(envelopes, events, strict=True):
            await bus.publish(event.topic, event.key(), envelope.to_bytes())


@contextlib.asynccontextmanager
async def producer(prefix: str, topics: Iterable[str]) -> AsyncIterator[KafkaBus]:
    """A connected Kafka producer, its `topics` made sure of (6 partitions), stopped on leaving."""
    bus = KafkaBus(KAFKA, prefix=prefix)
    await bus.start()
    try:
        await bus.ensure_topics(dict.fromkeys(topics, 6))
        yield bus
    finally:
        await bus.stop()


async def read_topic(prefix: str, topic: str, *, count: int, timeout: float = 30.0) -> list[Envelope]:
    """Read `count` envelopes from a topic with a fresh consumer group, then make sure no more arrive."""
    bus = KafkaBus(KAFKA, prefix=prefix)
    consumer = bus.consumer(f"reader-{uuid.uuid4().hex[:8]}", [topic])
    await consumer.start()
    found: list[Envelope] = []
    loop = asyncio.get_running_loop()
    try:
        deadline = loop.time() + timeout
        while len(found) < count and loop.time() < deadline:
            for records in (await consumer.getmany(timeout=0.5, max_records=500)).values():
                found += [Envelope.from_bytes(r.value) for r in records]
        quiet_until = loop.time() + 1.0
        while loop.time() < quiet_until:
            for records in (await consumer.getmany(timeout=0.3, max_records=500)).values():
                found += [Envelope.from_bytes(r.value) for r in records]
    finally:
        await consumer.stop()
    return found


async def every_page(
    client: httpx.AsyncClient,
    path: str,
    headers: dict[str, str],
    *,
    limit: int,
    params: dict[str, str] | None = None,
    after_first: Callable[[], Awaitable[None]] | None = None,
) -> list[Any]:
    """Every item of a keyset list, following `next` until it is null; `after_first` runs after the first page."""
    items: list[Any] = []
    cursor: str | None = None
    while True:
        query = (params or {}) | {"limit": str(limit)} | ({"after": cursor} if cursor else {})
        response = await client.get(path, params=query, headers=headers)
        assert response.status_code == 200, response.text
        assert set(response.json()) == {"items", "next"}
        items += response.json()["items"]
        cursor = response.json()["next"]
        if cursor is None:
            return items
        if after_first is not None:
            await after_first()
            after_first = None


async def school_figure(runtime: Runtime, figure: SchoolFigure, school: str, seen: dict[Gauge, set[str]]) -> float:
    """A per-school dashboard figure (chassis/figures.py) once read again from the service's tables; pass the same
    `seen` across reads so a school whose value went back to nothing reads 0."""
    await refresh(runtime, [figure], seen)
    name = next(iter(figure.gauge.describe())).name
    value = REGISTRY.get_sample_value(name, {"service": runtime.name, "school": school})
    return value if value is not None else 0.0
