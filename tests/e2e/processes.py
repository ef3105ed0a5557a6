"""Run the five services as separate `afterschool serve` processes on the real stack (tests and benchmarks)."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import httpx

from tests.conftest import KAFKA, REDIS_URL, SCHOOL_AFTERNOON, SECRET, fresh_database

SERVICES = ("enrollment", "attendance", "homework", "stipend", "notify")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@dataclass(frozen=True)
class RunningStack:
    """Base URLs and database URLs of the running services."""

    bases: dict[str, str]
    databases: dict[str, str]
    pids: dict[str, int]  # the benchmarks read each process's memory


@contextlib.asynccontextmanager
async def full_stack(
    prefix: str,
    tmp_path: Path,
    *,
    log_level: str = "WARNING",
    clock_start: datetime | None = SCHOOL_AFTERNOON,
    settings: dict[str, str] | None = None,
) -> AsyncIterator[RunningStack]:
    """Each service in its own process with its own database, once all are ready; every process runs on a steady
    clock from `clock_start` (the pinned school afternoon; None for the wall clock, as the benchmarks do).
    `settings` adds environment variables, e.g. `{"ATTENDANCE_MAX_DEVICE_EVENT_AGE_DAYS": "14"}`."""
    async with contextlib.AsyncExitStack() as stack:
        processes, bases, databases = [], {}, {}
        for name in SERVICES:
            url = await stack.enter_async_context(fresh_database())
            databases[name] = url
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
            if clock_start is not None:
                env[f"{name.upper()}_CLOCK_START"] = clock_start.isoformat()
            env |= settings or {}
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
                    log_level,
                    env=env,
                    stdout=log,
                    stderr=log,
                )
            )
            bases[name] = f"http://127.0.0.1:{port}"
        try:
            await _ready(bases, processes, tmp_path)
            yield RunningStack(bases, databases, {n: p.pid for n, p in zip(SERVICES, processes, strict=True)})
        finally:
            for process in processes:
                if process.returncode is None:
                    process.send_signal(signal.SIGTERM)
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(30):
                    await asyncio.gather(*(p.wait() for p in processes), return_exceptions=True)


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


@contextlib.asynccontextmanager
async def embedded(folder: Path, *, env: dict[str, str] | None = None) -> AsyncIterator[str]:
    """`afterschool up` (the all-in-one on SQLite files in `folder/data`) as a subprocess on the pinned school
    afternoon, once it answers `/readyz`; its base URL. Its log goes to `folder/server.log`."""
    port = free_port()
    server = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "afterschool",
        "up",
        "--port",
        str(port),
        "--data",
        str(folder / "data"),
        stdout=asyncio.subprocess.DEVNULL,
        stderr=(folder / "server.log").open("wb"),
        env={
            **os.environ,
            **{f"{name.upper()}_CLOCK_START": SCHOOL_AFTERNOON.isoformat() for name in SERVICES},
            **(env or {}),
        },
    )
    base = f"http://127.0.0.1:{port}"
    try:
        async with httpx.AsyncClient(base_url=base, timeout=2) as client:
            for _ in range(600):
                if server.returncode is not None:
                    raise RuntimeError(f"afterschool up exited: {(folder / 'server.log').read_text()[-3000:]}")
                with contextlib.suppress(httpx.HTTPError):
                    if (await client.get("/readyz")).status_code == 200:
                        break
                await asyncio.sleep(0.1)
            else:
                raise TimeoutError("the all-in-one was not ready in 60 s")
        yield base
    finally:
        if server.returncode is None:
            server.terminate()
        await server.wait()
