"""Fault: Redis is flushed, then down, then back. What lives in Redis (live pushes, the idempotency cache, rate-limit
windows) degrades; check-ins and stored alerts go on, a retried key never makes a second check-in, readiness stays
true, `/healthz` and `afterschool_dependency_up` show Redis down, and live pushes come back with it."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from pathlib import Path

import orjson
import pytest

from chassis.broadcast import Listener
from services.enrollment.app import DEFINITION as ENROLLMENT
from tests.conftest import REDIS_URL, ServiceClient, eventually, running
from tests.fault.platform import STUDENTS, delivered_once, metric, platform, post_round, stack

pytestmark = [pytest.mark.fault, pytest.mark.slow, pytest.mark.timeout(180)]

MUM = f"mum-{STUDENTS[0]}"
POOLED = 8


async def pushed(listener: Listener, timeout: float = 10) -> dict[str, object]:
    """The notification in the next live push a listener receives (a finished `notification` server-sent event)."""
    async with asyncio.timeout(timeout):
        frame = await anext(listener)
    text = frame.decode() if isinstance(frame, bytes) else frame
    (data,) = [line.removeprefix("data:").strip() for line in text.splitlines() if line.startswith("data:")]
    message: dict[str, object] = orjson.loads(data)
    return message


async def test_redis_flushed_then_down_degrades_what_lives_there_and_nothing_else(topic_prefix: str) -> None:
    async with platform(topic_prefix, restore="redis-up") as p:
        listener = await p.notify.runtime.broadcaster.listen(f"guardian:{MUM}")
        first = await post_round(p.attendance, 0)
        assert (await pushed(listener))["student_id"] == STUDENTS[0]

        await p.attendance.runtime.redis.flushall()  # type: ignore[union-attr]
        assert await post_round(p.attendance, 0) == first  # the database still knows each key's answer
        flushed = await post_round(p.attendance, 1)
        assert (await pushed(listener))["student_id"] == STUDENTS[0]  # a flush drops data, not subscriptions

        await asyncio.to_thread(stack, "redis-stop")
        assert await post_round(p.attendance, 1) == flushed  # retried keys: still no second check-in
        down = await post_round(p.attendance, 2) + await post_round(p.attendance, 3)
        for service in (p.attendance, p.notify):
            assert (await service.get("/readyz")).status_code == 200  # ready: the database answers
            health = (await service.get("/healthz")).json()
            assert health["checks"]["redis"].startswith("failed")
            assert health["checks"]["database"] == "ok"
            metrics = (await service.get("/metrics")).text
            name = service.runtime.name
            assert metric(metrics, f'afterschool_dependency_up{{dependency="redis",service="{name}"}}') == 0.0

        await asyncio.to_thread(stack, "redis-up")
        await eventually(lambda: _redis_ok(p.notify), timeout=30)
        listener.discard_queued()
        back: list[str] = []
        for number in range(4, 9):  # live pushes are back once the reader has subscribed again (a moment after)
            back += await post_round(p.attendance, number)
            with contextlib.suppress(TimeoutError):
                assert (await pushed(listener, timeout=3))["student_id"] == STUDENTS[0]
                break
        else:
            raise AssertionError("no live push after Redis came back")
        await delivered_once(p, first + flushed + down + back)


async def test_after_a_redis_restart_no_pooled_connection_fails_a_command(tmp_path: Path) -> None:
    """Every connection the chassis' pool held died with the server; each command is retried once on a new
    connection, so none of the first commands after the restart fails."""
    settings = ENROLLMENT.settings_class(
        environment="test",
        database_url=f"sqlite+aiosqlite:///{tmp_path}/enrollment.db",
        redis_url=REDIS_URL,
        redis_namespace=f"t{uuid.uuid4().hex[:10]}.",
    )
    async with running(ENROLLMENT, settings) as enrollment:
        redis = enrollment.runtime.redis
        assert redis is not None
        key = f"{settings.redis_namespace}pooled"
        await asyncio.gather(*(redis.incr(key) for _ in range(POOLED)))  # at once: one connection each
        assert len(redis.connection_pool._available_connections) == POOLED
        try:
            await asyncio.to_thread(stack, "redis-stop")
        finally:
            await asyncio.to_thread(stack, "redis-up")
        answers = await asyncio.gather(*(redis.incr(key) for _ in range(POOLED)), return_exceptions=True)
        assert sorted(answers, key=str) == list(range(1, POOLED + 1)), answers  # Redis restarted empty


async def _redis_ok(service: ServiceClient) -> bool:
    return bool((await service.get("/healthz")).json()["checks"]["redis"] == "ok")
