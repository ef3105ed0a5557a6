"""What every bench run shares: a scratch database on the local stack's PostgreSQL, and the machine's load."""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import AsyncIterator

import asyncpg

from tests.conftest import PG_URL


@contextlib.asynccontextmanager
async def scratch_database(name: str) -> AsyncIterator[str]:
    """A database of its own for one run on the shared PostgreSQL (its SQLAlchemy URL), dropped afterwards."""
    admin = await asyncpg.connect(PG_URL.replace("postgresql+asyncpg://", "postgresql://") + "/postgres")
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
        yield f"{PG_URL}/{name}"
    finally:
        try:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        except asyncpg.PostgresError as refused:  # never hide the run's own error behind the clean-up's
            print(f"bench: {name} left behind: {refused}", file=sys.stderr)
        await admin.close()


def load() -> str:
    """The machine's load averages, said with every figure."""
    one, five, _ = os.getloadavg()
    return f"load {one:.2f}/{five:.2f}"
