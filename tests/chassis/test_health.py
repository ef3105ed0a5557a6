"""Readiness means "can take requests" (issue 14): a service is ready while its database answers; Kafka and Redis
trouble shows in `/healthz` and `afterschool_dependency_up`, and the checks run at once under one deadline."""

from __future__ import annotations

import asyncio
import contextlib
import re
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from chassis.observability import CHECK_DEADLINE
from services.homework.app import DEFINITION
from tests.conftest import ServiceClient, running

pytestmark = pytest.mark.timeout(60)


@pytest.fixture
async def silent_port() -> AsyncIterator[int]:
    """A TCP port that accepts connections and never answers: a dependency that hangs rather than refuses."""
    held: list[asyncio.StreamWriter] = []

    async def accept(_reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        held.append(writer)

    server = await asyncio.start_server(accept, "127.0.0.1", 0)
    yield server.sockets[0].getsockname()[1]
    for writer in held:
        writer.close()
    server.close()
    await server.wait_closed()


def homework_with_redis_at(redis_url: str, tmp_path: Path) -> contextlib.AbstractAsyncContextManager[ServiceClient]:
    settings = DEFINITION.settings_class(
        environment="test", database_url=f"sqlite+aiosqlite:///{tmp_path}/hw.db", bus="memory", redis_url=redis_url
    )
    return running(DEFINITION, settings)


async def test_a_hanging_redis_leaves_the_service_ready_and_shows_in_health_within_the_deadline(
    silent_port: int, tmp_path: Path
) -> None:
    async with homework_with_redis_at(f"redis://127.0.0.1:{silent_port}/0", tmp_path) as client:
        ready = await client.get("/readyz")
        assert (ready.status_code, ready.json()) == (200, {"status": "ok", "checks": {"database": "ok"}})

        started = time.monotonic()
        health = await client.get("/healthz")
        took = time.monotonic() - started
        assert health.status_code == 200
        checks = health.json()["checks"]
        assert (checks["database"], checks["bus"]) == ("ok", "ok")
        assert checks["redis"] == f"failed: no answer within {CHECK_DEADLINE} s"
        assert CHECK_DEADLINE <= took < CHECK_DEADLINE + 1.0  # one deadline for all, under the probe's 3 s

        metrics = (await client.get("/metrics")).text
        assert 'afterschool_dependency_up{dependency="redis",service="homework"} 0.0' in metrics
        assert 'afterschool_dependency_up{dependency="database",service="homework"} 1.0' in metrics
        # The gauges sampled from the start: SQLite's pool of one connection (in use or idle), no live stream.
        pool = {
            state: float(value)
            for state, value in re.findall(
                r'afterschool_db_pool_connections\{service="homework",state="(\w+)"\} (\S+)', metrics
            )
        }
        assert set(pool) == {"in_use", "idle"}
        assert pool["in_use"] + pool["idle"] == 1.0
        assert 'afterschool_live_listeners{service="homework"} 0.0' in metrics


async def test_a_refusing_redis_fails_its_check_at_once(tmp_path: Path) -> None:
    async with homework_with_redis_at("redis://127.0.0.1:1/0", tmp_path) as client:
        started = time.monotonic()
        checks = (await client.get("/healthz")).json()["checks"]
        assert checks["redis"].startswith("failed: ")
        assert "within" not in checks["redis"]
        assert time.monotonic() - started < CHECK_DEADLINE
        assert (await client.get("/readyz")).status_code == 200


async def test_without_its_database_a_service_is_not_ready(tmp_path: Path) -> None:
    async with homework_with_redis_at("", tmp_path) as client:
        await client.runtime.db.engine.dispose()
        (tmp_path / "hw.db").unlink()
        (tmp_path / "hw.db").mkdir()  # a path SQLite cannot open as a database
        ready = await client.get("/readyz")
        assert ready.status_code == 503
        assert ready.json()["checks"]["database"].startswith("failed: ")


async def test_the_live_listeners_gauge_counts_open_streams(tmp_path: Path) -> None:
    async with homework_with_redis_at("", tmp_path) as client:
        broadcaster = client.runtime.broadcaster
        listeners = [await broadcaster.listen(f"live:guardian:{n}") for n in range(3)]
        assert broadcaster.listening() == 3
        await listeners[0].aclose()
        assert broadcaster.listening() == 2
