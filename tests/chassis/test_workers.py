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
    settings = definition.settings_class(database_url=f"sqlite+aiosqlite:///{tmp_path}/w.db", bus="memory")
    async with running(definition, settings):
        await asyncio.wait_for(started.wait(), 10)
        assert not cancelled.is_set()
    assert cancelled.is_set()
    assert seen == ["homework"]
