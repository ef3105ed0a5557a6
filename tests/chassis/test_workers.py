"""A service's workers run with it and are cancelled when it stops (chassis/app.py)."""

from __future__ import annotations

import asyncio
import dataclasses
from pathlib import Path

import pytest

from chassis.app import Runtime
from services.homework.app import DEFINITION
from tests.conftest import running

pytestmark = [pytest.mark.unit, pytest.mark.timeout(60)]


async def test_a_worker_starts_with_the_service_sees_its_runtime_and_is_cancelled_at_shutdown(
    tmp_path: Path,
) -> None:
    started, cancelled = asyncio.Event(), asyncio.Event()
    seen: list[str] = []

    async def worker(runtime: Runtime) -> None:
        seen.append(runtime.name)
        started.set()
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            cancelled.set()
            raise

    definition = dataclasses.replace(DEFINITION, workers=[worker])
    settings = definition.settings_class(
        environment="test", database_url=f"sqlite+aiosqlite:///{tmp_path}/w.db", bus="memory"
    )
    async with running(definition, settings):
        async with asyncio.timeout(10):
            await started.wait()
        assert not cancelled.is_set()
    assert cancelled.is_set()
    assert seen == ["homework"]


async def test_a_worker_that_will_not_stop_cannot_hold_the_shutdown_open(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import chassis.app

    monkeypatch.setattr(chassis.app, "SHUTDOWN_STEP_SECONDS", 0.5)
    release = asyncio.Event()

    async def stubborn(runtime: Runtime) -> None:
        while not release.is_set():
            try:
                await asyncio.sleep(0.05)
            except asyncio.CancelledError:
                continue  # ignores cancellation, as a buggy loop might

    definition = dataclasses.replace(DEFINITION, workers=[stubborn])
    settings = definition.settings_class(
        environment="test", database_url=f"sqlite+aiosqlite:///{tmp_path}/s.db", bus="memory"
    )
    loop = asyncio.get_running_loop()
    async with running(definition, settings):
        stopping_started = loop.time()
    assert loop.time() - stopping_started < 5  # abandoned after 0.5 s instead of waiting for ever
    release.set()
