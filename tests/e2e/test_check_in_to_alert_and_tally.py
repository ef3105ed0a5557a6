"""End to end: kiosk check-ins become guardian alerts and stipend tallies, exactly once.

Once on the full stack (five `afterschool serve` processes on PostgreSQL, Kafka and Redis), once on the
embedded all-in-one (one process, SQLite, in-process bus): the same scenario, the same expectations.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
import uvicorn

from afterschool.district import Api
from afterschool.embedded import AllInOne
from tests.conftest import KAFKA, REDIS_URL, SECRET, fresh_database
from tests.e2e import scenario

pytestmark = [pytest.mark.e2e, pytest.mark.slow, pytest.mark.timeout(600)]

SERVICES = ("enrollment", "attendance", "homework", "stipend", "notify")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@contextlib.asynccontextmanager
async def full_stack(prefix: str, tmp_path: Path) -> AsyncIterator[dict[str, str]]:
    """Each service in its own process with its own database; their base URLs once all are ready."""
    async with contextlib.AsyncExitStack() as stack:
        processes, bases = [], {}
        for name in SERVICES:
            url = await stack.enter_async_context(fresh_database())
            port = free_port()
            env = {
                **os.environ,
                **{
                    f"{name.upper()}_{k}": v
                    for k, v in {
                        "ENVIRONMENT": "test",
                        "DATABASE_URL": url,
                        "BUS": "kafka",
                        "KAFKA_BOOTSTRAP": KAFKA,
                        "KAFKA_TOPIC_PREFIX": prefix,
                        "KAFKA_CREATE_TOPICS": "true",
                        "REDIS_URL": REDIS_URL,
                        "REDIS_NAMESPACE": prefix,
                        "JWT_SECRET": SECRET,
                        "CONSUMER_BACKOFF_SECONDS": "0.05",
                    }.items()
                },
            }
            log = (tmp_path / f"{name}.log").open("wb")
            processes.append(
                await asyncio.create_subprocess_exec(
                    sys.executable,
                    "-m",
                    "afterschool",
                    "serve",
                    name,
                    "--port",
                    str(port),
                    "--log-level",
                    "WARNING",
                    env=env,
                    stdout=log,
                    stderr=log,
                )
            )
            bases[name] = f"http://127.0.0.1:{port}"
        try:
            await _ready(bases, processes, tmp_path)
            yield bases
        finally:
            for process in processes:
                if process.returncode is None:
                    process.send_signal(signal.SIGTERM)
            await asyncio.gather(*(asyncio.wait_for(p.wait(), 30) for p in processes), return_exceptions=True)


async def _ready(bases: dict[str, str], processes: list[asyncio.subprocess.Process], logs: Path) -> None:
    async with httpx.AsyncClient(timeout=2) as client:
        for _ in range(600):
            for name, process in zip(SERVICES, processes, strict=True):
                if process.returncode is not None:
                    raise RuntimeError(
                        f"{name} exited {process.returncode}: {(logs / f'{name}.log').read_text()[-3000:]}"
                    )
            try:
                answers = [await client.get(f"{base}/readyz") for base in bases.values()]
                if all(a.status_code == 200 for a in answers):
                    return
            except httpx.HTTPError:
                pass
            await asyncio.sleep(0.1)
    raise TimeoutError("services not ready in 60s")


def assert_exactly_once(outcome: scenario.Outcome) -> None:
    assert outcome.stored == outcome.posted == scenario.CHECK_INS
    assert outcome.notifications == outcome.expected_notifications
    assert sum(outcome.notifications.values()) > scenario.CHECK_INS  # most children have two guardians
    assert outcome.tallies == outcome.expected_tallies


async def test_full_stack_check_ins_become_one_alert_per_guardian_and_exact_tallies(
    topic_prefix: str, tmp_path: Path
) -> None:
    async with full_stack(topic_prefix, tmp_path) as bases:
        api = Api(bases, secret=SECRET, concurrency=32)
        try:
            assert_exactly_once(await scenario.run(api))
        finally:
            await api.aclose()


async def test_embedded_check_ins_become_one_alert_per_guardian_and_exact_tallies(tmp_path: Path) -> None:
    server = uvicorn.Server(
        uvicorn.Config(
            AllInOne(tmp_path / "data", jwt_secret=SECRET), host="127.0.0.1", port=0, log_config=None, access_log=False
        )
    )
    serving = asyncio.create_task(server.serve())
    while not server.started:
        assert not serving.done()
        await asyncio.sleep(0.05)
    base = f"http://127.0.0.1:{server.servers[0].sockets[0].getsockname()[1]}"
    api = Api(dict.fromkeys(SERVICES, base), secret=SECRET, concurrency=32)
    try:
        assert_exactly_once(await scenario.run(api))
    finally:
        await api.aclose()
        server.should_exit = True
        await serving
