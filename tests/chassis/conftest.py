"""Chassis tests run on both databases the services support."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from chassis.db import Database
from tests.chassis.probe import probe_database
from tests.conftest import fresh_database


@pytest.fixture(params=["postgresql", "sqlite"])
async def db(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Database]:
    """A probe database on PostgreSQL and on SQLite."""
    if request.param == "sqlite":
        async with probe_database(f"sqlite+aiosqlite:///{tmp_path / 'probe.db'}") as database:
            yield database
    else:
        async with fresh_database() as url, probe_database(url) as database:
            yield database


@pytest.fixture
async def pg_db() -> AsyncIterator[Database]:
    """A probe database on PostgreSQL only (for what only PostgreSQL does)."""
    async with fresh_database() as url, probe_database(url) as database:
        yield database
