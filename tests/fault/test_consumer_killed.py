"""Fault: notify's process is SIGKILLed mid-burst, after a batch's transaction committed and before its offset commit
(tests/fault/notify_process.py holds it exactly there). The restarted process reads those records again; the inbox
makes the redelivery change nothing: every alert stored once, each child's in order, no lag left."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from pathlib import Path

import httpx
import pytest
from pydantic import SecretStr

from chassis.db import Database
from chassis.settings import ServiceSettings
from tests.conftest import SCHOOL_AFTERNOON, eventually
from tests.e2e.processes import free_port
from tests.fault.platform import STUDENTS, alerts, delivered_once, lag, no_lag, platform, post_round, post_rounds

pytestmark = [pytest.mark.fault, pytest.mark.slow, pytest.mark.timeout(180)]

ROOT = Path(__file__).resolve().parents[2]


async def test_a_consumer_process_killed_before_its_offset_commit_redelivers_without_a_second_effect(
    topic_prefix: str, tmp_path: Path
) -> None:
    hold = tmp_path / "hold-commits"
    held = tmp_path / "hold-commits.held"
    async with platform(topic_prefix, notify_in_process=False) as p, notify_database(p.notify_settings) as db:
        async with notify_process(p.notify_settings, tmp_path / "first.log", SCHOOL_AFTERNOON, hold) as first_run:
            first = await post_round(p.attendance, 0)
            await eventually(lambda: _stored(db, len(first)), timeout=60)
            await eventually(lambda: no_lag(p.prefix, "notify"), timeout=30)  # so the held commit is the burst's
            hold.touch()  # from now on a batch's offsets are never committed
            burst = await post_rounds(p.attendance, range(1, 4))
            await eventually(held.exists, timeout=30)
            first_run.send_signal(signal.SIGKILL)  # the process dies between its transaction and its offset commit
            assert await first_run.wait() == -signal.SIGKILL
        stored = await alerts(db)
        assert len(stored) > len(first)  # some of the burst was applied...
        assert await lag(p.prefix, "notify") >= len(stored) - len(first)  # ...and not committed: it comes again

        hold.unlink()
        later = await post_rounds(p.attendance, range(4, 5))  # check-ins keep coming while notify is down
        # The new process's clock goes on from the last alert, as the wall clock would across a restart.
        resumed = max(a.created_at for a in stored) + timedelta(seconds=1)
        async with notify_process(p.notify_settings, tmp_path / "second.log", resumed, hold):
            await delivered_once(p, first + burst + later, stored_in=db)
        assert len(first + burst + later) == 5 * len(STUDENTS)


@contextlib.asynccontextmanager
async def notify_process(
    settings: ServiceSettings, log: Path, clock_start: datetime, hold: Path
) -> AsyncIterator[asyncio.subprocess.Process]:
    """notify served by uvicorn in its own process (`afterschool serve notify`), once it answers /readyz."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("NOTIFY_")}
    env |= {
        f"NOTIFY_{name.upper()}": _env_value(value) for name, value in settings.model_dump(exclude_unset=True).items()
    }
    env |= {"NOTIFY_CLOCK_START": clock_start.isoformat(), "AFTERSCHOOL_FAULT_HOLD_COMMIT": str(hold)}
    port = free_port()
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "tests.fault.notify_process", "--port", str(port), "--log-level", "WARNING",
        cwd=ROOT, env=env, stdout=log.open("wb"), stderr=asyncio.subprocess.STDOUT,
    )  # fmt: skip
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=2) as client:

            async def ready() -> bool:
                assert process.returncode is None, f"notify exited; see {log}"
                with contextlib.suppress(httpx.HTTPError):
                    return (await client.get("/readyz")).status_code == 200
                return False

            await eventually(ready, timeout=60)
        yield process
    finally:
        if process.returncode is None:
            process.terminate()
            async with asyncio.timeout(30):
                await process.wait()


@contextlib.asynccontextmanager
async def notify_database(settings: ServiceSettings) -> AsyncIterator[Database]:
    """notify's database, read by the test while notify runs elsewhere."""
    db = Database(settings.database_url, pool_size=2, max_overflow=0)
    try:
        yield db
    finally:
        await db.dispose()


def _env_value(value: object) -> str:
    if isinstance(value, SecretStr):
        return value.get_secret_value()
    if isinstance(value, bool):
        return "true" if value else "false"
    return value.isoformat() if isinstance(value, datetime) else str(value)


async def _stored(db: Database, count: int) -> bool:
    return len(await alerts(db)) >= count
